"""Outputs the Kubernetes API server (and Helm) would return for the program's objects."""

from typing import Any

from infra.offline.mocks.context import MockContext

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


def resource(
    ctx: MockContext, typ: str, name: str, inputs: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    if typ == HELM_RELEASE:
        release = str(inputs.get("name") or name)
        namespace = str(inputs.get("namespace") or "default")
        return f"{namespace}/{release}", {
            "name": release,
            "status": {
                "name": release,
                "namespace": namespace,
                "chart": inputs.get("chart"),
                "version": inputs.get("version"),
                "status": "deployed",
                "revision": 1,
            },
        }
    metadata = dict(inputs.get("metadata") or {})
    object_name = str(metadata.get("name") or name)
    scope = metadata.get("namespace")
    resource_id = f"{scope}/{object_name}" if scope else object_name
    return resource_id, {"metadata": {**metadata, "name": object_name}, "status": {}}
