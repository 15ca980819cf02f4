"""Stateful resources are never deleted by accident: protected and retained where the stack
says so (prod and staging by default), clusters behind the cloud's deletion protection."""

import json

import pytest

from infra.config import load_stack_config
from infra.diff import is_stateful
from infra.offline.mocks import MockContext, PlanMocks
from infra.offline.plan import build_record
from infra.offline.runner import program_body, run_under_mocks
from tests.harness import ROOT, as_config_strings, shipped_config_values

CLUSTERS = (
    "aws:eks/cluster:Cluster",
    "gcp:container/cluster:Cluster",
    "azure-native:containerservice:ManagedCluster",
)


def plan(stack: str, **platform_overrides):
    values = shipped_config_values(stack)
    values["llm-infra:platform"] = {**values["llm-infra:platform"], **platform_overrides}
    strings = as_config_strings(values)
    config = load_stack_config(strings)
    capture = run_under_mocks(
        program_body(ROOT / "infra"),
        mocks=PlanMocks(MockContext(project="llm-infra", stack=stack, region=config.region)),
        project="llm-infra",
        stack=stack,
        config=strings,
    )
    return build_record(capture, "llm-infra", stack, config)


def stateful(record):
    return [
        r for r in record.resources if r.custom and is_stateful(r.type) and r.type not in CLUSTERS
    ]


@pytest.mark.parametrize("stack", ["prod", "gcp-prod", "azure-prod"])
def test_prod_protects_and_retains_every_stateful_resource(shipped_plan, stack):
    record = shipped_plan(stack)
    guarded = stateful(record)
    assert guarded
    for resource in guarded:
        assert resource.options.protect and resource.options.retain_on_delete, resource.urn
    # EKS and GKE have deletion protection of their own; AKS has none to turn on
    clusters = [r for r in record.resources if r.type in CLUSTERS[:2]]
    assert len(clusters) == (0 if stack == "azure-prod" else 1)
    for cluster in clusters:
        assert cluster.inputs.get("deletionProtection") is True, cluster.urn


def test_dev_leaves_state_unprotected_so_it_can_be_torn_down(shipped_plan):
    record = shipped_plan("dev")
    assert stateful(record)
    assert not any(r.options.protect or r.options.retain_on_delete for r in record.resources)


def test_protection_is_a_per_stack_choice():
    record = plan("dev", protect_state=True)
    guarded = stateful(record)
    assert guarded and all(r.options.protect and r.options.retain_on_delete for r in guarded)
    relaxed = plan("prod", protect_state=False)
    assert not any(r.options.protect for r in relaxed.resources)
    assert json.loads(relaxed.to_json())["environment"] == "prod"
