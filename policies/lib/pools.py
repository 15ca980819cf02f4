"""Node pools of any cloud, read from their resources: instance type, bounds, capacity type."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.catalog import InstanceType, catalog
from policies.lib.props import get

NODE_POOL_TYPES = (
    "aws:eks/nodeGroup:NodeGroup",
    "gcp:container/nodePool:NodePool",
    "azure-native:containerservice:AgentPool",
)


@dataclass(frozen=True)
class Pool:
    instance_type: str
    min_nodes: int
    max_nodes: int
    spot: bool
    gpu: InstanceType | None  # the catalog entry when the instance type has GPUs


def read_pool(type_: str, props: Mapping[str, Any]) -> Pool | None:
    if type_ == "aws:eks/nodeGroup:NodeGroup":
        instance = str(get(props, "instanceTypes", 0, default=""))
        low, high = (
            get(props, "scalingConfig", "minSize", default=0),
            get(props, "scalingConfig", "maxSize", default=0),
        )
        spot = get(props, "capacityType") == "SPOT"
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
    elif type_ == "azure-native:containerservice:AgentPool":
        instance = str(get(props, "vmSize", default=""))
        low, high = get(props, "minCount", default=0), get(props, "maxCount", default=0)
        spot = get(props, "scaleSetPriority") == "Spot"
    else:
        return None
    gpu = next(
        (t for types in catalog().instances.values() for t in types if t.name == instance), None
    )
    return Pool(instance, int(low), int(high), spot, gpu)
