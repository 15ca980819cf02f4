"""llm-infra cost policy pack: `pulumi preview --policy-pack policies/cost`."""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.cost.rules import ALL
from policies.lib.rules import policies

PolicyPack(
    name="llm-infra-cost",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=policies(ALL),
)
