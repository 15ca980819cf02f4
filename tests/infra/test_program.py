"""The Pulumi program itself, as `pulumi up` runs it, under mocks."""

import json

import pytest

from infra.offline.mocks import MockContext, PlanMocks
from infra.offline.runner import ProgramError, program_body, run_under_mocks
from tests.harness import ROOT, as_config_strings, minimal_platform, shipped_config_values


def run_program(config):
    return run_under_mocks(
        program_body(ROOT / "infra"),
        mocks=PlanMocks(MockContext(project="llm-infra", stack="t", region="us-east-1")),
        project="llm-infra",
        stack="t",
        config=config,
    )


def test_bad_config_ends_the_program_with_the_message_and_no_traceback():
    platform = minimal_platform(cloud="aws")
    platform["gpu_pools"][0]["max_nodes"] = -1
    with pytest.raises(ProgramError) as error:
        run_program({"llm-infra:platform": json.dumps(platform)})
    message = str(error.value)
    assert message.startswith("stack 't': 1 config error")
    assert "llm-infra:platform.gpu_pools[0].max_nodes: -1 is below the minimum 1" in message
    assert "Traceback" not in message
    assert error.value.__cause__ is None  # raised as pulumi.RunError: the CLI prints it alone


def test_the_program_registers_nothing_when_config_is_invalid():
    with pytest.raises(ProgramError):
        run_program({})


def test_the_program_reads_the_region_from_the_provider_key():
    values = as_config_strings(shipped_config_values("dev"))
    capture = run_program(values)
    assert capture.outputs["region"] == "us-east-1"
    assert any(r.request.type == "aws:ec2/vpc:Vpc" for r in capture.registrations)


def test_a_model_that_cannot_fit_stops_pulumi_preview_before_any_resource():
    platform = minimal_platform()
    platform["models"][0]["hf_model_id"] = "meta-llama/Llama-3.1-70B-Instruct"
    with pytest.raises(ProgramError) as error:
        run_program({"llm-infra:platform": json.dumps(platform)})
    assert "does not fit 1 × l4 (g6.2xlarge)" in str(error.value)
    assert "GiB per GPU" in str(error.value)
