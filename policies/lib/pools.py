"""Node pools of any cloud, read from their resources: instance type, bounds, capacity type."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from components.catalog import InstanceType, catalog
from infra.truth.pools import NODE_LABELS, NodePool, resource_pools
from policies.lib.props import plain

AKS_CLUSTER = "azure-native:containerservice:ManagedCluster"
NODE_POOL_TYPES = (
    "aws:eks/nodeGroup:NodeGroup",
    "gcp:container/nodePool:NodePool",
    "azure-native:containerservice:AgentPool",
)
# Every resource that creates nodes: the pool resources, and the AKS cluster, which
# creates its System pool from its inline agentPoolProfiles.
POOL_TYPES = (*NODE_POOL_TYPES, AKS_CLUSTER)


@dataclass(frozen=True)
class Pool:
    instance_type: str
    min_nodes: int
    max_nodes: int
    spot: bool
    gpu: InstanceType | None  # the catalog entry when the instance type has GPUs
    labels: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""  # an inline pool's name inside its cluster; "" for a pool resource
    zones: tuple[str, ...] = ()
    """Its zones (an EKS node group's subnets, one per zone); () when it names none."""

    @property
    def where(self) -> str:
        """A message prefix naming an inline pool ("" for a pool resource)."""
        return f"agent pool {self.name}: " if self.name else ""


def _pool(found: NodePool) -> Pool:
    gpu = next(
        (
            t
            for types in catalog().instances.values()
            for t in types
            if t.name == found.instance_type
        ),
        None,
    )
    # the pool's own labels: the kubelet's well-known ones say nothing about the pool
    labels = {k: v for k, v in found.labels.items() if k not in NODE_LABELS}
    return Pool(
        found.instance_type,
        found.min_nodes,
        found.max_nodes,
        found.spot,
        gpu,
        labels,
        found.profile,
        found.zones,
    )


def read_pools(type_: str, props: Mapping[str, Any]) -> list[Pool]:
    """Every pool a resource creates: one for a pool resource, each inline agent pool
    profile for an AKS cluster, none for anything else (read as the deploy-truth checks
    read them: infra/truth/pools.py)."""
    return [_pool(found) for found in resource_pools(type_, "", "", plain(props))]
