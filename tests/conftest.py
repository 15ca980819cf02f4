import os
from collections.abc import Callable

import pytest

from infra.offline.plan import plan_stack
from infra.offline.record import PlanRecord
from tests.harness import EXAMPLE_STACKS, EXAMPLES, ROOT, SHIPPED_STACKS

# No test reaches the Hugging Face Hub: a model outside the library is "not sized" unless
# a test serves the Hub itself (tests/components/sizing/test_hub.py).
os.environ["HF_HUB_OFFLINE"] = "1"

_PLANS: dict[str, PlanRecord] = {}


@pytest.fixture(scope="session")
def shipped_plan() -> Callable[[str], PlanRecord]:
    """The offline plan of a shipped (or tests-only) stack, computed once per test session."""

    def get(stack: str) -> PlanRecord:
        assert stack in (*SHIPPED_STACKS, *EXAMPLE_STACKS)
        if stack not in _PLANS:
            _PLANS[stack] = plan_stack(stack, EXAMPLES if stack in EXAMPLE_STACKS else ROOT)
        return _PLANS[stack]

    return get
