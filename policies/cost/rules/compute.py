"""Compute: which GPUs, how many, spot and scale to zero, and the monthly budget."""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from components.catalog.pricing import price_catalog
from components.enums import Cloud
from policies.lib.pools import POOL_TYPES, read_pools
from policies.lib.props import environment, stack_environment
from policies.lib.rules import Resource, Rule, StackRule, rule, stack_rule

ALLOWED_GPUS = {
    "dev": ["a10g", "l4"],
    "staging": ["a10g", "l4", "a100-40gb", "a100-80gb"],
    "prod": ["a10g", "l4", "a100-40gb", "a100-80gb", "h100"],
}
MAX_GPUS = {"dev": 8, "staging": 32, "prod": 256}
CLOUD_OF = {"aws": Cloud.AWS, "gcp": Cloud.GCP, "azure-native": Cloud.AZURE}


@rule(
    "cost-allowed-gpus",
    "GPU pools use the GPU types allowed in their environment",
    POOL_TYPES,
    config={"allowed": {"type": "object", "default": ALLOWED_GPUS}},
)
def allowed_gpus(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    env = environment(resource.props, config)
    allowed = config["allowed"].get(env, ALLOWED_GPUS["prod"])
    for pool in read_pools(resource.type, resource.props):
        if pool.gpu and pool.gpu.gpu.value not in allowed:
            gpu = f"{pool.gpu.gpu.value} ({pool.instance_type})"
            yield f"{pool.where}{gpu} is not allowed in {env} (allowed: {', '.join(allowed)})"


@stack_rule(
    "cost-max-gpus",
    "The stack's GPUs at max scale stay under the environment's limit",
    config={"max_gpus": {"type": "object", "default": MAX_GPUS}},
)
def max_gpus(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str | None]]:
    env = stack_environment(resources, config)
    limit = int(config["max_gpus"].get(env, MAX_GPUS["prod"]))
    total = 0
    for resource in resources:
        for pool in read_pools(resource.type, resource.props):
            if pool.gpu:
                total += pool.max_nodes * pool.gpu.gpus
    if total > limit:
        yield f"the pools reach {total} GPUs at max nodes; the {env} limit is {limit}", None


@rule(
    "cost-max-nodes-per-pool",
    "No pool scales beyond the configured node count",
    POOL_TYPES,
    config={"max_nodes": {"type": "integer", "default": 20}},
)
def max_nodes(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for pool in read_pools(resource.type, resource.props):
        if pool.max_nodes > int(config["max_nodes"]):
            yield f"{pool.where}max nodes {pool.max_nodes} is above the limit {config['max_nodes']}"


@rule(
    "cost-gpu-spot-and-scale-to-zero-outside-prod",
    "Outside prod, GPU pools run on spot capacity and keep no node of their own (min 0): "
    "only the nodes model replicas hold stay up (a model keeps at least one replica, as "
    "nothing wakes one at zero)",
    POOL_TYPES,
)
def spot_outside_prod(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if environment(resource.props, config) == "prod":
        return
    for pool in read_pools(resource.type, resource.props):
        if pool.gpu is None:
            continue
        if not pool.spot:
            yield f"{pool.where}GPU pool on on-demand {pool.instance_type} outside prod; use spot"
        if pool.min_nodes > 0:
            yield (
                f"{pool.where}GPU pool keeps {pool.min_nodes} node(s) outside prod; set min "
                "to 0 (the nodes the models' replicas need come up on demand)"
            )


def _cloud(resource: Resource) -> Cloud | None:
    return CLOUD_OF.get(resource.type.split(":")[0])


@stack_rule(
    "cost-monthly-budget",
    "Node pools at max scale cost less per month than the budget",
    config={"monthly_budget_usd": {"type": ["number", "null"], "default": None}},
)
def budget(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str | None]]:
    limit = config.get("monthly_budget_usd")
    if not limit:
        return
    catalog = price_catalog()
    total = 0.0
    unpriced = []
    for resource in resources:
        cloud = _cloud(resource)
        if cloud is None:
            continue
        prices = catalog.clouds[cloud]
        for pool in read_pools(resource.type, resource.props):
            price = prices.instances.get(pool.instance_type)
            if price is None:
                unpriced.append(pool.instance_type)
                continue
            ratio = prices.spot_ratio.usd if pool.spot else 1.0
            total += pool.max_nodes * price.usd * ratio * catalog.hours_per_month
    if total > float(limit):
        note = f" (not priced: {', '.join(sorted(set(unpriced)))})" if unpriced else ""
        yield (
            f"node pools cost ${total:,.0f} a month at max scale; "
            f"the budget is ${float(limit):,.0f}{note}",
            None,
        )


RULES: list[Rule | StackRule] = [allowed_gpus, max_gpus, max_nodes, spot_outside_prod, budget]
