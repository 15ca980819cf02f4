"""The pods a plan asks Kubernetes to run: from its workloads and its Helm releases."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from infra.offline.record import PlanRecord, ResourceRecord
from infra.truth.pools import NodePool, Taint
from policies.lib.pods import LEADER_WORKER_SET, claim_templates, pod_spec, template_views

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
WORKLOAD_KINDS = {
    "kubernetes:apps/v1:Deployment": "Deployment",
    "kubernetes:apps/v1:StatefulSet": "StatefulSet",
    "kubernetes:apps/v1:DaemonSet": "DaemonSet",
    "kubernetes:batch/v1:Job": "Job",
    "kubernetes:batch/v1:CronJob": "CronJob",
}
# Charts whose only pods are DaemonSets: they run on whatever nodes exist, and need none to
# be ready (NVIDIA/k8s-device-plugin and NVIDIA/dcgm-exporter charts: one DaemonSet each).
DAEMONSET_CHARTS = frozenset({"nvidia-device-plugin", "dcgm-exporter"})
# Charts that create no pods: Envoy AI Gateway's CRDs chart holds CRDs only
# (envoyproxy/ai-gateway@v1.1.0 manifests/charts/ai-gateway-crds-helm/templates/).
POD_LESS_CHARTS = frozenset({"ai-gateway-crds-helm"})
# Envoy Gateway deploys the proxies of a Gateway as its EnvoyProxy says
# (envoyproxy/gateway@v1.8.3 api/v1alpha1/envoyproxy_types.go: provider.kubernetes.
# envoyDeployment, a KubernetesDeploymentSpec with replicas, pod and container).
ENVOY_PROXY = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"


def chart_name(chart: Any) -> str:
    """A release's chart by name: `keda`, or the last part of an OCI reference."""
    return str(chart or "").rstrip("/").rsplit("/", 1)[-1]


def envoy_deployment(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The `envoyDeployment` of an EnvoyProxy's spec ({} when it sets none)."""
    spec = inputs.get("spec") or {}
    kubernetes = (spec.get("provider") or {}).get("kubernetes") or {}
    return dict(kubernetes.get("envoyDeployment") or {})


@dataclass(frozen=True)
class Toleration:
    key: str | None
    operator: str
    value: str | None
    effect: str | None

    def tolerates(self, taint: Taint) -> bool:
        if self.effect and self.effect != taint.effect:
            return False
        if self.key is None or self.key == "":
            return self.operator == "Exists"
        if self.key != taint.key:
            return False
        return self.operator == "Exists" or (self.value or None) == (taint.value or None)


@dataclass(frozen=True)
class PodTemplate:
    resource: ResourceRecord
    """The workload or Helm release that creates these pods."""
    node_selector: dict[str, str]
    tolerations: tuple[Toleration, ...]
    storage_classes: tuple[str, ...]
    """StorageClasses of the volumes the pods claim."""
    daemon: bool
    """A DaemonSet's pods: one per matching node, no node needed before it is created."""
    node_affinity: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    """Required node affinity as (key, operator, values): In, NotIn, Exists, DoesNotExist."""
    role: str = ""
    """Which template of a workload with several: a LeaderWorkerSet's `leader` or `worker`."""

    def misfit(self, pool: NodePool) -> str | None:
        """Why the pods cannot land on the pool's nodes (None when they can)."""
        for key, value in self.node_selector.items():
            if pool.labels.get(key) != value:
                found = pool.labels.get(key)
                return f"selects {key}={value}, the nodes have {found or 'no such label'}"
        for term in self.node_affinity:
            if not _matches(pool.labels, *term):
                key, operator, values = term
                return f"needs node affinity {key} {operator} {list(values) or ''}".rstrip()
        for taint in pool.taints:
            if taint.blocks_scheduling and not any(t.tolerates(taint) for t in self.tolerations):
                value = f"={taint.value}" if taint.value else ""
                return f"does not tolerate the taint {taint.key}{value}:{taint.effect}"
        return None

    def fits(self, pool: NodePool) -> bool:
        """The pool's nodes match the selector and affinity, and every blocking taint is
        tolerated."""
        if any(pool.labels.get(key) != value for key, value in self.node_selector.items()):
            return False
        if not all(_matches(pool.labels, *term) for term in self.node_affinity):
            return False
        return all(
            any(t.tolerates(taint) for t in self.tolerations)
            for taint in pool.taints
            if taint.blocks_scheduling
        )


def _matches(labels: dict[str, str], key: str, operator: str, values: tuple[str, ...]) -> bool:
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    if operator == "In":
        return labels.get(key) in values
    if operator == "NotIn":
        return labels.get(key) not in values
    return True  # Gt/Lt: not used by the stacks; never narrows here


def _affinity(value: Any) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """The first required node-affinity term's expressions found in `value`."""
    for key, item in _walk(value):
        if key == "requiredDuringSchedulingIgnoredDuringExecution" and isinstance(item, dict):
            for term in item.get("nodeSelectorTerms") or []:
                return tuple(
                    (str(e["key"]), str(e["operator"]), tuple(e.get("values") or ()))
                    for e in term.get("matchExpressions") or []
                )
    return ()


def pod_templates(plan: PlanRecord) -> list[PodTemplate]:
    templates: list[PodTemplate] = []
    for resource in plan.resources:
        kind = WORKLOAD_KINDS.get(resource.type)
        if kind is not None:
            templates.append(_workload(resource, kind))
        elif resource.type == LEADER_WORKER_SET:
            templates += [
                _workload(resource, kind="LeaderWorkerSet", inputs=view, role=role)
                for role, view in template_views(resource.type, resource.inputs)
            ]
        elif resource.type == HELM_RELEASE:
            if chart_name(resource.inputs.get("chart")) not in POD_LESS_CHARTS:
                templates.append(_release(resource))
        elif resource.type == ENVOY_PROXY:
            templates.append(_envoy_proxies(resource))
    return templates


def _envoy_proxies(resource: ResourceRecord) -> PodTemplate:
    pod = envoy_deployment(resource.inputs).get("pod") or {}
    return PodTemplate(
        resource=resource,
        node_selector={str(k): str(v) for k, v in (pod.get("nodeSelector") or {}).items()},
        tolerations=_tolerations(pod.get("tolerations") or []),
        storage_classes=(),
        daemon=False,
        node_affinity=_affinity(pod.get("affinity") or {}),
    )


def _tolerations(items: list[dict[str, Any]]) -> tuple[Toleration, ...]:
    return tuple(
        Toleration(
            key=item.get("key"),
            operator=str(item.get("operator", "Equal")),
            value=item.get("value"),
            effect=item.get("effect"),
        )
        for item in items
    )


def _workload(
    resource: ResourceRecord,
    kind: str,
    *,
    inputs: Mapping[str, Any] | None = None,
    role: str = "",
) -> PodTemplate:
    """`inputs` and `role`: one pod template of a workload with several (a LeaderWorkerSet's
    leader or worker)."""
    pod = dict(pod_spec(resource.type, inputs if inputs is not None else resource.inputs))
    claims = tuple(
        str((t.get("spec") or {}).get("storageClassName", ""))
        for t in claim_templates(resource.inputs)
    )
    return PodTemplate(
        resource=resource,
        node_selector=dict(pod.get("nodeSelector") or {}),
        tolerations=_tolerations(pod.get("tolerations") or []),
        storage_classes=claims,
        daemon=kind == "DaemonSet",
        node_affinity=_affinity(pod.get("affinity") or {}),
        role=role,
    )


def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _release(resource: ResourceRecord) -> PodTemplate:
    """A release's pods as its values place them: every `nodeSelector` the values set
    (the charts we configure apply one to each of their components), every toleration,
    and every `storageClassName` they claim."""
    values = resource.inputs.get("values") or {}
    selector: dict[str, str] = {}
    tolerations: list[dict[str, Any]] = []
    classes: list[str] = []
    for key, item in _walk(values):
        if key == "nodeSelector" and isinstance(item, dict):
            selector.update({str(k): str(v) for k, v in item.items()})
        elif key == "tolerations" and isinstance(item, list):
            tolerations.extend(t for t in item if isinstance(t, dict) and t not in tolerations)
        elif key == "storageClassName" and isinstance(item, str):
            classes.append(item)
    return PodTemplate(
        resource=resource,
        node_selector=selector,
        tolerations=_tolerations(tolerations),
        storage_classes=tuple(dict.fromkeys(classes)),
        daemon=str(resource.inputs.get("chart", "")) in DAEMONSET_CHARTS,
        node_affinity=_affinity(values),
    )
