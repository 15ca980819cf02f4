"""The GCP platform: network, GKE cluster, node pools, Workload Identity and buckets."""

import hashlib
import re
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_gcp as gcp

from components.catalog import catalog, resolve_instance
from components.dns import zone_resource_name
from components.enums import CapacityType, Cloud, Environment
from components.gcp.apis import DNS_APIS, PLATFORM_APIS, ProjectApis
from components.gcp.bucket import Bucket, BucketArgs
from components.gcp.cluster import Cluster, ClusterArgs
from components.gcp.dns import PrivateDnsZone as GcpDnsZone
from components.gcp.maintenance import MaintenanceWindow
from components.gcp.network import Network, NetworkArgs
from components.gcp.node_pool import NodePool, NodePoolArgs
from infra.config import StackConfig
from infra.config.platform_checks import SYSTEM_POOL
from infra.config.pools import GpuPoolConfig
from infra.platforms.base import Platform
from infra.platforms.deploy import deploy_path
from infra.topology import compact_pools

SYSTEM_MACHINE_TYPE = "e2-standard-4"
MAX_CLUSTER_NAME = 40


def build_gcp(config: StackConfig, tags: Mapping[str, str]) -> Platform:
    keep = config.protect_state
    # First the APIs: every GCP resource below is created in `apis.project_id`, which
    # resolves once they are all enabled.
    zone = config.gateway.dns_zone if config.gateway.enabled else None
    apis = ProjectApis("apis", {**PLATFORM_APIS, **(DNS_APIS if zone else {})})
    network = Network(
        "network",
        NetworkArgs(
            region=config.region,
            cidr=config.network.cidr,
            nat=config.network.nat,
            flow_logs=config.is_prod,
        ),
        project=apis.project_id,
    )
    cluster = Cluster(
        "cluster",
        ClusterArgs(
            cluster_name=cluster_name(pulumi.get_project(), pulumi.get_stack()),
            kubernetes_version=config.cluster.kubernetes_version,
            region=config.region,
            zones=_zones(config, apis.project_id),
            # A zonal control plane is a single zone of failure; dev can live with that.
            regional=config.environment is not Environment.DEV,
            endpoint_access=config.cluster.endpoint_access,
            nodes_cidr=network.nodes_cidr,
            public_access_cidrs=tuple(str(c) for c in config.cluster.public_access_cidrs),
            private_access_cidrs=tuple(
                dict.fromkeys(
                    [
                        str(config.network.cidr),
                        *(str(c) for c in config.cluster.private_access_cidrs),
                    ]
                )
            ),
            dns_endpoint=config.cluster.dns_endpoint,
            control_plane_logs=config.cluster.control_plane_logs,
            admin_principals=config.cluster.admin_principals,
            keep=keep,
            maintenance_window=_maintenance_window(config),
            labels=tags,
        ),
        network_id=network.network_id,
        subnet_id=network.subnet_id,
        project_id=apis.project_id,
        project_number=apis.project_number,
        gke_service_agent=apis.gke_service_agent,
    )
    system = config.cluster.system_pool
    system_nodes = _node_pool(
        f"{SYSTEM_POOL}-nodes",
        NodePoolArgs(
            pool=SYSTEM_POOL,
            machine_type=system.instance_type or SYSTEM_MACHINE_TYPE,
            capacity_type=CapacityType.ON_DEMAND,
            min_nodes=system.min_nodes,
            max_nodes=system.max_nodes,
            disk_size_gib=system.disk_size_gib,
            zones=cluster.node_zones,
            labels=tags,
        ),
        cluster,
    )
    # The control plane's firewall rule comes with the CPU nodes: KEDA's webhooks and
    # metrics API run there, and everything that calls them (ScaledObjects, the HPAs KEDA
    # makes) already waits for the CPU nodes.
    cluster.attach_cpu_nodes(system_nodes.node_pool, cluster.control_plane_firewall)
    compact = compact_pools(config)
    for pool in config.gpu_pools:
        gpu_nodes = _node_pool(
            f"gpu-{pool.name}",
            _gpu_pool_args(pool, cluster.node_zones, tags, compact=pool.name in compact),
            cluster,
        )
        # GKE installs the driver and its own device plugin on GPU nodes.
        cluster.attach_gpu_pool(pool.name, gpu_nodes.node_pool)
    buckets = {
        "models": Bucket(
            "models",
            BucketArgs(purpose="model weights", location=config.region, keep=keep, labels=tags),
            project=apis.project_id,
        )
    }
    if config.vector_db.enabled:
        buckets["vector_snapshots"] = Bucket(
            "vector-snapshots",
            BucketArgs(
                purpose="vector database snapshots",
                location=config.region,
                keep=keep,
                labels=tags,
            ),
            project=apis.project_id,
        )
    cluster.attach_buckets(buckets)
    if zone is not None:
        private_zone = GcpDnsZone(
            zone_resource_name(zone),
            domain=zone,
            network_id=network.network_id,
            project=apis.project_id,
            cluster=cluster,
            labels=dict(tags),
        )
        cluster.attach_dns_publisher(private_zone.publisher)
    # GKE needs no runner in the network: the DNS endpoint or a public one (reach.py)
    deploy = deploy_path(config)
    return Platform(
        outputs={
            "network": {
                "network_id": network.network_id,
                "subnet_id": network.subnet_id,
            },
            "cluster": {
                "name": cluster.cluster_name,
                "location": cluster.location,
                "endpoint": cluster.endpoint.apply(lambda ip: f"https://{ip}"),
                "oidc_issuer_url": cluster.oidc_issuer_url,
                "workload_pool": cluster.workload_pool,
            },
            "kubeconfig": cluster.kubeconfig,
            "buckets": {role: bucket.bucket_name for role, bucket in buckets.items()},
            "deploy": {"runner": deploy.runner.value},
        },
        cluster=cluster,
    )


def cluster_name(project: str, stack: str) -> str:
    """`<project>-<stack>` as GKE accepts it: lower-case letters, digits and hyphens,
    starting with a letter, at most 40 characters (a hash keeps long names distinct)."""
    name = re.sub(r"[^a-z0-9-]+", "-", f"{project}-{stack}".lower()).strip("-")
    if not name[:1].isalpha():
        name = f"c-{name}"
    if len(name) <= MAX_CLUSTER_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[: MAX_CLUSTER_NAME - 7].rstrip('-')}-{digest}"


def _node_pool(name: str, args: NodePoolArgs, cluster: Cluster) -> NodePool:
    return NodePool(
        name,
        args,
        cluster_name=cluster.cluster_name,
        location=cluster.location,
        service_account=cluster.node_service_account,
        boot_disk_kms_key=cluster.disks_key_id,
        project=cluster.project_id,
    )


def _gpu_pool_args(
    pool: GpuPoolConfig,
    cluster_zones: Sequence[pulumi.Input[str]],
    tags: Mapping[str, str],
    *,
    compact: bool = False,
) -> NodePoolArgs:
    """`compact` for a pool holding a multi-node replica: compact placement, in the pool's
    one zone (the config checks require one)."""
    instance = resolve_instance(
        catalog(),
        Cloud.GCP,
        gpu=pool.gpu,
        instance_type=pool.instance_type,
        gpus_per_node=pool.gpus_per_node,
    )
    return NodePoolArgs(
        pool=pool.name,
        machine_type=instance.name,
        capacity_type=pool.capacity_type,
        min_nodes=pool.min_nodes,
        max_nodes=pool.max_nodes,
        disk_size_gib=pool.disk_size_gib,
        # The config checks keep a pool's zones within the network's; GPUs are offered in
        # only some zones of a region, so pools name theirs where it matters.
        zones=list(pool.zones) if pool.zones is not None else list(cluster_zones),
        gpu=instance.gpu,
        gpus_per_node=instance.gpus,
        labels=tags,
        compact_placement=compact,
    )


def _maintenance_window(config: StackConfig) -> MaintenanceWindow:
    window = config.cluster.maintenance_window
    return MaintenanceWindow(
        days=tuple(day.value for day in window.days),
        start_time_utc=window.start_time_utc,
        duration_hours=window.duration_hours,
    )


def _zones(config: StackConfig, project: pulumi.Input[str]) -> Sequence[pulumi.Input[str]]:
    if config.network.availability_zones:
        return list(config.network.availability_zones)
    # Asked of the Compute Engine API, so after it is enabled.
    available = gcp.compute.get_zones_output(project=project, region=config.region, status="UP")
    return [available.names[i] for i in range(config.network.zone_count)]
