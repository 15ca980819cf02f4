"""Node pools of any cloud, read from their resources: instance type, bounds, capacity type."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from components.catalog import InstanceType, catalog
from policies.lib.props import get, items

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

    @property
    def where(self) -> str:
        """A message prefix naming an inline pool ("" for a pool resource)."""
        return f"agent pool {self.name}: " if self.name else ""


def _labels(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _aks(props: Mapping[str, Any]) -> tuple[str, int, int, bool, Mapping[str, Any]]:
    return (
        str(get(props, "vmSize", default="")),
        int(get(props, "minCount", default=0)),
        int(get(props, "maxCount", default=0)),
        get(props, "scaleSetPriority") == "Spot",
        _labels(get(props, "nodeLabels")),
    )


def _pool(
    instance: str, low: int, high: int, spot: bool, labels: Mapping[str, Any], *, name: str = ""
) -> Pool:
    gpu = next(
        (t for types in catalog().instances.values() for t in types if t.name == instance), None
    )
    return Pool(instance, int(low), int(high), spot, gpu, labels, name)


def read_pool(type_: str, props: Mapping[str, Any]) -> Pool | None:
    if type_ == "aws:eks/nodeGroup:NodeGroup":
        instance = str(get(props, "instanceTypes", 0, default=""))
        low, high = (
            get(props, "scalingConfig", "minSize", default=0),
            get(props, "scalingConfig", "maxSize", default=0),
        )
        spot = get(props, "capacityType") == "SPOT"
        labels = _labels(get(props, "labels"))
    elif type_ == "gcp:container/nodePool:NodePool":
        instance = str(get(props, "nodeConfig", "machineType", default=""))
        low = get(
            props,
            "autoscaling",
            "minNodeCount",
            default=get(props, "autoscaling", "totalMinNodeCount", default=0),
        )
        high = get(
            props,
            "autoscaling",
            "maxNodeCount",
            default=get(props, "autoscaling", "totalMaxNodeCount", default=0),
        )
        spot = bool(
            get(props, "nodeConfig", "spot", default=False)
            or get(props, "nodeConfig", "preemptible", default=False)
        )
        labels = _labels(get(props, "nodeConfig", "labels"))
    elif type_ == "azure-native:containerservice:AgentPool":
        instance, low, high, spot, labels = _aks(props)
    else:
        return None
    return _pool(instance, int(low), int(high), spot, labels)


def read_pools(type_: str, props: Mapping[str, Any]) -> list[Pool]:
    """Every pool a resource creates: one for a pool resource, each inline agent pool
    profile for an AKS cluster, none for anything else."""
    if type_ == AKS_CLUSTER:
        return [
            _pool(*_aks(profile), name=str(get(profile, "name", default="?")))
            for profile in items(props, "agentPoolProfiles")
            if isinstance(profile, Mapping)
        ]
    pool = read_pool(type_, props)
    return [pool] if pool else []
