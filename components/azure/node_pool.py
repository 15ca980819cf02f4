"""An AKS user node pool: a VM size, autoscaled, labelled for its pool (GPU pools tainted)."""

import pulumi
from pulumi_azure_native import compute, containerservice

from components.azure.pool_profile import PoolProfile, pool_settings

PPG_TYPE = "Standard"
# The agent pool input that names its proximity placement group: set at creation only.
PPG_INPUT = "proximityPlacementGroupID"


class NodePool(pulumi.ComponentResource):
    """A separately managed AKS agent pool in the node subnet.

    Creates: the agent pool (`-pool`, Azure name `args.agent_pool` or `args.pool`) with the
    cluster autoscaler between `min_nodes` and `max_nodes`, the pool's `llm-infra.io/pool`
    label, and on GPU pools the `llm-infra.io/gpu` label, the taint
    `nvidia.com/gpu=present:NoSchedule` and AKS's NVIDIA driver; spot pools are evicted with
    Delete at up to the on-demand price. With `args.proximity_placement`: a proximity
    placement group (`-ppg`, type Standard, in the pool's one zone, its intent the pool's
    VM size) in `resource_group_name` at `location`, which the agent pool joins.

    Proximity placement: a PPG keeps the VMs physically close, for the node-to-node
    traffic of a multi-node replica. AKS (azure-aks-docs `articles/aks/reduce-latency-ppg.md`,
    "Limitations"): a PPG maps to one availability zone, the pool must be a Virtual Machine
    Scale Set (every pool here is), and a pool joins a PPG at creation only, so turning it
    on or off replaces the pool; each pool gets its own PPG, as that page recommends for
    user pools. A PPG's zone is accepted only with an `intent` naming the VM sizes
    (azure-compute-docs `articles/virtual-machines/co-location.md`, "Use intent"). For
    InfiniBand, what connects the VMs is the same scale set (= the same node pool), not the
    PPG (azure-compute-docs `articles/virtual-machines/setup-infiniband.md`).
    """

    agent_pool_name: pulumi.Output[str]
    agent_pool: containerservice.AgentPool
    """The agent pool itself: what pods on this pool wait for."""
    placement_group: compute.ProximityPlacementGroup | None
    """The pool's proximity placement group, when it has one."""

    def __init__(
        self,
        name: str,
        args: PoolProfile,
        *,
        resource_group_name: pulumi.Input[str],
        cluster_name: pulumi.Input[str],
        subnet_id: pulumi.Input[str],
        location: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:azure:NodePool", name, None, opts)
        settings = pool_settings(args, subnet_id)
        self.placement_group = None
        if args.proximity_placement:
            if len(args.zones) != 1:
                raise ValueError(
                    f"NodePool '{name}': a proximity placement group maps to one "
                    f"availability zone, so the pool needs exactly one (got {len(args.zones)})"
                )
            self.placement_group = compute.ProximityPlacementGroup(
                f"{name}-ppg",
                resource_group_name=resource_group_name,
                location=location,
                proximity_placement_group_type=PPG_TYPE,
                zones=list(args.zones),
                intent=compute.ProximityPlacementGroupPropertiesIntentArgs(vm_sizes=[args.vm_size]),
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self),
            )
            settings["proximity_placement_group_id"] = self.placement_group.id
        # The pools that may take a proximity placement group: the GPU pools.
        may_place = args.gpu is not None or args.proximity_placement
        pool = containerservice.AgentPool(
            f"{name}-pool",
            resource_group_name=resource_group_name,
            resource_name_=cluster_name,
            # The config checks keep pool names within what AKS accepts.
            agent_pool_name=args.agent_pool or args.pool,
            opts=pulumi.ResourceOptions(
                parent=self,
                # The autoscaler owns the node count once the pool exists.
                ignore_changes=["count"],
                # A pool joins a proximity placement group at creation only
                # (reduce-latency-ppg.md, "Limitations"): adding or removing one replaces
                # the pool, deleting the old pool first, since the new one has its AKS
                # name.
                replace_on_changes=[PPG_INPUT] if may_place else None,
                delete_before_replace=may_place,
            ),
            **settings,
        )
        self.agent_pool = pool
        self.agent_pool_name = pool.name
        self.register_outputs({"agent_pool_name": self.agent_pool_name})
