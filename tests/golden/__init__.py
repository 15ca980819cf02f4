"""Golden URN lists: the names of every shipped stack's resources, which are public API.

Regenerate after an intended change with `make golden` (python -m tests.golden).
"""

import sys
from pathlib import Path

from infra.offline.plan import plan_stack
from tests.harness import ROOT, SHIPPED_STACKS

GOLDEN = Path(__file__).resolve().parent


def golden_file(stack: str) -> Path:
    return GOLDEN / f"{stack}.urns"


def urns(stack: str) -> list[str]:
    return [r.urn for r in plan_stack(stack, ROOT).resources]


def write_all() -> None:
    for stack in SHIPPED_STACKS:
        golden_file(stack).write_text("\n".join(urns(stack)) + "\n", encoding="utf-8")
        print(f"wrote {golden_file(stack).relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    write_all()
