"""Resource names and types are public API: renaming or retyping one replaces real
infrastructure (and destroys the data of a stateful one). This test fails on any change
to a shipped stack's URNs and says which, and what to do."""

import pytest

from tests.golden import golden_file
from tests.harness import SHIPPED_STACKS

FIX = (
    "If the change is a rename, keep the resource with an alias, e.g. "
    "opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name='<old name>')]) "
    "(or parent=/type= for a move), so Pulumi updates it in place. If the resources really "
    "are new or gone, regenerate the lists with `make golden` and review the diff."
)


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
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
