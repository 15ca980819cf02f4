"""Cost rules by area."""

from policies.cost.rules import compute, network, storage, tags

ALL = [*compute.RULES, *network.RULES, *storage.RULES, *tags.RULES]
