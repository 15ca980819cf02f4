"""What an AKS node pool carries: mode, labels, taints, scaling and capacity settings.

Plain values shared by the cluster's inline system pool and the separate GPU pools, so
both read the same way to the scheduler, the autoscaler and the policy packs.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from components.enums import CapacityType, GpuType
from components.seam import GPU_LABEL, GPU_TAINT_EFFECT, GPU_TAINT_KEY, GPU_TAINT_VALUE, POOL_LABEL

GPU_TAINT = f"{GPU_TAINT_KEY}={GPU_TAINT_VALUE}:{GPU_TAINT_EFFECT}"
# Keeps application pods off the system pool; AKS's own add-ons tolerate it.
CRITICAL_ADDONS_TAINT = "CriticalAddonsOnly=true:NoSchedule"
# Pay up to the on-demand price: a spot node is then evicted for capacity, never for price.
SPOT_MAX_PRICE_ON_DEMAND = -1.0


@dataclass(frozen=True)
class PoolProfile:
    pool: str
    """Pool name: the `llm-infra.io/pool` label on every node."""
    vm_size: str
    min_nodes: int
    max_nodes: int
    disk_size_gib: int
    system: bool = False
    """The cluster's System pool: CPU, critical add-ons only."""
    capacity_type: CapacityType = CapacityType.ON_DEMAND
    gpu: GpuType | None = None
    """None for a CPU pool: no GPU label, no GPU taint, no GPU driver."""
    gpu_label: str | None = None
    """The `llm-infra.io/gpu` label where the VM's GPU is not `gpu`'s own variant (the
    catalog's `gpu_label`: Azure's A10 VMs, configured as `a10g`, label `a10`)."""
    agent_pool: str | None = None
    """The AKS node pool's name where it differs from `pool` (one CPU pool per zone)."""
    zones: tuple[str, ...] = ()
    """Availability zones; empty where the VM size is not zonal in the region."""
    kubernetes_version: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    proximity_placement: bool = False
    """Put the pool's nodes in their own proximity placement group: a pool holding a
    multi-node replica (infra.topology.compact_pools). Needs exactly one zone; only a
    separately managed pool (components.azure.node_pool) takes one."""


def node_labels(profile: PoolProfile) -> dict[str, str]:
    labels = {POOL_LABEL: profile.pool}
    if profile.gpu is not None:
        labels[GPU_LABEL] = profile.gpu_label or profile.gpu.value
    return labels


def node_taints(profile: PoolProfile) -> list[str]:
    taints = []
    if profile.system:
        taints.append(CRITICAL_ADDONS_TAINT)
    if profile.gpu is not None:
        taints.append(GPU_TAINT)
    return taints


def capacity_settings(capacity: CapacityType) -> dict[str, Any]:
    """Spot pools are deleted on eviction (deallocated VMs still bill their disks and
    quota); on-demand pools take Azure's Regular priority."""
    if capacity is CapacityType.SPOT:
        return {
            "scale_set_priority": "Spot",
            "scale_set_eviction_policy": "Delete",
            "spot_max_price": SPOT_MAX_PRICE_ON_DEMAND,
        }
    return {"scale_set_priority": "Regular"}


def pool_settings(profile: PoolProfile, subnet_id: Any) -> dict[str, Any]:
    """Keyword arguments common to `AgentPool` and the cluster's inline pool profile."""
    settings: dict[str, Any] = {
        "mode": "System" if profile.system else "User",
        "vm_size": profile.vm_size,
        "os_type": "Linux",
        "os_sku": "AzureLinux" if profile.gpu is None else "Ubuntu",
        "type": "VirtualMachineScaleSets",
        "os_disk_size_gb": profile.disk_size_gib,
        "os_disk_type": "Managed",
        "enable_auto_scaling": True,
        "min_count": profile.min_nodes,
        "max_count": profile.max_nodes,
        "count": max(profile.min_nodes, 1) if profile.system else profile.min_nodes,
        "node_labels": node_labels(profile),
        "node_taints": node_taints(profile),
        "enable_node_public_ip": False,
        "vnet_subnet_id": subnet_id,
        "tags": dict(profile.tags),
        **capacity_settings(profile.capacity_type),
    }
    if profile.zones:
        settings["availability_zones"] = list(profile.zones)
    if profile.kubernetes_version:
        settings["orchestrator_version"] = profile.kubernetes_version
    if profile.gpu is not None:
        # AKS installs the NVIDIA driver on GPU sizes; the device plugin comes separately.
        settings["gpu_profile"] = {"driver": "Install"}
    return settings
