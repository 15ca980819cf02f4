"""Where a workload's pods land and what they wait for, as the cluster seam says.

A pod on the CPU pool gets the CPU pool's node selector and tolerations and waits for
the CPU pool's nodes (and, when it claims a volume, the storage driver and class); a pod
on a GPU pool gets that pool's selector and tolerations and waits for that pool only.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from components.seam import CPU_POOL_RELEASE_TIMEOUT, KubernetesCluster, Toleration

__all__ = [
    "CPU_POOL_RELEASE_TIMEOUT",
    "HOSTNAME",
    "ZONE",
    "Placement",
    "cpu_placement",
    "gpu_placement",
    "soft_spread",
]

HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"


def soft_spread(topology_key: str, match_labels: Mapping[str, str]) -> dict[str, Any]:
    """A topology spread constraint that spreads the selected pods one apart over
    `topology_key` where it can, and schedules them anyway where it cannot (a crowded zone
    or a pool of one node beats no pod)."""
    return {
        "maxSkew": 1,
        "topologyKey": topology_key,
        "whenUnsatisfiable": "ScheduleAnyway",
        "labelSelector": {"matchLabels": dict(match_labels)},
    }


@dataclass(frozen=True)
class Placement:
    node_selector: Mapping[str, str]
    tolerations: tuple[Toleration, ...]
    ready: tuple[pulumi.Resource, ...]
    """What the workload's resources depend on before they are created."""

    def pod_fields(self) -> dict[str, Any]:
        """`nodeSelector` and `tolerations` of a pod spec (or a chart component's values)."""
        fields: dict[str, Any] = {"nodeSelector": dict(self.node_selector)}
        if self.tolerations:
            fields["tolerations"] = [t.as_dict() for t in self.tolerations]
        return fields


def cpu_placement(cluster: KubernetesCluster, *, claims_volumes: bool = False) -> Placement:
    """On the CPU pool; `claims_volumes` adds the storage driver and class to the waits."""
    ready = cluster.storage_ready() if claims_volumes else cluster.cpu_nodes_ready()
    return Placement(
        node_selector=cluster.cpu_node_selector(),
        tolerations=tuple(cluster.cpu_tolerations()),
        ready=tuple(dict.fromkeys([*cluster.cpu_nodes_ready(), *ready])),
    )


def gpu_placement(cluster: KubernetesCluster, pool: str) -> Placement:
    """On GPU pool `pool`, waiting for that pool's nodes and device plugin only."""
    return Placement(
        node_selector=cluster.gpu_node_selector(pool),
        tolerations=tuple(cluster.gpu_tolerations(pool)),
        ready=tuple(cluster.gpu_nodes_ready(pool)),
    )
