"""The platform stage of a two-stage deploy as the engine shows it to the policy packs.

What `--exclude` leaves out and does not exist yet is still handed to the packs: to each
resource policy with the inputs its stubbed Check returns (none: step_generator.go, the
untargeted Check returns the old inputs), and to each stack policy with no properties
(step.go, NewSkippedCreateStep keeps the new state's nil outputs). The first platform
stage of an empty account must pass all three packs, or the in-cluster stage never runs.
"""

import json
from pathlib import Path

import pytest

from infra.offline.plan import plan_with_config
from infra.policy.check import PACKS, pack_config
from infra.policy.runner import analyze, started_pack
from infra.stages import PLATFORM_EXCLUDES, excluded
from tests.harness import ROOT


@pytest.mark.parametrize("stack", ["prod", "azure-prod"])
def test_the_first_platform_stage_passes_every_pack(stack):
    config, plan = plan_with_config(stack, ROOT)
    skipped = excluded(plan, PLATFORM_EXCLUDES)
    record = json.loads(plan.to_json())
    for resource in record["resources"]:
        if resource["urn"] in skipped:
            resource["inputs"] = {}
    assert len(skipped) > 40
    mandatory = []
    for pack in PACKS:
        with started_pack(Path(ROOT / "policies" / pack)) as stub:
            result = analyze(stub, record, pack_config(config, {}))
        mandatory += [
            f"{d.pack}/{d.policy} {d.name}: {d.message}"
            for d in result.diagnostics
            if d.enforcement == "mandatory"
        ]
    assert mandatory == []
