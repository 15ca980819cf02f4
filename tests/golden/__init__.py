"""Golden URN lists: the names of every shipped (and tests-only) stack's resources, which are
public API,
and, for a stack deployed in two stages (deploy.runner: in-network), what its platform
stage creates (`<stack>.platform-stage.urns`, infra/stages.py).

Regenerate after an intended change with `make golden` (python -m tests.golden).
"""

import sys
from pathlib import Path

from infra.offline.plan import plan_stack
from infra.stages import platform_stage, staged
from tests.harness import EXAMPLE_STACKS, EXAMPLES, ROOT, SHIPPED_STACKS

GOLDEN = Path(__file__).resolve().parent


def golden_file(stack: str) -> Path:
    return GOLDEN / f"{stack}.urns"


def stage_file(stack: str) -> Path:
    return GOLDEN / f"{stack}.platform-stage.urns"


def project_of(stack: str) -> Path:
    return EXAMPLES if stack in EXAMPLE_STACKS else ROOT


def write_all() -> None:
    for stack in (*SHIPPED_STACKS, *EXAMPLE_STACKS):
        plan = plan_stack(stack, project_of(stack))
        files = {golden_file(stack): [r.urn for r in plan.resources]}
        if staged(plan):
            files[stage_file(stack)] = [r.urn for r in platform_stage(plan)]
        elif stage_file(stack).exists():
            stage_file(stack).unlink()
        for path, urns in files.items():
            path.write_text("\n".join(urns) + "\n", encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    write_all()
