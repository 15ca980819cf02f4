"""Network: NAT gateways and load balancers."""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policies.lib.props import environment, get
from policies.lib.rules import Resource, Rule, StackRule, rule, stack_rule


@stack_rule("cost-single-nat-outside-prod", "Outside prod, one NAT gateway serves every zone")
def single_nat(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str | None]]:
    gateways = [r for r in resources if r.type == "aws:ec2/natGateway:NatGateway"]
    if len(gateways) > 1 and environment(gateways[0].props, config) != "prod":
        yield (
            f"{len(gateways)} NAT gateways outside prod (about $33 a month each); use nat: single",
            None,
        )


@rule(
    "cost-no-load-balancer-services",
    "Services are not LoadBalancers unless listed (the platform's one load balancer is the "
    "gateway's, which Envoy Gateway makes from its EnvoyProxy)",
    ["kubernetes:core/v1:Service"],
    config={"allowed": {"type": "array", "items": {"type": "string"}, "default": []}},
)
def no_load_balancers(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    name = get(resource.props, "metadata", "name", default=resource.name)
    if get(resource.props, "spec", "type") == "LoadBalancer" and name not in config["allowed"]:
        yield (
            f"Service {name} creates a cloud load balancer; "
            "use ClusterIP behind the ingress, or list it in `allowed`"
        )


RULES: list[Rule | StackRule] = [single_nat, no_load_balancers]
