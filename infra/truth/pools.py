"""The node pools a plan creates, on any cloud, as the scheduler will see their nodes."""

from dataclasses import dataclass
from typing import Any

from infra.offline.record import PlanRecord

EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
GKE_NODE_POOL = "gcp:container/nodePool:NodePool"
AKS_AGENT_POOL = "azure-native:containerservice:AgentPool"
AKS_CLUSTER = "azure-native:containerservice:ManagedCluster"

# Labels the kubelet puts on every Linux node of these pools (kubernetes.io/os and arch are
# well-known labels every kubelet sets: kubernetes.io docs, "Well-Known Labels").
NODE_LABELS = {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
# AKS taints every node of a spot pool itself (AKS docs, "Add an Azure Spot node pool":
# `kubernetes.azure.com/scalesetpriority=spot:NoSchedule`).
AKS_SPOT_TAINT = ("kubernetes.azure.com/scalesetpriority", "spot", "NoSchedule")
# The providers spell taint effects as enums; the scheduler as Kubernetes names.
EFFECTS = {
    "NO_SCHEDULE": "NoSchedule",
    "NO_EXECUTE": "NoExecute",
    "PREFER_NO_SCHEDULE": "PreferNoSchedule",
}


@dataclass(frozen=True)
class Taint:
    key: str
    value: str | None
    effect: str

    @property
    def blocks_scheduling(self) -> bool:
        return self.effect in ("NoSchedule", "NoExecute")


@dataclass(frozen=True)
class NodePool:
    name: str
    """The pool as the plan names it (the resource's name)."""
    urn: str
    """The resource whose creation means the pool exists: what pods on it wait for."""
    labels: dict[str, str]
    taints: tuple[Taint, ...]
    instance_type: str
    min_nodes: int
    max_nodes: int
    initial_nodes: int
    """Nodes the pool starts with on creation, over all its zones."""
    zones: tuple[str, ...]
    spot: bool = False
    profile: str = ""
    """The inline agent pool profile's name inside an AKS cluster; "" for a pool resource."""


def node_pools(plan: PlanRecord) -> list[NodePool]:
    return [
        pool
        for resource in plan.resources
        for pool in resource_pools(resource.type, resource.name, resource.urn, resource.inputs)
    ]


def resource_pools(type_: str, name: str, urn: str, inputs: dict[str, Any]) -> list[NodePool]:
    """The pools one resource creates: one for a pool resource, each inline agent pool
    profile for an AKS cluster (its System pool), none for anything else."""
    if type_ == EKS_NODE_GROUP:
        return [_eks(name, urn, inputs)]
    if type_ == GKE_NODE_POOL:
        return [_gke(name, urn, inputs)]
    if type_ == AKS_AGENT_POOL:
        return [_aks(urn, name, inputs)]
    if type_ == AKS_CLUSTER:
        return [
            _aks(urn, str(profile.get("name", "")), profile, inline=True)
            for profile in inputs.get("agentPoolProfiles") or []
            if isinstance(profile, dict)
        ]
    return []


def _eks(name: str, urn: str, inputs: dict[str, Any]) -> NodePool:
    scaling = inputs.get("scalingConfig") or {}
    taints = tuple(
        Taint(str(t["key"]), t.get("value"), EFFECTS.get(str(t.get("effect")), "NoSchedule"))
        for t in inputs.get("taints") or []
    )
    return NodePool(
        name=name,
        urn=urn,
        labels={**NODE_LABELS, **(inputs.get("labels") or {})},
        taints=taints,
        instance_type=str((inputs.get("instanceTypes") or [""])[0]),
        min_nodes=int(scaling.get("minSize", 0)),
        max_nodes=int(scaling.get("maxSize", 0)),
        initial_nodes=int(scaling.get("desiredSize", 0)),
        # an EKS node group's zones are its subnets' (not in the plan as names)
        zones=tuple(str(s) for s in inputs.get("subnetIds") or []),
        spot=inputs.get("capacityType") == "SPOT",
    )


def _gke(name: str, urn: str, inputs: dict[str, Any]) -> NodePool:
    node_config = inputs.get("nodeConfig") or {}
    autoscaling = inputs.get("autoscaling") or {}
    zones = tuple(str(z) for z in inputs.get("nodeLocations") or [])
    per_zone = len(zones) or 1
    taints = tuple(
        Taint(str(t["key"]), t.get("value"), EFFECTS.get(str(t.get("effect")), "NoSchedule"))
        for t in node_config.get("taints") or []
    )
    # total_* bound the whole pool; min/max_node_count are per zone
    # (terraform-provider-google, google_container_node_pool: autoscaling block).
    if "totalMaxNodeCount" in autoscaling or "totalMinNodeCount" in autoscaling:
        low = int(autoscaling.get("totalMinNodeCount", 0))
        high = int(autoscaling.get("totalMaxNodeCount", 0))
    else:
        low = int(autoscaling.get("minNodeCount", 0)) * per_zone
        high = int(autoscaling.get("maxNodeCount", 0)) * per_zone
    # initial_node_count and node_count are per zone (same docs).
    start = inputs.get("nodeCount", inputs.get("initialNodeCount", 0))
    return NodePool(
        name=name,
        urn=urn,
        labels={**NODE_LABELS, **(node_config.get("labels") or {})},
        taints=taints,
        instance_type=str(node_config.get("machineType", "")),
        min_nodes=low,
        max_nodes=high,
        initial_nodes=int(start or 0) * per_zone,
        zones=zones,
        spot=bool(node_config.get("spot") or node_config.get("preemptible")),
    )


def _aks(urn: str, name: str, inputs: dict[str, Any], *, inline: bool = False) -> NodePool:
    taints = []
    for text in inputs.get("nodeTaints") or []:
        key_value, _, effect = str(text).partition(":")
        key, _, value = key_value.partition("=")
        taints.append(Taint(key, value or None, effect or "NoSchedule"))
    if str(inputs.get("scaleSetPriority", "")).lower() == "spot":
        taints.append(Taint(*AKS_SPOT_TAINT))
    autoscaled = bool(inputs.get("enableAutoScaling"))
    count = int(inputs.get("count", 0) or 0)
    return NodePool(
        name=name,
        urn=urn,
        labels={**NODE_LABELS, **(inputs.get("nodeLabels") or {})},
        taints=tuple(taints),
        instance_type=str(inputs.get("vmSize", "")),
        min_nodes=int(inputs.get("minCount", count)) if autoscaled else count,
        max_nodes=int(inputs.get("maxCount", count)) if autoscaled else count,
        initial_nodes=count,
        zones=tuple(str(z) for z in inputs.get("availabilityZones") or []),
        spot=str(inputs.get("scaleSetPriority", "")).lower() == "spot",
        profile=name if inline else "",
    )
