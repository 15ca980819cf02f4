"""Cost attribution: required tags (labels on GCP)."""

from collections.abc import Iterator, Mapping
from typing import Any

from policies.lib.rules import Resource, Rule, StackRule, rule

REQUIRED = ["team", "cost-center"]


@rule(
    "cost-required-tags",
    "Cloud resources carry the cost-attribution tags",
    ("aws:*", "gcp:*", "azure-native:*"),
    config={"required": {"type": "array", "items": {"type": "string"}, "default": REQUIRED}},
)
def required_tags(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for key in ("tags", "labels"):
        tags = resource.props.get(key)
        if isinstance(tags, Mapping):
            missing = [t for t in config["required"] if t not in tags]
            if missing:
                yield f"{key} lack {', '.join(missing)}"
            return


RULES: list[Rule | StackRule] = [required_tags]
