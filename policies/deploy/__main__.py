"""llm-infra deploy-truth policy pack: `pulumi preview --policy-pack policies/deploy`."""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.deploy.rules import ALL
from policies.lib.rules import policies

PolicyPack(
    name="llm-infra-deploy",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=policies(ALL),
)
