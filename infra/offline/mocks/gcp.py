"""Outputs GCP would return for the resources and data sources the program uses.

Ids follow the Google provider's import formats (`projects/<p>/locations/<l>/…`), emails
the IAM ones (`<id>@<project>.iam.gserviceaccount.com`), so what a plan shows of them
reads like what `pulumi preview` would fill in after the first `up`.
"""

import base64
from collections.abc import Callable
from typing import Any

from infra.offline.mocks.context import MockContext

API = "https://www.googleapis.com/compute/v1"
CONTAINER_API = "https://container.googleapis.com/v1"
STORAGE_API = "https://www.googleapis.com/storage/v1"
# where each compute resource lives in GCP's resource paths
GLOBAL = {"Network": "networks", "Firewall": "firewalls"}
REGIONAL = {"Subnetwork": "subnetworks", "Router": "routers"}
# The project number the mocks answer with; service agents' emails are built from it.
PROJECT_NUMBER = "123456789012"
# The GKE version a REGULAR-channel cluster of each minor would get.
GKE_PATCH = "9-gke.1000000"
# Zones the mocks report per region when none are pinned (us-central1 has a, b, c and f).
ZONE_LETTERS = {"us-central1": "abcf", "us-east1": "bcd", "europe-west4": "abc"}
# A private endpoint in the classic control-plane range; public ones come from TEST-NET-2.
PRIVATE_ENDPOINT = "172.16.0.2"
# The service agents `generateServiceIdentity` returns, by API; the rest follow the
# `gcp-sa-<api>` form (IAM docs, "Service agents").
SERVICE_AGENT_DOMAINS = {"container.googleapis.com": "container-engine-robot"}

State = dict[str, Any]
Builder = Callable[[MockContext, str, dict[str, Any], str, str], tuple[str, State]]


def resource(
    ctx: MockContext, typ: str, name: str, inputs: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    kind = typ.rsplit(":", 1)[1]
    # The provider names unnamed resources itself: logical name plus a random suffix.
    physical = str(inputs.get("name") or f"{name}-{ctx.digest(typ, name, length=7)}")
    project = str(inputs.get("project") or ctx.gcp_project)
    builder = BUILDERS.get(typ)
    if builder is not None:
        return builder(ctx, physical, inputs, project, name)
    region = str(inputs.get("region") or ctx.region)
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


def _etag(ctx: MockContext, *parts: str) -> str:
    return "BwY" + base64.b64encode(bytes.fromhex(ctx.digest(*parts, length=16))).decode()[:8]


def service_agent(service: str, number: str = PROJECT_NUMBER) -> str:
    """The email of a Google-managed service agent (`gs-project-accounts`, `compute-system`,
    `container-engine-robot`, …) of the project with `number`."""
    return f"service-{number}@{service}.iam.gserviceaccount.com"


def _cluster(
    ctx: MockContext, physical: str, inputs: dict[str, Any], project: str, name: str
) -> tuple[str, State]:
    location = str(inputs.get("location") or ctx.region)
    path = f"projects/{project}/locations/{location}/clusters/{physical}"
    private = dict(inputs.get("privateClusterConfig") or {})
    public_ip = ctx.ip(path, "endpoint")
    private["privateEndpoint"] = PRIVATE_ENDPOINT
    private["publicEndpoint"] = "" if private.get("enablePrivateEndpoint") else public_ip
    endpoint = PRIVATE_ENDPOINT if private.get("enablePrivateEndpoint") else public_ip
    minor = str(inputs.get("minMasterVersion") or "1.34")
    endpoints = dict(inputs.get("controlPlaneEndpointsConfig") or {})
    if endpoints.get("dnsEndpointConfig") is not None:
        # GKE's name for it: gke-<hash>-<project number>.<region>.gke.goog
        number = int(ctx.digest(path, "number", length=12), 16) % 10**12
        host = f"gke-{ctx.digest(path, 'dns', length=32)}-{number:012d}.{ctx.region}.gke.goog"
        endpoints["dnsEndpointConfig"] = {**endpoints["dnsEndpointConfig"], "endpoint": host}
    certificate = f"-----BEGIN CERTIFICATE-----\nMOCK CA OF {physical}\n-----END CERTIFICATE-----\n"
    return path, {
        "name": physical,
        "project": project,
        "location": location,
        "endpoint": endpoint,
        "selfLink": f"{CONTAINER_API}/{path}",
        "masterAuth": {
            "clusterCaCertificate": base64.b64encode(certificate.encode()).decode(),
            "clientCertificateConfig": {"issueClientCertificate": False},
        },
        "privateClusterConfig": private,
        **({"controlPlaneEndpointsConfig": endpoints} if endpoints else {}),
        "masterVersion": f"{minor}.{GKE_PATCH}",
        "servicesIpv4Cidr": "",
        "labelFingerprint": ctx.digest(path, "labels", length=8),
        "operation": None,
        "effectiveLabels": dict(inputs.get("resourceLabels") or {}),
    }


def _node_pool(
    ctx: MockContext, physical: str, inputs: dict[str, Any], project: str, name: str
) -> tuple[str, State]:
    location = str(inputs.get("location") or ctx.region)
    cluster = str(inputs.get("cluster"))
    path = f"projects/{project}/locations/{location}/clusters/{cluster}/nodePools/{physical}"
    zones = [str(z) for z in inputs.get("nodeLocations") or [f"{ctx.region}-a"]]
    group = f"gke-{cluster[:14]}-{physical[:15]}-{ctx.digest(path, length=8)}-grp"
    return path, {
        "name": physical,
        "project": project,
        "location": location,
        "instanceGroupUrls": [
            f"{API}/projects/{project}/zones/{z}/instanceGroupManagers/{group}" for z in zones
        ],
        "managedInstanceGroupUrls": [
            f"{API}/projects/{project}/zones/{z}/instanceGroups/{group}" for z in zones
        ],
        "operation": None,
    }


def _service_account(
    ctx: MockContext, physical: str, inputs: dict[str, Any], project: str, name: str
) -> tuple[str, State]:
    email = f"{inputs.get('accountId')}@{project}.iam.gserviceaccount.com"
    path = f"projects/{project}/serviceAccounts/{email}"
    return path, {
        "name": path,
        "email": email,
        "member": f"serviceAccount:{email}",
        "project": project,
        "uniqueId": str(10**20 + int(ctx.digest(path, length=15), 16) % 10**20),
    }


def _iam_member(
    parent_key: str,
) -> Builder:
    """`<parent> <role> <member>`, the provider's id for a single IAM binding member."""

    def build(
        ctx: MockContext, physical: str, inputs: dict[str, Any], project: str, name: str
    ) -> tuple[str, State]:
        parent = str(inputs.get(parent_key) or project)
        role, member = str(inputs.get("role")), str(inputs.get("member"))
        if parent_key == "bucket":
            parent = f"b/{parent}"
        return f"{parent}/{role}/{member}", {"etag": _etag(ctx, parent, role, member)}

    return build


def _key_ring(
    ctx: MockContext, physical: str, inputs: dict[str, Any], project: str, name: str
) -> tuple[str, State]:
    location = str(inputs.get("location") or ctx.region)
    path = f"projects/{project}/locations/{location}/keyRings/{physical}"
    return path, {"name": physical, "project": project, "location": location}


def _crypto_key(
    ctx: MockContext, physical: str, inputs: dict[str, Any], project: str, name: str
) -> tuple[str, State]:
    path = f"{inputs.get('keyRing')}/cryptoKeys/{physical}"
    return path, {
        "name": physical,
        "purpose": inputs.get("purpose") or "ENCRYPT_DECRYPT",
        "primaries": [{"name": f"{path}/cryptoKeyVersions/1", "state": "ENABLED"}],
        "effectiveLabels": dict(inputs.get("labels") or {}),
    }


def _bucket(
    ctx: MockContext, physical: str, inputs: dict[str, Any], project: str, name: str
) -> tuple[str, State]:
    return physical, {
        "name": physical,
        "project": project,
        "location": str(inputs.get("location") or ctx.region).upper(),
        "url": f"gs://{physical}",
        "selfLink": f"{STORAGE_API}/b/{physical}",
        "projectNumber": int(PROJECT_NUMBER),
        "effectiveLabels": dict(inputs.get("labels") or {}),
    }


def _project_service(
    ctx: MockContext, physical: str, inputs: dict[str, Any], project: str, name: str
) -> tuple[str, State]:
    service = str(inputs.get("service"))
    return f"{project}/{service}", {"project": project, "service": service}


def _service_identity(
    ctx: MockContext, physical: str, inputs: dict[str, Any], project: str, name: str
) -> tuple[str, State]:
    service = str(inputs.get("service"))
    domain = SERVICE_AGENT_DOMAINS.get(service, f"gcp-sa-{service.split('.', maxsplit=1)[0]}")
    email = service_agent(domain)
    return f"projects/{project}/services/{service}", {
        "project": project,
        "service": service,
        "email": email,
        "member": f"serviceAccount:{email}",
    }


BUILDERS: dict[str, Builder] = {
    "gcp:projects/service:Service": _project_service,
    "gcp:projects/serviceIdentity:ServiceIdentity": _service_identity,
    "gcp:container/cluster:Cluster": _cluster,
    "gcp:container/nodePool:NodePool": _node_pool,
    "gcp:serviceaccount/account:Account": _service_account,
    "gcp:serviceaccount/iAMMember:IAMMember": _iam_member("serviceAccountId"),
    "gcp:projects/iAMMember:IAMMember": _iam_member("project"),
    "gcp:kms/keyRing:KeyRing": _key_ring,
    "gcp:kms/cryptoKey:CryptoKey": _crypto_key,
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": _iam_member("cryptoKeyId"),
    "gcp:storage/bucket:Bucket": _bucket,
    "gcp:storage/bucketIAMMember:BucketIAMMember": _iam_member("bucket"),
}


def call(ctx: MockContext, token: str, args: dict[str, Any]) -> dict[str, Any] | None:
    project = str(args.get("project") or args.get("projectId") or ctx.gcp_project)
    if token == "gcp:organizations/getProject:getProject":
        return {
            "id": f"projects/{project}",
            "projectId": project,
            "number": PROJECT_NUMBER,
            "name": project,
        }
    if token == "gcp:organizations/getClientConfig:getClientConfig":
        return {"project": ctx.gcp_project, "region": ctx.region, "accessToken": "offline"}
    if token == "gcp:storage/getProjectServiceAccount:getProjectServiceAccount":
        email = service_agent("gs-project-accounts")
        return {
            "id": email,
            "emailAddress": email,
            "member": f"serviceAccount:{email}",
            "project": project,
        }
    if token == "gcp:compute/getZones:getZones":
        region = str(args.get("region") or ctx.region)
        letters = ZONE_LETTERS.get(region, "abc")
        return {
            "id": f"projects/{project}/regions/{region}",
            "names": [f"{region}-{letter}" for letter in letters],
            "project": project,
            "region": region,
            "status": args.get("status"),
        }
    return None
