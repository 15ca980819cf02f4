"""`llm-infra render`: every Kubernetes object a stack creates, as YAML files.

One file per object (`<kind>-<namespace>-<name>.yaml`), from the offline plan; Helm
releases go under `helm/` with their chart, repository, version and values, since what
they install is decided by the chart at deploy time. Secret values are never written:
the plan holds them masked, and a Secret renders with its keys' values withheld.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.offline.convert import SECRET, UNKNOWN
from infra.offline.plan import plan_stack
from infra.offline.record import PlanRecord, ResourceRecord

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
WITHHELD = "llm-infra.io/rendered"


@dataclass(frozen=True)
class Rendered:
    path: str
    document: dict[str, Any]


def api_version(type_token: str) -> tuple[str, str]:
    """`kubernetes:apps/v1:Deployment` → (`apps/v1`, `Deployment`); core is just `v1`."""
    _, group_version, kind = type_token.split(":")
    group, _, version = group_version.rpartition("/")
    return (version if group in ("core", "") else group_version), kind


def manifest(record: ResourceRecord) -> dict[str, Any]:
    inputs = dict(record.inputs)
    version, kind = api_version(record.type)
    document: dict[str, Any] = {
        "apiVersion": inputs.pop("apiVersion", version),
        "kind": inputs.pop("kind", kind),
    }
    withheld = [key for key, value in inputs.items() if value == SECRET]
    for key in withheld:
        inputs.pop(key)
    metadata = dict(inputs.pop("metadata", {}) or {})
    if withheld:
        metadata["annotations"] = {
            **(metadata.get("annotations") or {}),
            WITHHELD: f"{', '.join(sorted(withheld))} withheld (secret)",
        }
    document["metadata"] = metadata
    document.update(inputs)
    return document


def helm_release(record: ResourceRecord) -> dict[str, Any]:
    inputs = record.inputs
    return {
        "release": inputs.get("name", record.name),
        "namespace": inputs.get("namespace"),
        "chart": inputs.get("chart"),
        "repository": (inputs.get("repositoryOpts") or {}).get("repo"),
        "version": inputs.get("version"),
        "values": inputs.get("values") or {},
    }


def _slug(*parts: str | None) -> str:
    return "-".join(p for p in parts if p).lower().replace("/", "-").replace(".", "-")


def kubernetes_objects(plan: PlanRecord) -> list[Rendered]:
    found: list[Rendered] = []
    for record in plan.resources:
        if not record.custom or not record.type.startswith("kubernetes:"):
            continue
        if record.type == HELM_RELEASE:
            release = helm_release(record)
            name = _slug(release["namespace"], release["release"])
            found.append(Rendered(f"helm/{name}.yaml", release))
            continue
        document = manifest(record)
        metadata = document["metadata"]
        name = _slug(document["kind"], metadata.get("namespace"), metadata.get("name"))
        found.append(Rendered(f"{name}.yaml", document))
    return sorted(found, key=lambda r: r.path)


def has_unknowns(value: Any) -> bool:
    if isinstance(value, dict):
        return any(has_unknowns(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknowns(v) for v in value)
    return value == UNKNOWN


def write(objects: list[Rendered], out_dir: Path) -> list[Path]:
    written = []
    for rendered in objects:
        path = out_dir / rendered.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            yaml.safe_dump(rendered.document, sort_keys=True, allow_unicode=True),
            encoding="utf-8",
        )
        written.append(path)
    return written


def render_stack(stack: str, project_dir: Path | None, out_dir: Path) -> str:
    """Writes the files and returns a one-line summary."""
    objects = kubernetes_objects(plan_stack(stack, project_dir))
    paths = write(objects, out_dir)
    releases = sum(1 for o in objects if o.path.startswith("helm/"))
    return (
        f"stack '{stack}': {len(paths) - releases} Kubernetes objects and "
        f"{releases} Helm releases written to {out_dir}\n"
    )
