import json

import pytest

from components.enums import CapacityType, EndpointAccess, NatStrategy
from infra.config import ConfigError, load_stack_config
from tests.harness import (
    SHIPPED_STACKS,
    as_config_strings,
    load,
    minimal_platform,
    shipped_config_values,
)

P = "llm-infra:platform"


def issues_of(platform, **provider):
    with pytest.raises(ConfigError) as error:
        load(platform, **provider)
    return [str(issue) for issue in error.value.issues]


def one_issue(platform, **provider):
    issues = issues_of(platform, **provider)
    assert len(issues) == 1, issues
    return issues[0]


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_shipped_stack_file_is_valid(stack):
    values = as_config_strings(shipped_config_values(stack))
    config = load_stack_config(values, source=f"Pulumi.{stack}.yaml")
    assert config.models and config.gpu_pools


def test_dev_defaults_are_cheap():
    config = load(minimal_platform())
    assert config.network.nat is NatStrategy.SINGLE
    assert config.gpu_pools[0].capacity_type is CapacityType.SPOT
    assert config.gpu_pools[0].min_nodes == 0
    # one replica: a model at zero could never wake (no replica, no queue metric)
    assert config.models[0].min_replicas == 1
    assert config.cluster.endpoint_access is EndpointAccess.PUBLIC_AND_PRIVATE


def test_prod_defaults_are_hardened():
    platform = minimal_platform(environment="prod", cluster={})
    config = load(platform)
    assert config.network.nat is NatStrategy.ONE_PER_AZ
    assert config.cluster.endpoint_access is EndpointAccess.PRIVATE
    assert config.gpu_pools[0].capacity_type is CapacityType.ON_DEMAND
    assert config.models[0].min_replicas == 2
    assert config.vector_db.replicas == 3
    assert config.cluster.log_retention_days == 365


def test_an_explicit_value_beats_the_environment_default():
    platform = minimal_platform(environment="prod", cluster={}, network={"nat": "single"})
    assert load(platform).network.nat is NatStrategy.SINGLE


def test_region_comes_from_the_provider_key():
    platform = minimal_platform(network={"availability_zones": ["eu-west-1a", "eu-west-1b"]})
    del platform["region"]
    assert load(platform, aws_region="eu-west-1").region == "eu-west-1"


def test_region_disagreeing_with_the_provider_key_names_both():
    issue = one_issue(minimal_platform(), aws_region="eu-west-1")
    assert issue.startswith(f"{P}.region: 'us-east-1' disagrees with aws:region ('eu-west-1')")


def test_no_region_anywhere_says_which_key_to_set():
    platform = minimal_platform()
    del platform["region"]
    issue = one_issue(platform)
    assert issue.startswith(f"{P}.region: is not set, and neither is aws:region")
    assert "pulumi config set aws:region" in issue


def test_gcp_needs_a_project():
    platform = minimal_platform(
        cloud="gcp", region="us-central1", network={}, gpu_pools=[{"name": "standard", "gpu": "l4"}]
    )
    assert one_issue(platform).startswith("gcp:project: is not set")
    assert load(platform, gcp_project="p-1").cloud.value == "gcp"


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [
        (
            lambda p: p.update(cloud="oracle"),
            f"{P}.cloud",
            "'oracle' is not one of 'aws', 'gcp' or 'azure'",
        ),
        (
            lambda p: p["gpu_pools"][0].update(max_nodes=-3),
            f"{P}.gpu_pools[0].max_nodes",
            "-3 is below the minimum 1",
        ),
        (lambda p: p.update(colud="aws"), f"{P}.colud", "unknown key 'colud'"),
        (
            lambda p: p["models"][0].update(pool="big"),
            f"{P}.models[0].pool",
            "'big' is not a pool of this stack (pools: standard)",
        ),
        (
            lambda p: p["gpu_pools"][0].update(gpu="h200"),
            f"{P}.gpu_pools[0].gpu",
            "'h200' is not one of",
        ),
        (
            lambda p: p["gpu_pools"][0].update(min_nodes="two"),
            f"{P}.gpu_pools[0].min_nodes",
            "'two' is not a whole number",
        ),
        (
            lambda p: p["models"][0].update(name="Llama_3"),
            f"{P}.models[0].name",
            "'Llama_3' has the wrong form",
        ),
        (
            lambda p: p["network"].update(cidr="10.0.0.0/33"),
            f"{P}.network.cidr",
            "is not an IPv4 network",
        ),
        (
            lambda p: p["network"].update(cidr="10.0.0.0/12"),
            f"{P}.network.cidr",
            "'10.0.0.0/12' is not /16 to /24",
        ),
        (
            lambda p: p["models"][0].update(gpus_per_replica=4),
            f"{P}.models[0].gpus_per_replica",
            "4 is more than the 1 GPU(s) per node of pool 'standard' (g6.2xlarge)",
        ),
        (
            lambda p: p["models"][0].update(min_replicas=3, max_replicas=2),
            f"{P}.models[0].min_replicas",
            "3 is above max_replicas (2)",
        ),
        (
            lambda p: p["gpu_pools"][0].update(min_nodes=5, max_nodes=2),
            f"{P}.gpu_pools[0].min_nodes",
            "5 is above max_nodes (2)",
        ),
        (
            lambda p: p["cluster"].update(public_access_cidrs=[]),
            f"{P}.cluster.public_access_cidrs",
            "is empty, but endpoint_access is 'public_and_private'",
        ),
        (
            lambda p: p["network"].update(availability_zones=["us-west-2a", "us-east-1b"]),
            f"{P}.network.availability_zones[0]",
            "'us-west-2a' is not a zone of us-east-1",
        ),
        (
            lambda p: p["gpu_pools"][0].update(zones=["us-east-1c"]),
            f"{P}.gpu_pools[0].zones",
            "not among network.availability_zones",
        ),
        (
            lambda p: p["models"][0].update(weights_uri="s3://b/m"),
            f"{P}.models[0].hf_model_id",
            "give exactly one of hf_model_id and weights_uri (both are set)",
        ),
        (
            lambda p: p["models"][0].update(hf_model_id=None, weights_uri="gs://b/m"),
            f"{P}.models[0].weights_uri",
            "'gs://b/m' is not a storage URI on aws",
        ),
        (
            # a model at zero has no pod, so no queue metric; without the gateway nothing
            # sees the requests that would wake it
            lambda p: (p["models"][0].update(min_replicas=0), p.update(gateway={"enabled": False})),
            f"{P}.models[0].min_replicas",
            "0 never wakes up",
        ),
        (
            lambda p: p["models"][0].update(engine_version="v0.10.2"),
            f"{P}.models[0].engine_version",
            "'v0.10.2' has no image contract (vllm runs v0.11.0",
        ),
        (
            lambda p: p["models"][0].update(
                hf_model_id=None,
                weights_uri="s3://b/m",
                architecture="meta-llama/Llama-3.1-8B-Instruct",
                engine="tgi",
            ),
            f"{P}.models[0].weights_uri",
            "TGI loads weights only from the Hugging Face Hub",
        ),
        (
            lambda p: p.update(cost={"allowed_gpus": ["a10g"]}),
            f"{P}.gpu_pools[0].gpu",
            "'l4' is not allowed in dev (allowed: a10g)",
        ),
        (
            lambda p: p.update(cost={"max_gpus": 1}),
            f"{P}.cost.max_gpus",
            "1 is below the 2 GPUs the pools reach at max_nodes",
        ),
        (
            lambda p: p["gpu_pools"].append({"name": "standard", "gpu": "a10g"}),
            f"{P}.gpu_pools[1].name",
            "'standard' is already used by gpu_pools[0]",
        ),
        (
            lambda p: p["vector_db"].update(backup_schedule="daily"),
            f"{P}.vector_db.backup_schedule",
            "'daily' has the wrong form",
        ),
        (
            lambda p: p.update(region="us-east"),
            f"{P}.region",
            "'us-east' is not a region name on aws",
        ),
    ],
)
def test_each_invalid_value_is_one_line_naming_its_path(mutate, path, fragment):
    platform = minimal_platform(vector_db={})
    mutate(platform)
    issue = one_issue(platform)
    assert issue.startswith(f"{path}: "), issue
    assert fragment in issue
    assert "; " in issue  # every issue carries a fix


@pytest.mark.parametrize(
    ("cloud", "region", "uri"),
    [
        ("gcp", "us-central1", "gs://b/m"),
        ("azure", "eastus", "https://acct.blob.core.windows.net/models/m"),
    ],
)
def test_bucket_weights_outside_aws_are_refused_with_the_fix(cloud, region, uri):
    # vllm-project/vllm@v0.11.0: runai_utils.py:17 streams s3:// and gs://, but
    # docker/Dockerfile:529 installs only runai-model-streamer[s3] (the GCS backend is
    # runai-model-streamer-gcs, setup.py's `runai` extra); https:// is no object store to it.
    platform = minimal_platform(cloud=cloud, region=region, network={})
    platform["models"][0].update(
        hf_model_id=None, weights_uri=uri, architecture="meta-llama/Llama-3.1-8B-Instruct"
    )
    provider = {"gcp_project": "p"} if cloud == "gcp" else {}
    issues = issues_of(platform, **provider)
    (issue,) = [i for i in issues if ".weights_uri" in i]
    assert issue.startswith(f"{P}.models[0].weights_uri: '{uri}': the pinned vLLM image")
    assert "streams weights only from S3" in issue
    assert "give hf_model_id instead" in issue


def test_a_gpu_the_cloud_lacks_suggests_the_nearest():
    platform = minimal_platform(
        cloud="gcp",
        region="us-central1",
        network={},
        gpu_pools=[{"name": "standard", "gpu": "a10g"}],
    )
    issue = one_issue(platform, gcp_project="p")
    assert issue.startswith(f"{P}.gpu_pools[0].gpu: 'a10g' is not offered on gcp")
    assert "use l4, the nearest" in issue


def test_unknown_keys_suggest_the_close_match_and_list_the_keys():
    platform = minimal_platform()
    platform["gpu_pools"][0]["max_node"] = 3
    issue = one_issue(platform)
    assert "did you mean 'max_nodes'?" in issue and "keys here:" in issue


def test_all_errors_are_reported_together():
    platform = minimal_platform(cloud="aws", environment="qa")
    platform["gpu_pools"][0]["max_nodes"] = 0
    platform["models"][0]["pool"] = "missing"
    platform["surprise"] = True
    issues = issues_of(platform)
    paths = [issue.split(": ")[0] for issue in issues]
    assert paths == [
        f"{P}.environment",
        f"{P}.gpu_pools[0].max_nodes",
        f"{P}.surprise",
        f"{P}.models[0].pool",
    ]


def test_missing_required_fields_say_what_they_are():
    issues = issues_of({"environment": "dev"})
    assert issues[0] == f"{P}.cloud: is required but not set; add it (Cloud to build on.)"


@pytest.mark.parametrize("text", [None, "[1, 2]", "not json"])
def test_a_missing_or_malformed_platform_key_is_one_clear_error(text):
    values = {} if text is None else {P: text}
    with pytest.raises(ConfigError) as error:
        load_stack_config(values, source="Pulumi.x.yaml")
    assert len(error.value.issues) == 1
    assert error.value.issues[0].path == P
    assert error.value.render().startswith("Pulumi.x.yaml: 1 config error\n")


def test_error_rendering_is_a_header_and_one_line_per_issue():
    platform = minimal_platform(cloud="oracle", environment="qa")
    with pytest.raises(ConfigError) as error:
        load(platform)
    lines = error.value.render().splitlines()
    assert lines[0] == "test: 2 config errors"
    assert all(line.startswith(f"  {P}.") for line in lines[1:])


def test_long_and_unicode_values_are_shown_shortened():
    platform = minimal_platform()
    platform["models"][0]["name"] = "ü" * 500
    issue = one_issue(platform)
    assert "üüü" in issue and len(issue) < 300


def test_config_is_immutable_once_loaded():
    config = load(minimal_platform())
    with pytest.raises(Exception):  # noqa: B017 (pydantic's frozen-instance error)
        config.region = "eu-west-1"  # type: ignore[misc]
    assert json.loads(config.model_dump_json())["region"] == "us-east-1"


def test_a_checkpoint_stored_quantized_is_served_as_stored():
    """vLLM 0.11.0 refuses a --quantization other than the checkpoint's own
    (vllm/config/model.py:950-957): gpt-oss's experts are MXFP4."""
    platform = minimal_platform()
    platform["models"][0].update(hf_model_id="openai/gpt-oss-20b", quantization="fp8")
    with pytest.raises(ConfigError) as error:
        load(platform)
    assert any(
        "models[0].quantization" in str(i) and "stored in mxfp4" in str(i)
        for i in error.value.issues
    ), error.value.issues
    platform["models"][0].pop("quantization")
    load(platform)
