import json

import pytest

from infra.offline.plan import plan_stack
from infra.offline.record import SCHEMA_VERSION
from tests.harness import ROOT, SHIPPED_STACKS

RESOURCE_KEYS = {
    "urn",
    "type",
    "name",
    "parent",
    "provider",
    "custom",
    "inputs",
    "dependencies",
    "property_dependencies",
    "options",
}
OPTION_KEYS = {
    "protect",
    "retain_on_delete",
    "ignore_changes",
    "delete_before_replace",
    "depends_on",
    "replace_on_changes",
    "additional_secret_outputs",
    "aliases",
    "deleted_with",
    "custom_timeouts",
    "import_id",
}


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_the_record_has_the_documented_shape(shipped_plan, stack):
    record = json.loads(shipped_plan(stack).to_json())
    assert record["schema_version"] == SCHEMA_VERSION
    assert record["stack"] == stack and record["project"] == "llm-infra"
    assert record["cloud"] in {"aws", "gcp", "azure"}
    assert record["environment"] == ("dev" if stack == "dev" else "prod")
    for resource in record["resources"]:
        assert set(resource) == RESOURCE_KEYS
        assert set(resource["options"]) == OPTION_KEYS


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_reference_in_the_record_resolves(shipped_plan, stack):
    plan = shipped_plan(stack)
    urns = {r.urn for r in plan.resources}
    assert len(urns) == len(plan.resources)
    for resource in plan.resources:
        if resource.type == "pulumi:pulumi:Stack":
            assert resource.parent is None
            continue
        assert resource.parent in urns
        assert set(resource.dependencies) <= urns
        if resource.custom and not resource.type.startswith("pulumi:providers:"):
            assert resource.provider in urns


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_the_same_config_gives_byte_identical_json(shipped_plan, stack):
    assert plan_stack(stack, ROOT).to_json() == shipped_plan(stack).to_json()


def test_urns_match_the_engines_form(shipped_plan):
    plan = shipped_plan("prod")
    component = plan.get("llm-infra:aws:Network", "network")
    assert component.urn == "urn:pulumi:prod::llm-infra::llm-infra:aws:Network::network"
    vpc = plan.get("aws:ec2/vpc:Vpc", "network-vpc")
    assert (
        vpc.urn == "urn:pulumi:prod::llm-infra::llm-infra:aws:Network$aws:ec2/vpc:Vpc::network-vpc"
    )
    assert vpc.parent == component.urn
    # no explicit provider: the engine's default one, named after the plugin version
    assert vpc.provider.startswith("urn:pulumi:prod::llm-infra::pulumi:providers:aws::default_7_")
    assert (
        plan.by_urn(vpc.provider).parent
        == "urn:pulumi:prod::llm-infra::pulumi:pulumi:Stack::llm-infra-prod"
    )


def test_environment_drives_the_network(shipped_plan):
    assert len(shipped_plan("dev").of_type("aws:ec2/natGateway:NatGateway")) == 1
    assert len(shipped_plan("prod").of_type("aws:ec2/natGateway:NatGateway")) == 3
    flow_logged = shipped_plan("gcp-prod").get("gcp:compute/subnetwork:Subnetwork", "network-nodes")
    assert "logConfig" in flow_logged.inputs


def test_every_aws_resource_carries_the_stack_tags(shipped_plan):
    for resource in shipped_plan("prod").resources:
        if resource.type.startswith("aws:") and "tags" in resource.inputs:
            tags = resource.inputs["tags"]
            assert tags["llm-infra-stack"] == "prod"
            assert tags["llm-infra-environment"] == "prod"
            assert tags["managed-by"] == "pulumi"
            assert tags["cost-center"] == "ml-serving"


def test_outputs_are_recorded(shipped_plan):
    outputs = shipped_plan("dev").outputs
    assert outputs["cloud"] == "aws" and outputs["region"] == "us-east-1"
    assert len(outputs["network"]["private_subnet_ids"]) == 2
    assert outputs["network"]["vpc_id"].startswith("vpc-")


def test_zones_not_pinned_are_looked_up_from_the_cloud(tmp_path):
    stack = (
        (ROOT / "Pulumi.dev.yaml")
        .read_text()
        .replace("      availability_zones: [us-east-1a, us-east-1b]\n", "      zone_count: 3\n")
    )
    project = write_project(tmp_path, stack)
    plan = plan_stack("s", project)
    zones = sorted(r.inputs["availabilityZone"] for r in plan.of_type("aws:ec2/subnet:Subnet"))
    assert zones == [
        "us-east-1a",
        "us-east-1a",
        "us-east-1b",
        "us-east-1b",
        "us-east-1c",
        "us-east-1c",
    ]


def test_secret_config_never_reaches_the_record(tmp_path):
    stack = (
        ROOT / "Pulumi.dev.yaml"
    ).read_text() + "  llm-infra:hfToken:\n    secure: v1:c2VjcmV0LWNpcGhlcnRleHQ=\n"
    project = write_project(tmp_path, stack)
    text = plan_stack("s", project).to_json()
    assert "c2VjcmV0" not in text


def write_project(tmp_path, stack_text):
    (tmp_path / "Pulumi.yaml").write_text(
        f"name: llm-infra\nruntime: python\nmain: {ROOT / 'infra'}\n"
    )
    (tmp_path / "Pulumi.s.yaml").write_text(stack_text)
    return tmp_path


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_the_shipped_models_fit_and_the_record_says_so(shipped_plan, stack):
    plan = shipped_plan(stack)
    assert (
        [s["model"] for s in plan.sizing] == ["llama-3-1-8b"]
        if stack == "dev"
        else len(plan.sizing) == 3
    )
    for sizing in plan.sizing:
        assert sizing["fits"] is True and sizing["max_concurrent_sequences"] >= 1
        assert sizing["parameters"] > 0 and sizing["weights_bytes"] > 0


def test_the_record_carries_the_cost_estimate(shipped_plan):
    cost = shipped_plan("prod").cost
    assert cost is not None
    assert cost["monthly_usd_min"] <= cost["monthly_usd_max"]
    assert {m["name"] for m in cost["models"]} == {"llama-3-1-8b", "qwen2-5-7b", "llama-3-1-70b"}
