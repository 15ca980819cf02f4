"""Resource names and types are public API: renaming or retyping one replaces real
infrastructure (and destroys the data of a stateful one). This test fails on any change
to a shipped stack's URNs and says which, and what to do."""

import pytest

from infra.stages import platform_stage, staged
from tests.golden import golden_file, stage_file
from tests.harness import EXAMPLE_STACKS, SHIPPED_STACKS

STACKS = (*SHIPPED_STACKS, *EXAMPLE_STACKS)

FIX = (
    "If the change is a rename, keep the resource with an alias, e.g. "
    "opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name='<old name>')]) "
    "(or parent=/type= for a move), so Pulumi updates it in place. If the resources really "
    "are new or gone, regenerate the lists with `make golden` and review the diff."
)


@pytest.mark.parametrize("stack", STACKS)
def test_urns_match_the_golden_list(shipped_plan, stack):
    expected = golden_file(stack).read_text(encoding="utf-8").split()
    actual = [r.urn for r in shipped_plan(stack).resources]
    gone = sorted(set(expected) - set(actual))
    new = sorted(set(actual) - set(expected))
    message = [f"stack {stack}: the resource URNs changed."]
    message += [f"  - {urn}" for urn in gone]
    message += [f"  + {urn}" for urn in new]
    message.append(FIX)
    assert not gone and not new, "\n".join(message)


@pytest.mark.parametrize("stack", STACKS)
def test_a_two_stage_stacks_platform_stage_matches_its_golden_list(shipped_plan, stack):
    """What `pulumi up --exclude … --exclude-dependents` creates first (infra/stages.py):
    the same URNs as the whole stack's, so the split renames nothing."""
    plan = shipped_plan(stack)
    if not staged(plan):
        assert not stage_file(stack).exists(), "a one-stage stack has no platform-stage list"
        return
    expected = stage_file(stack).read_text(encoding="utf-8").split()
    actual = [r.urn for r in platform_stage(plan)]
    assert actual == expected, f"stack {stack}: the platform stage changed. {FIX}"
    assert set(actual) < {r.urn for r in plan.resources}
