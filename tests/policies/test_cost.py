"""Every cost rule, passing and failing, through the real analyzer gRPC protocol."""

import pytest

from tests.policies.cases_cost import CASES, DEV, MORE_FAILING, PROD, group


def test_every_rule_has_a_passing_and_a_failing_case(cost):
    names = {p.name for p in cost.run([]).policies}
    assert len(names) >= 10
    assert names == set(CASES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule(cost, rule):
    passing, failing, config = CASES[rule]
    assert rule not in cost.violations(passing, config), f"{rule} flags a compliant stack"
    assert rule in cost.violations(failing, config), f"{rule} misses a violation"
    for more in MORE_FAILING.get(rule, []):
        found = cost.violations(more, config)
        assert rule in found, f"{rule} misses a violation in {[r['type'] for r in more]}"


def test_limits_are_configurable(cost):
    big = [group("g6.2xlarge", 0, 30, DEV)]
    assert "cost-max-nodes-per-pool" in cost.violations(big)
    assert "cost-max-nodes-per-pool" not in cost.violations(
        big, {"cost-max-nodes-per-pool": {"max_nodes": 40}}
    )
    allowed = {"cost-allowed-gpus": {"allowed": {"dev": ["h100"]}}}
    assert "cost-allowed-gpus" not in cost.violations([group("p5.48xlarge", 0, 1, DEV)], allowed)


def test_the_budget_message_names_cost_and_budget(cost):
    found = cost.violations(
        [group("p5.48xlarge", 0, 2, PROD, capacity="ON_DEMAND")],
        {"cost-monthly-budget": {"monthly_budget_usd": 50000}},
    )
    [message] = found["cost-monthly-budget"]
    assert message.startswith("node pools cost $80,358 a month at max scale; the budget is $50,000")
