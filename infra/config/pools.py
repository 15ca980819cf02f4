"""`gpu_pools`: autoscaling GPU node groups / node pools."""

from pydantic import Field

from components.enums import CapacityType, GpuType
from infra.config.base import DnsLabel, Section


class GpuPoolConfig(Section):
    name: DnsLabel = Field(description="Pool name; models refer to it by this name.")
    gpu: GpuType | None = Field(
        None,
        description="Cloud-neutral GPU name. Picks the catalog's instance type for "
        "`gpus_per_node`. Give this or `instance_type` (or both, if they agree).",
    )
    instance_type: str | None = Field(
        None,
        description="Explicit instance type / machine type / VM size from the catalog, "
        "e.g. `g6.12xlarge`.",
    )
    gpus_per_node: int | None = Field(
        None,
        ge=1,
        le=16,
        description="GPUs on each node. Default: the instance type's count, or 1.",
    )
    capacity_type: CapacityType = Field(description="On-demand or spot capacity.")
    min_nodes: int = Field(ge=0, le=1000, description="Lower autoscaling bound; 0 scales to zero.")
    max_nodes: int = Field(2, ge=1, le=1000, description="Upper autoscaling bound.")
    disk_size_gib: int = Field(
        200,
        ge=50,
        le=16384,
        description="Root disk per node, GiB: holds container images and cached weights.",
    )
    compact_placement: bool = Field(
        False,
        description="Place the pool's nodes physically close in one zone: an AWS cluster "
        "placement group, GKE's COMPACT placement policy, an Azure proximity placement "
        "group. Required on a pool that holds a replica across nodes; needs exactly one "
        "`zones` entry. Turning it on or off replaces the pool's node pool on GKE and AKS "
        "(set only at creation) and rolls its nodes on AWS (a new launch template).",
    )
    fast_interconnect: bool = Field(
        False,
        description="Run the pipeline stages of a multi-node replica over the instance's GPU "
        "fabric (EFA, GPUDirect-TCPX, InfiniBand) instead of its TCP network. Refused for "
        "now, with the reason per fabric: the pinned vLLM image carries no NCCL plugin or "
        "RDMA access for any of them, so the stages hand over over TCP (`llm-infra size` "
        "shows what that costs).",
    )
    zones: tuple[str, ...] | None = Field(
        None,
        description="Zones for this pool, a subset of `network.availability_zones`. "
        "Default: every network zone.",
    )
