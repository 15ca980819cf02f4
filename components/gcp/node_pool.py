"""A GKE node pool: shielded nodes on a least-privilege account, GPUs, labels and taints."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from components.enums import CapacityType, GpuType
from components.gcp.labels import gcp_labels
from components.gcp.node_counts import initial_nodes_per_zone
from components.seam import GPU_LABEL, GPU_TAINT_EFFECT, GPU_TAINT_KEY, GPU_TAINT_VALUE, POOL_LABEL

# GKE's accelerator type for each GPU. A2, A3 and G2 machine types come with their GPUs,
# but GKE still needs the accelerator named to install the driver and label the nodes.
ACCELERATOR_TYPES: dict[GpuType, str] = {
    GpuType.L4: "nvidia-l4",
    GpuType.A100_40GB: "nvidia-tesla-a100",
    GpuType.A100_80GB: "nvidia-a100-80gb",
    GpuType.H100: "nvidia-h100-80gb",
}
# The newest driver GKE supports for the node version: inference engines follow CUDA closely.
GPU_DRIVER_VERSION = "LATEST"
GKE_TAINT_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
}
# Every pool, GPU pools included, upgrades by adding one upgraded node before draining an
# old one (terraform-provider-google google_container_node_pool upgrade_settings:
# max_surge "additional nodes that can be added to the node pool during an upgrade",
# max_unavailable "nodes that can be simultaneously unavailable"; at least one above
# zero). A 2-node GPU pool thus never loses half its capacity to an upgrade. The price:
# the zone must have quota and stock for one more GPU node during upgrades; without it
# the upgrade waits instead of taking a serving node away.
MAX_SURGE = 1
MAX_UNAVAILABLE = 0
IMAGE_TYPE = "COS_CONTAINERD"
DISK_TYPE = "pd-balanced"
# IAM, not scopes, decides what the node account may do.
OAUTH_SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
# The one placement policy type GKE node pools take: "Specifying COMPACT placement policy
# type places node pool's nodes in a closer physical proximity in order to reduce network
# latency between nodes" (pulumi_gcp container.NodePool `placement_policy.type`, which
# "Supports a single value: COMPACT"). GKE then puts the nodes in the same zone
# (https://cloud.google.com/kubernetes-engine/docs/how-to/compact-placement). That page's
# GKE Standard limitations begin "Supported only in new node pools": turning it on or off
# replaces the pool (`replace_on_changes` below makes sure).
COMPACT_PLACEMENT = "COMPACT"
PLACEMENT_INPUT = "placementPolicy"


def accelerator_type(gpu: GpuType) -> str:
    accelerator = ACCELERATOR_TYPES.get(gpu)
    if accelerator is None:
        raise ValueError(f"'{gpu.value}' is not a GPU GKE offers (GKE has: {_offered()})")
    return accelerator


def _offered() -> str:
    return ", ".join(gpu.value for gpu in ACCELERATOR_TYPES)


def node_labels(pool: str, gpu: GpuType | None) -> dict[str, str]:
    """Kubernetes labels on every node of the pool; GPU pools also say which GPU."""
    labels = {POOL_LABEL: pool}
    if gpu is not None:
        labels[GPU_LABEL] = gpu.value
    return labels


def gpu_taints(gpu: GpuType | None) -> list[gcp.container.NodePoolNodeConfigTaintArgs]:
    """GKE taints GPU nodes `nvidia.com/gpu=present:NoSchedule` by itself; declaring the
    same taint makes the plan say so and keeps it should GKE stop adding it."""
    if gpu is None:
        return []
    return [
        gcp.container.NodePoolNodeConfigTaintArgs(
            key=GPU_TAINT_KEY, value=GPU_TAINT_VALUE, effect=GKE_TAINT_EFFECTS[GPU_TAINT_EFFECT]
        )
    ]


@dataclass(frozen=True)
class NodePoolArgs:
    pool: str
    """Pool name: the `llm-infra.io/pool` label on every node."""
    machine_type: str
    capacity_type: CapacityType
    min_nodes: int
    """Lower autoscaling bound for the whole pool, over all its zones."""
    max_nodes: int
    disk_size_gib: int
    zones: Sequence[pulumi.Input[str]]
    """The pool's node locations: zones of the cluster's region."""
    gpu: GpuType | None = None
    """None for a CPU pool: no accelerator, no GPU label, no taint."""
    gpus_per_node: int = 0
    labels: Mapping[str, str] = field(default_factory=dict)
    """GCP labels on the pool's VMs and disks."""
    compact_placement: bool = False
    """Place the nodes close together (placement policy COMPACT): a pool holding a
    multi-node replica (infra.topology.compact_pools). Needs exactly one zone."""


class NodePool(pulumi.ComponentResource):
    """An autoscaled GKE node pool.

    Creates: the node pool (`-pool`) on `machine_type` in `zones`, autoscaling between
    `min_nodes` and `max_nodes` in total (zero allowed), on spot VMs when asked; nodes run
    Container-Optimized OS as the given least-privilege service account, with shielded
    VMs (secure boot and integrity monitoring), the GKE metadata server (pods see only
    their Workload Identity, never the node's), legacy metadata endpoints off, gVNIC, and
    a `pd-balanced` boot disk encrypted with `boot_disk_kms_key` when given. GPU pools
    name their accelerator (type and count) with GKE-managed driver installation, carry
    `llm-infra.io/gpu` / `llm-infra.io/pool` labels and the `nvidia.com/gpu=present:
    NoSchedule` taint. Every pool starts with `initial_nodes_per_zone` nodes per zone
    (never more than `max_nodes` in total) and upgrades one surge node at a time with none
    unavailable. Auto-repair and auto-upgrade are on, as the release channel requires;
    upgrades run in the cluster's maintenance window. With `compact_placement`, the pool's
    placement policy is COMPACT: its nodes sit physically close together in its one zone,
    for the traffic between the nodes of a multi-node replica
    (https://cloud.google.com/kubernetes-engine/docs/how-to/compact-placement).
    """

    node_pool: gcp.container.NodePool
    node_pool_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: NodePoolArgs,
        *,
        cluster_name: pulumi.Input[str],
        location: pulumi.Input[str],
        service_account: pulumi.Input[str],
        boot_disk_kms_key: pulumi.Input[str] | None = None,
        project: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:gcp:NodePool", name, None, opts)
        if not args.zones:
            raise ValueError(f"NodePool '{name}': zones is empty")
        gpu = args.gpu
        accelerators = (
            [
                gcp.container.NodePoolNodeConfigGuestAcceleratorArgs(
                    type=accelerator_type(gpu),
                    count=args.gpus_per_node,
                    gpu_driver_installation_config=(
                        gcp.container.NodePoolNodeConfigGuestAcceleratorGpuDriverInstallationConfigArgs(
                            gpu_driver_version=GPU_DRIVER_VERSION
                        )
                    ),
                )
            ]
            if gpu is not None
            else []
        )
        if gpu is not None and args.gpus_per_node < 1:
            raise ValueError(f"NodePool '{name}': a GPU pool needs gpus_per_node ≥ 1")
        if args.compact_placement and len(args.zones) != 1:
            raise ValueError(
                f"NodePool '{name}': compact placement puts the nodes in one zone, so the "
                f"pool needs exactly one zone (got {len(args.zones)})"
            )
        vm_labels = {**gcp_labels(args.labels), "llm-infra-pool": args.pool}
        may_place = gpu is not None or args.compact_placement
        node_pool = gcp.container.NodePool(
            f"{name}-pool",
            project=project,
            cluster=cluster_name,
            location=location,
            node_locations=list(args.zones),
            # Per zone, on creation only; the autoscaler owns the count afterwards.
            initial_node_count=initial_nodes_per_zone(
                args.min_nodes, args.max_nodes, len(args.zones)
            ),
            autoscaling=gcp.container.NodePoolAutoscalingArgs(
                # Whole-pool bounds ("total"), not the per-zone min/max_node_count, so the
                # config's min_nodes / max_nodes mean the same on every cloud.
                total_min_node_count=args.min_nodes,
                total_max_node_count=args.max_nodes,
                # GPUs (spot ones most of all) are found wherever there is stock; system
                # nodes are spread over the zones.
                location_policy="ANY" if gpu is not None else "BALANCED",
            ),
            management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
            upgrade_settings=gcp.container.NodePoolUpgradeSettingsArgs(
                strategy="SURGE", max_surge=MAX_SURGE, max_unavailable=MAX_UNAVAILABLE
            ),
            placement_policy=(
                gcp.container.NodePoolPlacementPolicyArgs(type=COMPACT_PLACEMENT)
                if args.compact_placement
                else None
            ),
            node_config=gcp.container.NodePoolNodeConfigArgs(
                machine_type=args.machine_type,
                image_type=IMAGE_TYPE,
                disk_type=DISK_TYPE,
                disk_size_gb=args.disk_size_gib,
                boot_disk_kms_key=boot_disk_kms_key,
                service_account=service_account,
                oauth_scopes=list(OAUTH_SCOPES),
                spot=args.capacity_type is CapacityType.SPOT,
                labels=node_labels(args.pool, gpu),
                taints=gpu_taints(gpu),
                resource_labels=vm_labels,
                guest_accelerators=accelerators,
                shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True
                ),
                workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(
                    mode="GKE_METADATA"
                ),
                gvnic=gcp.container.NodePoolNodeConfigGvnicArgs(enabled=True),
                metadata={"disable-legacy-endpoints": "true"},
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                # The initial count is create-only: a later change to min_nodes must not
                # replace the pool.
                ignore_changes=["initialNodeCount"],
                # Compact placement is set at creation only (COMPACT_PLACEMENT): a GPU pool
                # (the only pools given it) is replaced when it changes. The pool's name is
                # generated, so the new one is created before the old one goes.
                replace_on_changes=[PLACEMENT_INPUT] if may_place else None,
            ),
        )
        self.node_pool = node_pool
        self.node_pool_name = node_pool.name
        self.register_outputs({"node_pool_name": self.node_pool_name})
