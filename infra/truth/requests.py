"""What each pod of a plan asks the scheduler for: CPU, memory, GPUs, and how many."""

import re
from dataclasses import dataclass
from typing import Any

from infra.offline.record import PlanRecord
from infra.truth.pods import (
    ENVOY_PROXY,
    WORKLOAD_KINDS,
    PodTemplate,
    envoy_deployment,
    pod_templates,
)
from policies.lib.pods import group_size, pod_spec, template_views

GPU_RESOURCE = "nvidia.com/gpu"
SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject"
_SUFFIXES = {
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
    "Ti": 1024**4,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
}


def millicores(value: Any) -> int:
    """A Kubernetes CPU quantity ("500m", "2", 1.5) in millicores."""
    text = str(value)
    if text.endswith("m"):
        return int(float(text[:-1]))
    return round(float(text) * 1000)


def memory_bytes(value: Any) -> int:
    """A Kubernetes memory quantity ("512Mi", "4Gi", "1G", "129e6") in bytes."""
    match = re.fullmatch(r"([0-9.eE+-]+)([KMGT]i?|k)?", str(value))
    if match is None:
        raise ValueError(f"not a memory quantity: {value!r}")
    number, suffix = match.groups()
    return int(float(number) * _SUFFIXES.get(suffix or "", 1))


@dataclass(frozen=True)
class Request:
    millicores: int = 0
    memory_bytes: int = 0
    gpus: int = 0

    def __add__(self, other: "Request") -> "Request":
        return Request(
            self.millicores + other.millicores,
            self.memory_bytes + other.memory_bytes,
            self.gpus + other.gpus,
        )

    def at_least(self, other: "Request") -> "Request":
        return Request(
            max(self.millicores, other.millicores),
            max(self.memory_bytes, other.memory_bytes),
            max(self.gpus, other.gpus),
        )


def container_request(resources: dict[str, Any]) -> Request:
    """Requests, or the limits where a request is unset (Kubernetes defaults one to the
    other)."""
    limits = resources.get("limits") or {}
    requests = {**limits, **(resources.get("requests") or {})}
    if not any(key in requests for key in ("cpu", "memory", GPU_RESOURCE)):
        return Request()
    return Request(
        millicores(requests["cpu"]) if "cpu" in requests else 0,
        memory_bytes(requests["memory"]) if "memory" in requests else 0,
        int(requests.get(GPU_RESOURCE, limits.get(GPU_RESOURCE, 0))),
    )


def pod_request(pod: dict[str, Any]) -> Request:
    """The scheduler's view of a pod: its containers' requests summed, or its largest init
    container's where that is more."""
    total = Request()
    for container in pod.get("containers") or []:
        total = total + container_request(container.get("resources") or {})
    for container in pod.get("initContainers") or []:
        total = total.at_least(container_request(container.get("resources") or {}))
    return total


@dataclass(frozen=True)
class PodGroup:
    template: PodTemplate
    component: str
    """The workload's name, or the chart component whose values set the requests."""
    request: Request
    min_replicas: int
    max_replicas: int


def pod_groups(plan: PlanRecord) -> list[PodGroup]:
    scaled = _scaled_maximums(plan)
    groups: list[PodGroup] = []
    for template in pod_templates(plan):
        resource = template.resource
        kind = WORKLOAD_KINDS.get(resource.type)
        if resource.type == ENVOY_PROXY:
            groups.append(_envoy_proxy_group(template))
            continue
        if template.role:
            groups.append(_group_member(template, scaled))
            continue
        if kind is None:
            groups += _release_groups(template)
            continue
        spec = resource.inputs.get("spec") or {}
        replicas = int(spec.get("replicas", 1)) if kind in ("Deployment", "StatefulSet") else 1
        meta = resource.inputs.get("metadata") or {}
        key = (str(meta.get("namespace", "")), str(meta.get("name", "")))
        groups.append(
            PodGroup(
                template=template,
                component=resource.name,
                request=pod_request(dict(pod_spec(resource.type, resource.inputs))),
                min_replicas=replicas,
                max_replicas=max(replicas, scaled.get(key, replicas)),
            )
        )
    return groups


def _group_member(template: PodTemplate, scaled: dict[tuple[str, str], int]) -> PodGroup:
    """A LeaderWorkerSet's leaders (one per group) or workers (size - 1 per group)."""
    resource = template.resource
    spec = resource.inputs.get("spec") or {}
    groups = int(spec.get("replicas", 1))
    per_group = 1 if template.role == "leader" else group_size(resource.type, resource.inputs) - 1
    meta = resource.inputs.get("metadata") or {}
    key = (str(meta.get("namespace", "")), str(meta.get("name", "")))
    view = dict(template_views(resource.type, resource.inputs))[template.role]
    return PodGroup(
        template=template,
        component=f"{resource.name}/{template.role}",
        request=pod_request(dict(pod_spec(resource.type, view))),
        min_replicas=groups * per_group,
        max_replicas=max(groups, scaled.get(key, groups)) * per_group,
    )


# Envoy Gateway's defaults for a proxy that sets no resources, and one replica
# (envoyproxy/gateway@v1.8.3 api/v1alpha1/shared_types.go:24-27; envoyproxy_types.go).
ENVOY_DEFAULT_RESOURCES = {"requests": {"cpu": "100m", "memory": "512Mi"}}


def _envoy_proxy_group(template: PodTemplate) -> PodGroup:
    deployment = envoy_deployment(template.resource.inputs)
    resources = (deployment.get("container") or {}).get("resources") or ENVOY_DEFAULT_RESOURCES
    replicas = int(deployment.get("replicas", 1) or 1)
    return PodGroup(
        template=template,
        component=f"{template.resource.name}/envoy",
        request=container_request(resources),
        min_replicas=replicas,
        max_replicas=replicas,
    )


def _scaled_maximums(plan: PlanRecord) -> dict[tuple[str, str], int]:
    """KEDA's ceiling per scaled Deployment: the max-replica case for the simulation."""
    found: dict[tuple[str, str], int] = {}
    for scaler in plan.of_type(SCALED_OBJECT):
        spec = scaler.inputs.get("spec") or {}
        namespace = str((scaler.inputs.get("metadata") or {}).get("namespace", ""))
        target = str((spec.get("scaleTargetRef") or {}).get("name", ""))
        found[(namespace, target)] = int(spec.get("maxReplicaCount", 1))
    return found


def _release_groups(template: PodTemplate) -> list[PodGroup]:
    """A chart's pods as its values size them: one pod per `resources` block the values set
    (beside `replicas` / `replicaCount` where given); components whose requests the values
    leave to the chart are not counted."""
    groups: list[PodGroup] = []
    values = template.resource.inputs.get("values") or {}
    for path, block in _resource_blocks(values, ()):
        parent = block.get("__parent__", {})
        replicas = int(parent.get("replicas", parent.get("replicaCount", 1)) or 1)
        request = container_request(block["resources"])
        if request == Request():
            continue  # a volume's `resources` (storage), not a container's
        groups.append(
            PodGroup(
                template=template,
                component=f"{template.resource.name}/{'.'.join(path) or 'chart'}",
                request=request,
                min_replicas=replicas,
                max_replicas=replicas,
            )
        )
    return groups


def _resource_blocks(
    value: Any, path: tuple[str, ...]
) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    found: list[tuple[tuple[str, ...], dict[str, Any]]] = []
    if not isinstance(value, dict):
        return found
    resources = value.get("resources")
    if isinstance(resources, dict) and ("requests" in resources or "limits" in resources):
        found.append((path, {"resources": resources, "__parent__": value}))
    elif isinstance(resources, dict):
        # KEDA's values group the requests per component: resources.operator.requests, …
        for key, item in resources.items():
            if isinstance(item, dict) and ("requests" in item or "limits" in item):
                found.append(((*path, key), {"resources": item, "__parent__": {}}))
    for key, item in value.items():
        if key != "resources":
            found += _resource_blocks(item, (*path, key))
    return found
