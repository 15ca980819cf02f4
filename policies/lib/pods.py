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
}
WORKLOAD_TYPES = tuple(WORKLOADS)


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
