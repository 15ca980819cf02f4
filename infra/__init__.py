"""llm-infra: the Pulumi program, its typed config and the offline tooling that drives it."""
