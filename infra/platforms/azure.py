"""The Azure platform: resource group, network, AKS with its node pools, GPU plugin, storage."""

from collections.abc import Mapping

import pulumi
from pulumi_azure_native import authorization, resources

from components.azure.cluster import CPU_POOL, Cluster, ClusterArgs
from components.azure.deploy_runner import GithubRunnerNetwork, GithubRunnerNetworkArgs
from components.azure.dns import PrivateDnsZone as AzureDnsZone
from components.azure.maintenance import MaintenanceWindow
from components.azure.names import global_name
from components.azure.network import Network, NetworkArgs
from components.azure.node_pool import NodePool
from components.azure.pool_profile import PoolProfile
from components.azure.storage import Storage, StorageArgs
from components.catalog import catalog, resolve_instance
from components.device_plugin import DevicePluginArgs, NvidiaDevicePlugin
from components.dns import zone_resource_name
from components.enums import CapacityType, Cloud, DeployRunner, NatStrategy
from infra.config import StackConfig
from infra.config.maintenance import MaintenanceWindowConfig
from infra.config.platform_checks import SYSTEM_POOL
from infra.config.pools import GpuPoolConfig
from infra.platforms.base import Platform
from infra.platforms.deploy import deploy_path
from infra.topology import compact_pools

SYSTEM_VM_SIZE = "Standard_D4s_v5"


def cpu_agent_pool_name(zone: str | None) -> str:
    """The AKS node pool of the CPU pool in `zone` (`cpu1`, …), or `cpu` without zones.

    AKS names Linux node pools with 1-12 lowercase letters and digits, starting with a letter
    (AKS docs, "Create node pools": naming rules); Azure zones are `1`, `2`, `3`."""
    name = f"{CPU_POOL}{zone or ''}"
    if not (name.isascii() and name.isalnum() and name.islower() and len(name) <= 12):
        raise ValueError(f"zone {zone!r} gives no valid AKS node pool name ({name!r})")
    return name


def aks_maintenance(window: MaintenanceWindowConfig) -> MaintenanceWindow:
    return MaintenanceWindow(
        days=tuple(day.value.capitalize() for day in window.days),
        start_time_utc=window.start_time_utc,
        duration_hours=window.duration_hours,
    )


def build_azure(config: StackConfig, tags: Mapping[str, str]) -> Platform:
    keep = config.protect_state
    project, stack = pulumi.get_project(), pulumi.get_stack()
    client = authorization.get_client_config_output()
    group = resources.ResourceGroup("resource-group", location=config.region, tags=dict(tags))
    network = Network(
        "network",
        NetworkArgs(
            resource_group_name=group.name,
            location=config.region,
            cidr=config.network.cidr,
            nat=config.network.nat,
            tags=tags,
            extra_prefixes=tuple(c for c in (config.deploy.runner_subnet_cidr,) if c is not None),
        ),
    )
    zones = tuple(config.network.availability_zones or ())
    system = config.cluster.system_pool
    cluster = Cluster(
        "cluster",
        ClusterArgs(
            cluster_name=f"{project}-{stack}",
            kubernetes_version=config.cluster.kubernetes_version,
            location=config.region,
            vnet_cidr=config.network.cidr,
            system_pool=PoolProfile(
                pool=SYSTEM_POOL,
                vm_size=system.instance_type or SYSTEM_VM_SIZE,
                min_nodes=system.min_nodes,
                max_nodes=system.max_nodes,
                disk_size_gib=system.disk_size_gib,
                system=True,
                zones=zones,
                kubernetes_version=config.cluster.kubernetes_version,
                tags=tags,
            ),
            private=not config.cluster.endpoint_access.is_public,
            authorized_ip_ranges=tuple(str(c) for c in config.cluster.public_access_cidrs),
            spot_pools=tuple(
                p.name for p in config.gpu_pools if p.capacity_type is CapacityType.SPOT
            ),
            admin_group_object_ids=config.cluster.admin_principals,
            nat_gateway_egress=config.network.nat is not NatStrategy.NONE,
            secrets_encryption=config.is_prod,
            key_vault_name=global_name("kv", project, stack, hyphens=True),
            standard_tier=config.is_prod,
            # With KMS: the disk key's vault is, like the secrets vault, purge-protected, and its
            # name stays taken for the soft-delete retention after a stack is destroyed.
            disk_encryption=config.is_prod,
            disk_vault_name=global_name("kvd", project, stack, hyphens=True),
            maintenance=aks_maintenance(config.cluster.maintenance_window),
            keep=keep,
            tags=tags,
        ),
        resource_group_name=group.name,
        node_subnet_id=network.node_subnet_id,
        subscription_id=client.subscription_id,
        tenant_id=client.tenant_id,
        deployer_object_id=client.object_id,
    )
    cpu = config.cluster.cpu_pool
    size = cpu.size(config.environment)
    cpu_pools = [
        NodePool(
            f"{CPU_POOL}-{zone}" if zone else CPU_POOL,
            PoolProfile(
                pool=CPU_POOL,
                agent_pool=cpu_agent_pool_name(zone),
                vm_size=size.instance_type,
                min_nodes=size.min_nodes_per_zone,
                max_nodes=size.max_nodes_per_zone,
                disk_size_gib=cpu.disk_size_gib,
                zones=(zone,) if zone else (),
                kubernetes_version=config.cluster.kubernetes_version,
                tags=tags,
            ),
            resource_group_name=group.name,
            cluster_name=cluster.cluster_name,
            subnet_id=network.node_subnet_id,
        )
        for zone in (zones or (None,))
    ]
    # What pods on the CPU pool wait for: every zone's pool.
    cluster.attach_cpu_nodes(*(pool.agent_pool for pool in cpu_pools))
    compact = compact_pools(config)
    gpu_pools = {
        pool.name: NodePool(
            f"gpu-{pool.name}",
            _gpu_pool(config, pool, tags, proximity_placement=pool.name in compact),
            resource_group_name=group.name,
            cluster_name=cluster.cluster_name,
            subnet_id=network.node_subnet_id,
            # A compact pool's proximity placement group: in the platform's resource group,
            # next to the cluster, as AKS's guide creates it (reduce-latency-ppg.md).
            location=config.region,
        )
        for pool in config.gpu_pools
    }
    if config.gpu_pools:
        plugin = NvidiaDevicePlugin(
            "nvidia-device-plugin",
            DevicePluginArgs(cloud=Cloud.AZURE),
            kubernetes_provider=cluster.kubernetes_provider,
        )
        for name, node_pool in gpu_pools.items():
            cluster.attach_gpu_pool(name, node_pool.agent_pool, plugin.release)
    containers = ["models"]
    if config.vector_db.enabled:
        containers.append("vector-snapshots")
    storage = Storage(
        "storage",
        StorageArgs(
            account_name=global_name("llm", project, stack),
            location=config.region,
            containers=containers,
            zone_redundant=config.is_prod,
            keep=keep,
            tags=tags,
        ),
        resource_group_name=group.name,
    )
    cluster.attach_buckets(
        {role.replace("-", "_"): container for role, container in storage.containers.items()}
    )
    if config.gateway.enabled and config.gateway.dns_zone is not None:
        zone = AzureDnsZone(
            zone_resource_name(config.gateway.dns_zone),
            domain=config.gateway.dns_zone,
            vnet_id=network.vnet_id,
            location=config.region,
            subscription_id=client.subscription_id,
            tenant_id=client.tenant_id,
            cluster=cluster,
            tags=tags,
        )
        cluster.attach_dns_publisher(zone.publisher)
    deploy = _deploy_path(config, group.name, network, tags)
    return Platform(
        outputs={
            "resource_group": group.name,
            "deploy": deploy,
            "network": {
                "vnet_id": network.vnet_id,
                "node_subnet_id": network.node_subnet_id,
            },
            "cluster": {
                "name": cluster.cluster_name,
                "fqdn": cluster.fqdn,
                "oidc_issuer_url": cluster.oidc_issuer_url,
            },
            "kubeconfig": cluster.kubeconfig,
            "storage": {
                "account": storage.account_name,
                "containers": {
                    role.replace("-", "_"): c.container_name
                    for role, c in storage.containers.items()
                },
            },
        },
        cluster=cluster,
    )


def _deploy_path(
    config: StackConfig, group_name: pulumi.Input[str], network: Network, tags: Mapping[str, str]
) -> dict[str, pulumi.Input[str]]:
    """Where `pulumi up` runs; for `in-network`, a subnet of the VNet for GitHub's hosted
    runners with Azure private networking."""
    path = deploy_path(config)
    outputs: dict[str, pulumi.Input[str]] = {"runner": config.deploy.runner.value}
    if config.deploy.runner is not DeployRunner.IN_NETWORK:
        return outputs
    deploy = config.deploy
    assert deploy.runner_subnet_cidr and deploy.github_organization_id  # config checks
    runners = GithubRunnerNetwork(
        "deploy-runner",
        GithubRunnerNetworkArgs(
            settings_name=f"{pulumi.get_project()}-{pulumi.get_stack()}-runners",
            location=config.region,
            subnet_cidr=deploy.runner_subnet_cidr,
            github_organization_id=deploy.github_organization_id,
            tags=tags,
        ),
        resource_group_name=group_name,
        vnet_name=network.vnet_name,
        nat_gateway_id=network.nat_gateway_id,
        after=network.subnets,
        opts=pulumi.ResourceOptions(parent=path),
    )
    return {
        **outputs,
        "runner_subnet_id": runners.subnet_id,
        "network_settings_id": runners.network_settings_id,
    }


def _gpu_pool(
    config: StackConfig,
    pool: GpuPoolConfig,
    tags: Mapping[str, str],
    *,
    proximity_placement: bool = False,
) -> PoolProfile:
    """`proximity_placement` for a pool holding a multi-node replica: its own proximity
    placement group, in the pool's one zone (the config checks require one)."""
    instance = resolve_instance(
        catalog(),
        Cloud.AZURE,
        gpu=pool.gpu,
        instance_type=pool.instance_type,
        gpus_per_node=pool.gpus_per_node,
    )
    return PoolProfile(
        pool=pool.name,
        vm_size=instance.name,
        min_nodes=pool.min_nodes,
        max_nodes=pool.max_nodes,
        disk_size_gib=pool.disk_size_gib,
        capacity_type=pool.capacity_type,
        gpu=instance.gpu,
        gpu_label=instance.gpu_label,
        zones=tuple(pool.zones or config.network.availability_zones or ()),
        kubernetes_version=config.cluster.kubernetes_version,
        tags=tags,
        proximity_placement=proximity_placement,
    )
