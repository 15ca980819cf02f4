import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.catalog.pricing import price_catalog
from components.enums import Cloud
from infra.config import load_stack_config
from infra.cost import estimate_cost
from tests.harness import (
    SHIPPED_STACKS,
    as_config_strings,
    load,
    minimal_platform,
    shipped_config_values,
)


def shipped(stack):
    return load_stack_config(as_config_strings(shipped_config_values(stack)))


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_totals_are_the_sum_of_the_lines_and_min_never_exceeds_max(stack):
    report = estimate_cost(shipped(stack))
    assert report.monthly_usd_min == pytest.approx(
        sum(line.monthly_usd_min for line in report.lines), abs=0.05
    )
    assert report.monthly_usd_max == pytest.approx(
        sum(line.monthly_usd_max for line in report.lines), abs=0.05
    )
    assert all(line.monthly_usd_min <= line.monthly_usd_max for line in report.lines)
    assert report.monthly_usd_max <= shipped(stack).cost.monthly_budget_usd


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_price_used_is_traceable_to_the_catalog(stack):
    report = estimate_cost(shipped(stack))
    catalog = price_catalog()
    for line in report.lines:
        assert line.prices
        for price in line.prices:
            assert price.source in catalog.sources
            assert catalog.sources[price.source].as_of == price.as_of


def test_a_gpu_pool_line_is_nodes_times_price_times_hours():
    report = estimate_cost(shipped("prod"))
    large = next(line for line in report.lines if line.component == "gpu pool large")
    price = price_catalog().instance(Cloud.AWS, "p5.48xlarge").usd
    assert large.monthly_usd_min == pytest.approx(1 * price * 730, abs=0.01)
    assert large.monthly_usd_max == pytest.approx(2 * price * 730, abs=0.01)


def test_spot_pools_are_charged_at_the_spot_ratio():
    dev = estimate_cost(shipped("dev"))
    pool = next(line for line in dev.lines if line.component == "gpu pool standard")
    price = price_catalog().instance(Cloud.AWS, "g6.2xlarge").usd
    assert pool.monthly_usd_max == pytest.approx(2 * price * 0.40 * 730, abs=0.01)
    assert "spot" in pool.detail


def test_nat_lines_follow_the_strategy_and_cloud(shipped_plan):
    for stack, nat_type in (
        ("dev", "aws:ec2/natGateway:NatGateway"),
        ("prod", "aws:ec2/natGateway:NatGateway"),
        ("gcp-prod", "gcp:compute/routerNat:RouterNat"),
        ("azure-prod", "azure-native:network:NatGateway"),
    ):
        line = next(line for line in estimate_cost(shipped(stack)).lines if line.component == "nat")
        assert line.detail.startswith(f"{len(shipped_plan(stack).of_type(nat_type))} gateway(s)")


def test_per_model_cost_at_min_replicas_and_per_million_tokens():
    report = estimate_cost(shipped("prod"))
    large = next(m for m in report.models if m.name == "llama-3-1-70b")
    price = price_catalog().instance(Cloud.AWS, "p5.48xlarge").usd
    assert large.usd_per_replica_hour == pytest.approx(price * 4 / 8, abs=1e-4)
    assert large.usd_per_hour_at_min_replicas == pytest.approx(2 * price * 4 / 8, abs=1e-3)
    assert large.usd_per_million_output_tokens and large.usd_per_million_output_tokens > 0


@settings(max_examples=60)
@given(
    min_nodes=st.integers(0, 5),
    extra=st.integers(0, 5),
    more=st.integers(1, 5),
    system=st.integers(1, 5),
)
def test_costs_are_monotonic_in_node_counts(min_nodes, extra, more, system):
    base = minimal_platform()
    base["gpu_pools"][0].update(min_nodes=min_nodes, max_nodes=min_nodes + extra + 1)
    base["cluster"]["system_pool"] = {"min_nodes": system, "max_nodes": system + extra}
    bigger = copy.deepcopy(base)
    bigger["gpu_pools"][0]["max_nodes"] += more
    bigger["gpu_pools"][0]["min_nodes"] += more
    bigger["cluster"]["system_pool"]["max_nodes"] += more
    small, large = estimate_cost(load(base)), estimate_cost(load(bigger))
    assert large.monthly_usd_min >= small.monthly_usd_min
    assert large.monthly_usd_max >= small.monthly_usd_max


def test_aws_prices_the_cpu_pool_the_platform_builds_when_the_config_leaves_it_unset():
    # components/aws/cpu_pool.py sizes the pool from what the stack runs on CPU; the cost
    # must price those nodes, not a default the platform no longer uses
    from infra.platforms.aws import cpu_pool_size

    platform = minimal_platform()
    platform["cluster"].pop("system_pool", None)
    config = load(platform)
    sized = cpu_pool_size(config)
    (line,) = [line for line in estimate_cost(config).lines if line.component == "system nodes"]
    price = price_catalog().instance(Cloud.AWS, sized.instance_type).usd
    hours = price_catalog().hours_per_month
    assert line.detail.startswith(f"{sized.min_nodes}–{sized.max_nodes} × {sized.instance_type}")
    assert line.monthly_usd_min == round(sized.min_nodes * price * hours, 2)


def test_azure_prices_its_cpu_pools_beside_the_system_pool():
    config = shipped("azure-prod")
    lines = {line.component: line for line in estimate_cost(config).lines}
    size = config.cluster.cpu_pool.size(config.environment)
    zones = len(config.network.availability_zones or ())
    assert zones == 3
    assert lines["CPU pool"].detail.startswith(
        f"{size.min_nodes_per_zone * zones}–{size.max_nodes_per_zone * zones} × {size.instance_type}"
    )
    assert lines["CPU pool"].monthly_usd_min > 0


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_the_gateways_load_balancer_is_one_line_at_the_clouds_hourly_rate(cloud):
    stack = {"aws": "prod", "gcp": "gcp-prod", "azure": "azure-prod"}[cloud]
    report = estimate_cost(shipped(stack))
    (line,) = [line for line in report.lines if line.component == "load balancers"]
    rate = price_catalog().clouds[Cloud(cloud)].load_balancer_per_hour.usd
    assert line.monthly_usd_min == line.monthly_usd_max == pytest.approx(rate * 730, abs=0.01)
    assert line.detail.startswith("1 (internal, the gateway's)")
    platform = minimal_platform(gateway={"enabled": False})
    (off,) = [x for x in estimate_cost(load(platform)).lines if x.component == "load balancers"]
    assert off.monthly_usd_max == 0
