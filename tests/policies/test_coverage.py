"""The cases reach every path of every rule: each resource type a rule claims has a
failing case that the rule flags for that type, and every cloud's node pools reach the
rules that read node pools. Through the real analyzer gRPC protocol."""

import inspect
from collections.abc import Sequence
from typing import Any

import pytest

from policies.cost.rules import ALL as COST_RULES
from policies.lib.pods import LEADER_WORKER_SET, WORKLOAD_TYPES
from policies.lib.rules import Rule, StackRule, applies
from policies.security.rules import ALL as SECURITY_RULES
from tests.policies import cases_cost, cases_security
from tests.policies.conftest import Pack

# Every kind of resource that creates nodes, on every cloud (the provider SDKs' tokens):
# an EKS managed node group, a GKE node pool, an AKS agent pool, and the AKS cluster,
# which creates its System pool from its inline agentPoolProfiles.
EVERY_CLOUDS_POOLS = (
    "aws:eks/nodeGroup:NodeGroup",
    "gcp:container/nodePool:NodePool",
    "azure-native:containerservice:AgentPool",
    "azure-native:containerservice:ManagedCluster",
)

# The rules that read node pools (their instance type, bounds, capacity, labels).
POOL_RULES = {
    "cost-allowed-gpus",
    "cost-max-gpus",
    "cost-max-nodes-per-pool",
    "cost-gpu-spot-and-scale-to-zero-outside-prod",
    "cost-monthly-budget",
    "llm-capacity-coherence",
    "llm-group-in-one-zone",
}

# Stack rules declare no types: what each one reads, from its code, in groups of
# alternatives (a set with one member of a group shows that member's path).
STACK_RULE_TYPES: dict[str, tuple[tuple[str, ...], ...]] = {
    "s3-tls-only": (("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"),),
    "vpc-flow-logs-in-prod": (("aws:ec2/vpc:Vpc",),),
    "llm-capacity-coherence": (WORKLOAD_TYPES, EVERY_CLOUDS_POOLS),
    "llm-group-in-one-zone": ((LEADER_WORKER_SET,), EVERY_CLOUDS_POOLS),
    "cost-max-gpus": (EVERY_CLOUDS_POOLS,),
    "cost-monthly-budget": (EVERY_CLOUDS_POOLS,),
    "cost-single-nat-outside-prod": (("aws:ec2/natGateway:NatGateway",),),
    "gateway-requires-auth": (
        ("kubernetes:gateway.networking.k8s.io/v1:Gateway",),
        ("kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy",),
    ),
    "gateway-tls-in-prod": (("kubernetes:gateway.networking.k8s.io/v1:Gateway",),),
    "gateway-rate-limits-in-prod": (
        ("kubernetes:gateway.networking.k8s.io/v1:Gateway",),
        ("kubernetes:gateway.envoyproxy.io/v1alpha1:BackendTrafficPolicy",),
    ),
    "cost-bucket-lifecycle": (
        ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2", "gcp:storage/bucket:Bucket"),
    ),
}

PACKS = {
    "security": (SECURITY_RULES, cases_security.CASES, cases_security.MORE_FAILING),
    "cost": (COST_RULES, cases_cost.CASES, cases_cost.MORE_FAILING),
}
RULES = [(pack, r) for pack, (rules, _, _) in PACKS.items() for r in rules]


def claimed(rule: Rule | StackRule) -> tuple[tuple[str, ...], ...]:
    return (rule.types,) if isinstance(rule, Rule) else STACK_RULE_TYPES[rule.name]


def _type_of(urn: str) -> str:
    return urn.split("::")[2] if urn.count("::") >= 3 else ""


def covered(
    pack: Pack,
    name: str,
    groups: tuple[tuple[str, ...], ...],
    failing_sets: Sequence[list[dict[str, Any]]],
    config: dict[str, Any] | None,
) -> set[str]:
    """The claimed types (or type patterns) some failing set shows the rule flagging: a
    finding on a resource of that type, or a finding in a set where that type is the only
    one of its group."""
    found: set[str] = set()
    for resources in failing_sets:
        findings = [d for d in pack.run(resources, config).diagnostics if d.policy == name]
        if not findings:
            continue
        flagged = {_type_of(d.urn) for d in findings if d.urn}
        present = {r["type"] for r in resources}
        for group in groups:
            found |= {t for t in group if any(applies((t,), f) for f in flagged)}
            members = [t for t in group if any(applies((t,), p) for p in present)]
            if len(members) == 1:
                found |= set(members)
    return found


@pytest.mark.parametrize(("pack", "rule"), RULES, ids=[r.name for _, r in RULES])
def test_every_type_a_rule_claims_has_a_failing_case(request, pack, rule):
    _, cases, more = PACKS[pack]
    _, failing, config = cases[rule.name]
    groups = claimed(rule)
    reached = covered(
        request.getfixturevalue(pack),
        rule.name,
        groups,
        [failing, *more.get(rule.name, [])],
        config,
    )
    missing = sorted({t for group in groups for t in group} - reached)
    assert not missing, f"{rule.name}: no failing case is flagged for {missing}"


def test_every_stack_rule_says_what_it_reads():
    stack_rules = {r.name for _, r in RULES if isinstance(r, StackRule)}
    assert stack_rules == set(STACK_RULE_TYPES)


def test_every_clouds_pools_reach_the_pool_rules():
    by_name = {r.name: r for _, r in RULES}
    assert set(by_name) >= POOL_RULES
    for name in sorted(POOL_RULES):
        types = {t for group in claimed(by_name[name]) for t in group}
        assert set(EVERY_CLOUDS_POOLS) <= types, f"{name} does not read every cloud's pools"


def test_every_rule_that_reads_pools_is_a_pool_rule():
    readers = {
        r.name
        for _, r in RULES
        if "read_pool" in inspect.getsource(r.check) or "_pools(" in inspect.getsource(r.check)
    }
    assert readers == POOL_RULES
