"""An AKS user node pool: a VM size, autoscaled, labelled for its pool (GPU pools tainted)."""

import pulumi
from pulumi_azure_native import containerservice

from components.azure.pool_profile import PoolProfile, pool_settings


class NodePool(pulumi.ComponentResource):
    """A separately managed AKS agent pool in the node subnet.

    Creates: the agent pool (`-pool`, Azure name `args.agent_pool` or `args.pool`) with the
    cluster autoscaler between `min_nodes` and `max_nodes`, the pool's `llm-infra.io/pool`
    label, and on GPU pools the `llm-infra.io/gpu` label, the taint
    `nvidia.com/gpu=present:NoSchedule` and AKS's NVIDIA driver; spot pools are evicted with
    Delete at up to the on-demand price.
    """

    agent_pool_name: pulumi.Output[str]
    agent_pool: containerservice.AgentPool
    """The agent pool itself: what pods on this pool wait for."""

    def __init__(
        self,
        name: str,
        args: PoolProfile,
        *,
        resource_group_name: pulumi.Input[str],
        cluster_name: pulumi.Input[str],
        subnet_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:azure:NodePool", name, None, opts)
        pool = containerservice.AgentPool(
            f"{name}-pool",
            resource_group_name=resource_group_name,
            resource_name_=cluster_name,
            # The config checks keep pool names within what AKS accepts.
            agent_pool_name=args.agent_pool or args.pool,
            # The autoscaler owns the node count once the pool exists.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["count"]),
            **pool_settings(args, subnet_id),
        )
        self.agent_pool = pool
        self.agent_pool_name = pool.name
        self.register_outputs({"agent_pool_name": self.agent_pool_name})
