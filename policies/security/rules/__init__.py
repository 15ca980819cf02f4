"""Security rules by area."""

from policies.security.rules import aws, azure, gateway, gcp, kubernetes, llm

ALL = [*aws.RULES, *gcp.RULES, *azure.RULES, *kubernetes.RULES, *llm.RULES, *gateway.RULES]
