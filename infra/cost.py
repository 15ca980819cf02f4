"""Monthly cost of a stack at its autoscaling bounds, and per-model serving cost.

Every line lists the catalog prices it used, each traceable to an entry of
components/catalog/prices.yaml and its source. Assumptions, stated once:
- a month is `hours_per_month` hours; nodes run all month at the bound in question;
- spot capacity costs `spot_ratio` × on-demand;
- block storage: every node's root disk plus each vector-DB replica's volume and each
  model-cache claim of a replica across nodes (one per node of every group autoscaling
  and a rollout's surge may run, at both bounds: the claims outlive scaled-in groups);
- object storage: bucket-served weights plus one full copy of a vector-DB volume per
  retained day of snapshots (an upper bound: volumes are rarely full);
- NAT: gateway-hours plus `nat_gb_per_month` of processed data;
- load balancers: the stack's LoadBalancer Services (none yet: models are ClusterIP).
"""

from dataclasses import dataclass, field

from components.catalog import catalog, resolve_instance
from components.catalog.pricing import CloudPrices, Price, price_catalog
from components.enums import CapacityType, Cloud
from components.network.nat import nat_gateway_count
from components.sizing.throughput import usd_per_million_tokens
from infra.config import StackConfig
from infra.sizing import ModelSizing, cache_size_gib, size_model
from infra.topology import group_surge, layouts
from workloads.cache_claims import claim_size_gib, claimed_groups

GIB = 1024**3


@dataclass(frozen=True)
class PriceUsed:
    item: str
    usd: float
    source: str
    as_of: str
    confidence: str


@dataclass(frozen=True)
class CostLine:
    component: str
    detail: str
    monthly_usd_min: float
    monthly_usd_max: float
    prices: list[PriceUsed] = field(default_factory=list)


@dataclass(frozen=True)
class ModelCost:
    name: str
    pool: str
    instance_type: str
    gpus_per_replica: int
    min_replicas: int
    max_replicas: int
    usd_per_replica_hour: float
    usd_per_hour_at_min_replicas: float
    output_tokens_per_second_per_replica: float | None
    usd_per_million_output_tokens: float | None


@dataclass(frozen=True)
class CostReport:
    cloud: str
    priced_region: str
    stack_region: str
    hours_per_month: float
    lines: list[CostLine]
    models: list[ModelCost]
    monthly_usd_min: float
    monthly_usd_max: float


def estimate_cost(config: StackConfig) -> CostReport:
    prices = price_catalog().clouds[config.cloud]
    hours = price_catalog().hours_per_month
    lines = [
        _cluster(prices, hours),
        *_system_nodes(config, prices, hours),
        *_gpu_pools(config, prices, hours),
        _nat(config, prices, hours),
        *_storage(config, prices),
        _load_balancers(config, prices, hours),
    ]
    sized = [size_model(config.cloud, m, config.pool(m.pool)) for m in config.models]
    return CostReport(
        cloud=config.cloud.value,
        priced_region=prices.region,
        stack_region=config.region,
        hours_per_month=hours,
        lines=lines,
        models=[_model_cost(s) for s in sized],
        monthly_usd_min=round(sum(line.monthly_usd_min for line in lines), 2),
        monthly_usd_max=round(sum(line.monthly_usd_max for line in lines), 2),
    )


def _used(item: str, price: Price) -> PriceUsed:
    source = price_catalog().source_of(price)
    return PriceUsed(item, price.usd, price.source, source.as_of, source.confidence)


def _cluster(prices: CloudPrices, hours: float) -> CostLine:
    monthly = prices.cluster_per_hour.usd * hours
    return CostLine(
        "cluster",
        f"managed control plane at ${prices.cluster_per_hour.usd}/h",
        round(monthly, 2),
        round(monthly, 2),
        [_used("cluster per hour", prices.cluster_per_hour)],
    )


def system_pool_shape(config: StackConfig, prices: CloudPrices) -> tuple[str, int, int]:
    """Instance type and total node bounds of the system (on AWS: the CPU) pool, as the
    platform builds it: on AWS sized from what the stack runs there unless configured."""
    pool = config.cluster.system_pool
    if config.cloud is Cloud.AWS:
        # imported only for AWS stacks: the AWS platform module loads the AWS SDK, which a
        # plan of another cloud never imports
        from infra.platforms.aws import cpu_pool_size  # noqa: PLC0415

        sized = cpu_pool_size(config)
        return sized.instance_type, sized.min_nodes, sized.max_nodes
    return pool.instance_type or prices.system_instance, pool.min_nodes, pool.max_nodes


def _system_nodes(config: StackConfig, prices: CloudPrices, hours: float) -> list[CostLine]:
    name, low, high = system_pool_shape(config, prices)
    price = price_catalog().instance(config.cloud, name)
    lines = [
        CostLine(
            "system nodes",
            f"{low}–{high} × {name} at ${price.usd}/h",
            round(low * price.usd * hours, 2),
            round(high * price.usd * hours, 2),
            [_used(name, price)],
        )
    ]
    if config.cloud is Cloud.AZURE:
        # AKS keeps its System pool for critical add-ons; the platform's CPU pods run on a
        # User pool per zone (components/azure, cluster.cpu_pool)
        size = config.cluster.cpu_pool.size(config.environment)
        zones = len(config.network.availability_zones or ()) or 1
        cpu_price = price_catalog().instance(config.cloud, size.instance_type)
        low, high = size.min_nodes_per_zone * zones, size.max_nodes_per_zone * zones
        lines.append(
            CostLine(
                "CPU pool",
                f"{low}–{high} × {size.instance_type} at ${cpu_price.usd}/h ({zones} zone pools)",
                round(low * cpu_price.usd * hours, 2),
                round(high * cpu_price.usd * hours, 2),
                [_used(size.instance_type, cpu_price)],
            )
        )
    return lines


def _gpu_pools(config: StackConfig, prices: CloudPrices, hours: float) -> list[CostLine]:
    lines = []
    for pool in config.gpu_pools:
        instance = resolve_instance(
            catalog(),
            config.cloud,
            gpu=pool.gpu,
            instance_type=pool.instance_type,
            gpus_per_node=pool.gpus_per_node,
        )
        price = price_catalog().instance(config.cloud, instance.name)
        used = [_used(instance.name, price)]
        hourly = price.usd
        detail = f"{pool.min_nodes}–{pool.max_nodes} × {instance.name} at ${price.usd}/h"
        if pool.capacity_type is CapacityType.SPOT:
            hourly *= prices.spot_ratio.usd
            used.append(_used("spot ratio", prices.spot_ratio))
            detail += f" × {prices.spot_ratio.usd} spot"
        lines.append(
            CostLine(
                f"gpu pool {pool.name}",
                detail,
                round(pool.min_nodes * hourly * hours, 2),
                round(pool.max_nodes * hourly * hours, 2),
                used,
            )
        )
    return lines


def _nat(config: StackConfig, prices: CloudPrices, hours: float) -> CostLine:
    zones = len(config.network.availability_zones or ()) or config.network.zone_count
    count = nat_gateway_count(config.cloud, config.network.nat, zones)
    data = prices.nat_gb_per_month.usd if count else 0
    monthly = count * prices.nat_gateway_per_hour.usd * hours + data * prices.nat_per_gb.usd
    return CostLine(
        "nat",
        f"{count} gateway(s) at ${prices.nat_gateway_per_hour.usd}/h + {data:g} GB at "
        f"${prices.nat_per_gb.usd}/GB",
        round(monthly, 2),
        round(monthly, 2),
        [
            _used("nat gateway per hour", prices.nat_gateway_per_hour),
            _used("nat per GB", prices.nat_per_gb),
            _used("nat GB per month", prices.nat_gb_per_month),
        ],
    )


def _storage(config: StackConfig, prices: CloudPrices) -> list[CostLine]:
    system = config.cluster.system_pool
    vector = config.vector_db
    volumes = vector.replicas * vector.storage_gib if vector.enabled else 0
    shapes = layouts(config)
    # every claim a group may use exists at both bounds: they outlive scaled-in groups
    claimed = sum(
        claim_size_gib(cache_size_gib(m))
        * shapes[m.name].nodes
        * claimed_groups(m.min_replicas, m.max_replicas, group_surge(config, m, shapes))
        for m in config.models
        if shapes[m.name].multi_node
    )
    caches = {"min_replicas": claimed, "max_replicas": claimed}

    _, system_low, system_high = system_pool_shape(config, prices)
    system_nodes = {"min_nodes": system_low, "max_nodes": system_high}

    def disks(bound: str) -> int:
        nodes = system_nodes[bound] * system.disk_size_gib
        gpu = sum(getattr(pool, bound) * pool.disk_size_gib for pool in config.gpu_pools)
        replicas = "min_replicas" if bound == "min_nodes" else "max_replicas"
        return nodes + gpu + volumes + caches[replicas]

    block = prices.block_storage_per_gb_month
    weights_gb = sum(
        s.fit.weights_bytes / GIB
        for m in config.models
        if m.weights_uri and (s := size_model(config.cloud, m, config.pool(m.pool))).fit
    )
    snapshots = vector.storage_gib * vector.backup_retention_days if vector.enabled else 0
    objects = prices.object_storage_per_gb_month
    object_monthly = (weights_gb + snapshots) * objects.usd
    return [
        CostLine(
            "block storage",
            f"{disks('min_nodes')}–{disks('max_nodes')} GB of node disks, vector-DB and "
            f"model-cache volumes at ${block.usd}/GB-month",
            round(disks("min_nodes") * block.usd, 2),
            round(disks("max_nodes") * block.usd, 2),
            [_used("block storage per GB-month", block)],
        ),
        CostLine(
            "object storage",
            f"{weights_gb + snapshots:.0f} GB of weights and snapshots at ${objects.usd}/GB-month",
            round(object_monthly, 2),
            round(object_monthly, 2),
            [_used("object storage per GB-month", objects)],
        ),
    ]


def _load_balancers(config: StackConfig, prices: CloudPrices, hours: float) -> CostLine:
    """The gateway's load balancer, the stack's only one: its hourly charge (an NLB, a
    forwarding rule, a Standard Load Balancer's first rules); what it charges by traffic
    (NLCUs, GB processed) is not estimated."""
    used = [_used("load balancer per hour", prices.load_balancer_per_hour)]
    if not config.gateway.enabled:
        return CostLine("load balancers", "0: the stack exposes no load balancer", 0.0, 0.0, used)
    monthly = round(prices.load_balancer_per_hour.usd * hours, 2)
    kind = "public" if config.gateway.public else "internal"
    return CostLine(
        "load balancers",
        f"1 ({kind}, the gateway's) at ${prices.load_balancer_per_hour.usd}/h, plus its "
        "traffic charges",
        monthly,
        monthly,
        used,
    )


def _model_cost(sizing: ModelSizing) -> ModelCost:
    model = sizing.model
    speed = sizing.throughput
    tokens = round(speed.output_tokens_per_second, 1) if speed else None
    per_million = usd_per_million_tokens(sizing.usd_per_replica_hour, speed) if speed else None
    return ModelCost(
        name=model.name,
        pool=model.pool,
        instance_type=sizing.instance.name,
        gpus_per_replica=model.gpus_per_replica,
        min_replicas=model.min_replicas,
        max_replicas=model.max_replicas,
        usd_per_replica_hour=round(sizing.usd_per_replica_hour, 4),
        usd_per_hour_at_min_replicas=round(sizing.usd_per_replica_hour * model.min_replicas, 4),
        output_tokens_per_second_per_replica=tokens,
        usd_per_million_output_tokens=round(per_million, 4) if per_million else None,
    )
