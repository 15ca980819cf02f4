"""Outputs GCP would return for the resources the program uses."""

from typing import Any

from infra.offline.mocks.context import MockContext

API = "https://www.googleapis.com/compute/v1"
# where each compute resource lives in GCP's resource paths
GLOBAL = {"Network": "networks", "Firewall": "firewalls"}
REGIONAL = {"Subnetwork": "subnetworks", "Router": "routers"}


def resource(
    ctx: MockContext, typ: str, name: str, inputs: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    # The provider names unnamed resources itself: logical name plus a random suffix.
    physical = str(inputs.get("name") or f"{name}-{ctx.digest(typ, name, length=7)}")
    kind = typ.rsplit(":", 1)[1]
    region = str(inputs.get("region") or ctx.region)
    project = str(inputs.get("project") or ctx.gcp_project)
    if kind in GLOBAL:
        path = f"projects/{project}/global/{GLOBAL[kind]}/{physical}"
    elif kind in REGIONAL:
        path = f"projects/{project}/regions/{region}/{REGIONAL[kind]}/{physical}"
    elif kind == "RouterNat":
        path = f"{project}/{region}/{inputs.get('router')}/{physical}"
    else:
        path = f"projects/{project}/{kind.lower()}s/{physical}"
    state: dict[str, Any] = {"name": physical, "project": project}
    if path.startswith("projects/"):
        state["selfLink"] = f"{API}/{path}"
    if kind == "Subnetwork":
        state["gatewayAddress"] = (
            str(inputs.get("ipCidrRange", "10.0.0.0/20")).split("/")[0][:-1] + "1"
        )
    return path, state


def call(ctx: MockContext, token: str, args: dict[str, Any]) -> dict[str, Any] | None:
    if token == "gcp:organizations/getProject:getProject":
        return {"projectId": ctx.gcp_project, "number": "123456789012", "name": ctx.gcp_project}
    if token == "gcp:organizations/getClientConfig:getClientConfig":
        return {"project": ctx.gcp_project, "region": ctx.region, "accessToken": "offline"}
    return None
