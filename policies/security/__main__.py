"""llm-infra security policy pack: `pulumi preview --policy-pack policies/security`."""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.lib.rules import policies
from policies.security.rules import ALL

PolicyPack(
    name="llm-infra-security",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=policies(ALL),
)
