"""Will every stack come up? For the shipped stacks and for generated ones: every workload
waits for the nodes it lands on and, when it claims volumes, for the storage class and
driver; no pool starts above its maximum; every pod schedules at maximum replicas."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from infra.config.errors import ConfigError
from infra.offline.record import PlanRecord
from infra.truth.reach import reach_findings
from infra.truth.schedule import schedule_findings
from infra.truth.waits import crd_findings, start_findings, wait_findings, zonal_volume_findings
from tests.harness import ROOT, SHIPPED_STACKS, plan_document


def truth(plan: PlanRecord) -> list[str]:
    problems = [f.message() for f in wait_findings(plan)]
    problems += [f.message() for f in start_findings(plan)]
    problems += [f.message() for f in crd_findings(plan)]
    problems += [f.message() for f in zonal_volume_findings(plan)]
    problems += [p.message for p in schedule_findings(plan) if p.mandatory]
    problems += [f.message() for f in reach_findings(plan)]
    return problems


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_shipped_stacks_come_up(shipped_plan, stack):
    assert truth(shipped_plan(stack)) == []


BASES = {"aws": "prod", "gcp": "gcp-prod", "azure": "azure-prod"}
GPUS = {"aws": ["l4", "a10g"], "gcp": ["l4"], "azure": ["a10g"]}


@st.composite
def stacks(draw: Any) -> tuple[str, dict[str, Any]]:
    cloud = draw(st.sampled_from(sorted(BASES)))
    document = yaml.safe_load((ROOT / f"Pulumi.{BASES[cloud]}.yaml").read_text())
    platform = document["config"]["llm-infra:platform"]
    environment = draw(st.sampled_from(["dev", "staging", "prod"]))
    platform["environment"] = environment
    zones = platform["network"]["availability_zones"]
    platform["network"]["availability_zones"] = zones[: draw(st.integers(2, len(zones)))]
    pools = []
    for index in range(draw(st.integers(1, 2))):
        low = draw(st.integers(0, 2))
        pools.append(
            {
                "name": f"pool{index}",
                "gpu": draw(st.sampled_from(GPUS[cloud])),
                "gpus_per_node": 1,
                "min_nodes": low,
                "max_nodes": low + draw(st.integers(1, 3)),
            }
        )
    platform["gpu_pools"] = pools
    platform["models"] = [
        {
            "name": f"model{index}",
            "hf_model_id": "meta-llama/Llama-3.1-8B-Instruct",
            "pool": pool["name"],
            "max_model_len_tokens": 8192,
            "min_replicas": 1,
            "max_replicas": pool["max_nodes"],
        }
        for index, pool in enumerate(pools)
    ]
    platform["embeddings"]["enabled"] = draw(st.booleans())
    if not draw(st.booleans()):
        platform["vector_db"] = {"enabled": False}
    cost = platform.setdefault("cost", {})
    cost.pop("monthly_budget_usd", None)
    cost["allowed_gpus"] = GPUS[cloud]
    cost["max_gpus"] = 64
    return cloud, document


def plan_of(tmp: Path, document: dict[str, Any]) -> PlanRecord:
    return plan_document(tmp, document)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(generated=stacks())
def test_generated_stacks_come_up(tmp_path, generated):
    _, document = generated
    try:
        plan = plan_of(tmp_path, document)
    except ConfigError:
        assume(False)  # combinations the config refuses, with its own clear error
        return
    assert truth(plan) == []
