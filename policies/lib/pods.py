"""Pod specs inside Kubernetes workload resources."""

from collections.abc import Iterator, Mapping
from typing import Any

from policies.lib.props import get, items

WORKLOADS = {
    "kubernetes:apps/v1:Deployment": ("spec", "template"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template"),
    "kubernetes:batch/v1:Job": ("spec", "template"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template"),
    "kubernetes:core/v1:Pod": (),
    # its leader's template; `template_views` gives its worker's too
    "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet": (
        "spec",
        "leaderWorkerTemplate",
        "leaderTemplate",
    ),
}
WORKLOAD_TYPES = tuple(WORKLOADS)
LEADER_WORKER_SET = "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet"


def template_views(type_: str, props: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(role, props) per pod template of a workload, each `props` with that template where
    `pod_template` reads: the workload itself ("") for one template; a LeaderWorkerSet's
    leader and its worker (api/leaderworkerset/v1/leaderworkerset_types.go:151-191 at
    kubernetes-sigs/lws v0.10.0: the worker template is required, the leader's defaults to
    it)."""
    if type_ != LEADER_WORKER_SET:
        return [("", props)]
    spec = get(props, "spec")
    group = get(props, "spec", "leaderWorkerTemplate")
    if not isinstance(spec, Mapping) or not isinstance(group, Mapping):
        return [("", props)]
    worker = group.get("workerTemplate") or {}
    leader = group.get("leaderTemplate") or worker

    def with_template(template: Any) -> Mapping[str, Any]:
        return {
            **props,
            "spec": {**spec, "leaderWorkerTemplate": {**group, "leaderTemplate": template}},
        }

    return [("leader", with_template(leader)), ("worker", with_template(worker))]


def group_size(type_: str, props: Mapping[str, Any]) -> int:
    """Pods per replica: a LeaderWorkerSet's group size, else 1."""
    if type_ != LEADER_WORKER_SET:
        return 1
    return int(get(props, "spec", "leaderWorkerTemplate", "size", default=1) or 1)


def pod_template(type_: str, props: Mapping[str, Any]) -> Mapping[str, Any]:
    found = get(props, *WORKLOADS[type_]) if WORKLOADS.get(type_) else props
    return found if isinstance(found, Mapping) else {}


def pod_spec(type_: str, props: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = get(pod_template(type_, props), "spec")
    return spec if isinstance(spec, Mapping) else {}


def containers(spec: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every container, init and ephemeral ones included, as (kind, container)."""
    for key, kind in (("initContainers", "init container"), ("containers", "container")):
        for container in items(spec, key):
            if isinstance(container, Mapping):
                yield kind, container


def pod_specs(type_: str, props: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(role, pod spec) of every pod template of a workload (see `template_views`)."""
    return [(role, pod_spec(type_, view)) for role, view in template_views(type_, props)]


def claim_templates(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The volume claims each pod of a workload gets: a StatefulSet's, or a
    LeaderWorkerSet's (types.go:180-190 at kubernetes-sigs/lws v0.10.0)."""
    spec = get(props, "spec")
    if not isinstance(spec, Mapping):
        return []
    found = spec.get("volumeClaimTemplates") or get(
        spec, "leaderWorkerTemplate", "volumeClaimTemplates"
    )
    return [t for t in found or [] if isinstance(t, Mapping)]
