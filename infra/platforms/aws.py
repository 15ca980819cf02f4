"""The AWS platform: network, EKS cluster, node groups, autoscaling, GPU plugin, buckets."""

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from components.aws.access import duplicates_of_deployer
from components.aws.addons import ClusterAddons, ClusterAddonsArgs
from components.aws.autoscaler import ClusterAutoscaler, ClusterAutoscalerArgs
from components.aws.bucket import Bucket, BucketArgs
from components.aws.cluster import Cluster, ClusterArgs
from components.aws.cpu_pool import CpuPoolSize, CpuWorkloads, platform_pods, size_cpu_pool
from components.aws.deploy_runner import CodeBuildRunner, CodeBuildRunnerArgs
from components.aws.dns import PrivateDnsZone as AwsDnsZone
from components.aws.load_balancer_controller import (
    LoadBalancerController,
    LoadBalancerControllerArgs,
)
from components.aws.network import FlowLogsArgs, Network, NetworkArgs
from components.aws.node_group import NodeGroup, NodeGroupArgs
from components.catalog import catalog, resolve_instance
from components.device_plugin import DevicePluginArgs, NvidiaDevicePlugin
from components.dns import zone_resource_name
from components.enums import CapacityType, Cloud, DeployRunner
from infra.config import ConfigError, ConfigIssue, StackConfig
from infra.config.errors import PLATFORM_KEY
from infra.config.platform_checks import SYSTEM_POOL
from infra.config.pools import GpuPoolConfig
from infra.platforms.base import Platform
from infra.platforms.deploy import deploy_path
from infra.stages import DEPLOY_WORKFLOW
from infra.topology import compact_pools


def cpu_workloads(config: StackConfig) -> CpuWorkloads:
    """What the stack runs on the CPU pool (see `deploy_workloads`)."""
    embeddings = config.embeddings
    return CpuWorkloads(
        prod=config.is_prod,
        monitoring=config.monitoring.enabled,
        grafana=config.monitoring.grafana,
        qdrant_replicas=config.vector_db.replicas if config.vector_db.enabled else 0,
        embeddings_replicas=(
            embeddings.replicas if embeddings.enabled and embeddings.pool is None else 0
        ),
        gateway_replicas=config.gateway.replicas if config.gateway.enabled else 0,
        gateway_tls=config.gateway.enabled and config.gateway.tls_hostname is not None,
    )


def zone_count(config: StackConfig) -> int:
    zones = config.network.availability_zones
    return len(zones) if zones else config.network.zone_count


def cpu_pool_size(config: StackConfig) -> CpuPoolSize:
    """The CPU pool: sized from what the stack runs there, unless `cluster.system_pool`
    says otherwise (its `min_nodes` / `max_nodes` count all zones together)."""
    system = config.cluster.system_pool
    given = system.model_fields_set
    return size_cpu_pool(
        platform_pods(cpu_workloads(config)),
        zone_count(config),
        instance_type=system.instance_type,
        min_nodes=system.min_nodes if "min_nodes" in given else None,
        max_nodes=system.max_nodes if "max_nodes" in given else None,
    )


def refuse_deployer_as_admin(config: StackConfig, caller_arn: str) -> None:
    """An access entry for the identity running `pulumi up` conflicts (409) with the one
    EKS gives the cluster's creator (components.aws.access)."""
    duplicates = duplicates_of_deployer(config.cluster.admin_principals, caller_arn)
    if duplicates:
        raise ConfigError(
            [
                ConfigIssue(
                    f"{PLATFORM_KEY}.cluster.admin_principals[{index}]",
                    f"'{config.cluster.admin_principals[index]}' is the identity running "
                    f"`pulumi up` ({caller_arn}); EKS already gives the cluster's creator "
                    "cluster-admin, and a second access entry for it fails with 409 "
                    "ResourceInUseException",
                    "remove it from admin_principals (list only the other administrators)",
                )
                for index in duplicates
            ],
            source=f"stack '{pulumi.get_stack()}'",
        )


def build_aws(config: StackConfig, tags: Mapping[str, str]) -> Platform:
    if config.cluster.admin_principals:
        try:
            refuse_deployer_as_admin(config, aws.get_caller_identity().arn)
        except ConfigError as error:
            raise pulumi.RunError(error.render()) from None
    keep = config.protect_state
    cluster_name = f"{pulumi.get_project()}-{pulumi.get_stack()}"
    network = Network(
        "network",
        NetworkArgs(
            cidr=config.network.cidr,
            zones=_zones(config),
            nat=config.network.nat,
            region=config.region,
            flow_logs=(
                FlowLogsArgs(retention_days=config.cluster.log_retention_days, keep=keep)
                if config.is_prod
                else None
            ),
            tags=tags,
        ),
    )
    cluster = Cluster(
        "cluster",
        ClusterArgs(
            cluster_name=cluster_name,
            kubernetes_version=config.cluster.kubernetes_version,
            region=config.region,
            endpoint_access=config.cluster.endpoint_access,
            public_access_cidrs=tuple(str(c) for c in config.cluster.public_access_cidrs),
            private_access_cidrs=tuple(
                dict.fromkeys(
                    [
                        str(config.network.cidr),
                        *(str(c) for c in config.cluster.private_access_cidrs),
                    ]
                )
            ),
            control_plane_logs=config.cluster.control_plane_logs,
            log_retention_days=config.cluster.log_retention_days,
            admin_principals=config.cluster.admin_principals,
            keep=keep,
            tags=tags,
        ),
        subnet_ids=network.private_subnet_ids,
    )
    # One CPU node group per zone: the Cluster Autoscaler cannot add a node in a chosen
    # zone of a multi-zone group, and a pod whose EBS volume is in a zone needs a node
    # there (cluster-autoscaler/cloudprovider/aws/README.md, "Common Notes and Gotchas";
    # EKS user guide, "managed-node-groups"). All carry the CPU pool's label.
    cpu = cpu_pool_size(config)
    system = config.cluster.system_pool
    cpu_groups = [
        _node_group(
            f"{SYSTEM_POOL}-nodes-{index}",
            NodeGroupArgs(
                pool=SYSTEM_POOL,
                cluster_name=cluster_name,
                instance_type=cpu.instance_type,
                capacity_type=CapacityType.ON_DEMAND,
                min_nodes=low,
                max_nodes=high,
                disk_size_gib=system.disk_size_gib,
                tags=tags,
            ),
            cluster,
            [network.private_subnet_ids[index]],
        ).node_group
        for index, (low, high) in enumerate(cpu.per_zone())
    ]
    compact = compact_pools(config)
    gpu_groups = {
        pool.name: _node_group(
            f"gpu-{pool.name}",
            _gpu_pool_args(pool, cluster_name, tags, placement_group=pool.name in compact),
            cluster,
            _pool_subnets(config, pool, network.private_subnet_ids),
        )
        for pool in config.gpu_pools
    }
    addons = ClusterAddons(
        "addons", ClusterAddonsArgs(tags=tags), cluster=cluster, nodes=cpu_groups
    )
    cluster.attach_cpu_nodes(*cpu_groups)
    # The StorageClass is attached inside the cluster; the driver that provisions it here.
    cluster.attach_storage_driver(addons.storage_driver)
    ClusterAutoscaler(
        "autoscaler",
        ClusterAutoscalerArgs(
            cluster_name=cluster_name,
            region=config.region,
            kubernetes_version=config.cluster.kubernetes_version,
            system_pool=SYSTEM_POOL,
            tags=tags,
        ),
        cluster=cluster,
        nodes=cpu_groups,
    )
    if config.gateway.enabled:
        # the gateway's NLB; nothing else in the platform asks for a load balancer
        controller = LoadBalancerController(
            "load-balancer-controller",
            LoadBalancerControllerArgs(
                cluster_name=cluster_name,
                region=config.region,
                node_selector=cluster.cpu_node_selector(),
                tags=tags,
            ),
            cluster=cluster,
            vpc_id=network.vpc_id,
            nodes=cpu_groups,
        )
        cluster.attach_load_balancer_controller(controller.release)
        if config.gateway.dns_zone is not None:
            zone = AwsDnsZone(
                zone_resource_name(config.gateway.dns_zone),
                domain=config.gateway.dns_zone,
                vpc_id=network.vpc_id,
                region=config.region,
                cluster=cluster,
                tags=tags,
            )
            cluster.attach_dns_publisher(zone.publisher)
    if config.gpu_pools:
        plugin = NvidiaDevicePlugin(
            "nvidia-device-plugin",
            DevicePluginArgs(cloud=Cloud.AWS),
            kubernetes_provider=cluster.kubernetes_provider,
            # Its release goes through the API once the cluster has nodes; its children
            # are registered only after the component, which waits for these.
            opts=pulumi.ResourceOptions(depends_on=cpu_groups),
        )
        for pool, group in gpu_groups.items():
            cluster.attach_gpu_pool(pool, group.node_group, plugin.release)
    buckets = {
        "models": Bucket("models", BucketArgs(purpose="model weights", keep=keep, tags=tags))
    }
    if config.vector_db.enabled:
        buckets["vector_snapshots"] = Bucket(
            "vector-snapshots",
            BucketArgs(purpose="vector database snapshots", keep=keep, tags=tags),
        )
    cluster.attach_buckets(buckets)
    deploy = _deploy_path(config, cluster_name, network, tags)
    return Platform(
        outputs={
            "network": {
                "vpc_id": network.vpc_id,
                "private_subnet_ids": network.private_subnet_ids,
                "public_subnet_ids": network.public_subnet_ids,
            },
            "cluster": {
                "name": cluster.cluster_name,
                "endpoint": cluster.endpoint,
                "oidc_issuer_url": cluster.oidc_issuer_url,
            },
            "kubeconfig": cluster.kubeconfig,
            "buckets": {role: bucket.bucket_name for role, bucket in buckets.items()},
            "deploy": deploy,
        },
        cluster=cluster,
    )


def _deploy_path(
    config: StackConfig, cluster_name: str, network: Network, tags: Mapping[str, str]
) -> dict[str, pulumi.Input[str]]:
    """Where `pulumi up` runs; for `in-network`, the CodeBuild runner in the private subnets."""
    path = deploy_path(config)
    outputs: dict[str, pulumi.Input[str]] = {"runner": config.deploy.runner.value}
    if config.deploy.runner is not DeployRunner.IN_NETWORK:
        return outputs
    assert config.deploy.github_repository and config.deploy.aws_connection_arn  # config checks
    runner = CodeBuildRunner(
        "deploy-runner",
        CodeBuildRunnerArgs(
            project_name=f"{cluster_name}-deploy",
            github_repository=config.deploy.github_repository,
            connection_arn=config.deploy.aws_connection_arn,
            workflow_name=DEPLOY_WORKFLOW,
            region=config.region,
            log_retention_days=config.cluster.log_retention_days,
            keep=config.protect_state,
            tags=tags,
        ),
        vpc_id=network.vpc_id,
        subnet_ids=network.private_subnet_ids,
        opts=pulumi.ResourceOptions(parent=path),
    )
    return {**outputs, "runner_label": runner.label, "codebuild_project": runner.project_name}


def _node_group(
    name: str, args: NodeGroupArgs, cluster: Cluster, subnet_ids: Sequence[pulumi.Input[str]]
) -> NodeGroup:
    return NodeGroup(
        name,
        args,
        cluster_name=cluster.cluster_name,
        kubernetes_version=cluster.kubernetes_version,
        node_role_arn=cluster.node_role_arn,
        subnet_ids=subnet_ids,
        cluster_security_group_id=cluster.cluster_security_group_id,
    )


def _gpu_pool_args(
    pool: GpuPoolConfig,
    cluster_name: str,
    tags: Mapping[str, str],
    *,
    placement_group: bool = False,
) -> NodeGroupArgs:
    """`placement_group` for a pool holding a multi-node replica: its nodes then share a
    cluster placement group, in the pool's one zone (the config checks require one)."""
    instance = resolve_instance(
        catalog(),
        Cloud.AWS,
        gpu=pool.gpu,
        instance_type=pool.instance_type,
        gpus_per_node=pool.gpus_per_node,
    )
    return NodeGroupArgs(
        pool=pool.name,
        cluster_name=cluster_name,
        instance_type=instance.name,
        capacity_type=pool.capacity_type,
        min_nodes=pool.min_nodes,
        max_nodes=pool.max_nodes,
        disk_size_gib=pool.disk_size_gib,
        gpu=instance.gpu,
        gpus_per_node=instance.gpus,
        tags=tags,
        placement_group=placement_group,
    )


def _pool_subnets(
    config: StackConfig, pool: GpuPoolConfig, private_subnet_ids: Sequence[pulumi.Input[str]]
) -> list[pulumi.Input[str]]:
    """The private subnets of the pool's zones; the config checks make them pinned network
    zones."""
    if pool.zones is None:
        return list(private_subnet_ids)
    zones = config.network.availability_zones
    if zones is None:
        raise ValueError(f"gpu_pools '{pool.name}': zones need network.availability_zones")
    return [private_subnet_ids[zones.index(zone)] for zone in pool.zones]


def _zones(config: StackConfig) -> Sequence[pulumi.Input[str]]:
    if config.network.availability_zones:
        return list(config.network.availability_zones)
    available = aws.get_availability_zones_output(state="available")
    return [available.names[i] for i in range(config.network.zone_count)]
