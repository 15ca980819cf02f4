"""LoRA adapters from the models bucket: the init container's copy, run against moto's S3,
and the server that loads what it copied."""

import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from infra.config import ConfigError
from tests.harness import load, minimal_platform, plan_document, shipped_document
from tests.workloads.test_endpoint_picker import named
from workloads import engines
from workloads.adapter_fetch import FETCH, fetch_command

P = "llm-infra:platform"
BUCKET = "llm-infra-models-example"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
ADAPTER = {"name": "support-bot", "source": "models://adapters/support-bot", "rank": 16}


def run_fetch(monkeypatch, *args: str) -> None:
    """FETCH as the init container runs it: `python3 -c FETCH <args…>`."""
    monkeypatch.setattr(sys, "argv", ["-c", *args])
    exec(compile(FETCH, "<fetch-adapters>", "exec"), {"__name__": "__main__"})


@pytest.fixture
def bucket(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        for key in ("adapter_config.json", "adapter_model.safetensors", "extra/tokenizer.json"):
            s3.put_object(Bucket=BUCKET, Key=f"adapters/support-bot/{key}", Body=key.encode())
        s3.put_object(Bucket=BUCKET, Key="adapters/not-an-adapter/weights.bin", Body=b"x")
        yield s3


def test_the_copy_brings_every_file_under_the_prefix(bucket, monkeypatch, tmp_path):
    target = tmp_path / "support-bot"
    run_fetch(monkeypatch, f"s3://{BUCKET}/adapters/support-bot/", str(target))
    found = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert found == ["adapter_config.json", "adapter_model.safetensors", "extra/tokenizer.json"]
    assert (target / "adapter_config.json").read_bytes() == b"adapter_config.json"


def test_a_second_copy_replaces_the_first_and_leaves_no_deleted_file(bucket, monkeypatch, tmp_path):
    """The leader's cache outlives its pod: a file deleted from the bucket must not stay
    beside the new ones (a mixed .bin + .safetensors adapter loads the wrong weights)."""
    target = tmp_path / "support-bot"
    run_fetch(monkeypatch, f"s3://{BUCKET}/adapters/support-bot", str(target))
    bucket.delete_object(Bucket=BUCKET, Key="adapters/support-bot/extra/tokenizer.json")
    run_fetch(monkeypatch, f"s3://{BUCKET}/adapters/support-bot", str(target))
    found = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert found == ["adapter_config.json", "adapter_model.safetensors"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["support-bot"]


def test_a_key_leading_out_of_the_adapter_directory_is_refused(bucket, monkeypatch, tmp_path):
    bucket.put_object(Bucket=BUCKET, Key="adapters/support-bot/../../escaped", Body=b"x")
    with pytest.raises(SystemExit) as failed:
        run_fetch(monkeypatch, f"s3://{BUCKET}/adapters/support-bot", str(tmp_path / "a" / "b"))
    assert "leads outside" in str(failed.value)
    assert not (tmp_path / "escaped").exists()
    assert not (tmp_path / "a" / "b").exists()


def test_a_transient_storage_error_is_retried_not_fatal(monkeypatch, tmp_path):
    """A role whose grant is not yet honoured, or a bucket still being filled, fails the
    first attempts; LWS would recreate the whole group on an init container's failure."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    waits: list[float] = []
    with mock_aws():
        s3 = boto3.client("s3")

        def later(seconds: float) -> None:
            waits.append(seconds)
            if len(waits) == 2:  # the bucket appears after the second failure
                s3.create_bucket(Bucket=BUCKET)
                s3.put_object(Bucket=BUCKET, Key="a/adapter_config.json", Body=b"{}")

        monkeypatch.setattr("time.sleep", later)
        run_fetch(monkeypatch, f"s3://{BUCKET}/a", str(tmp_path / "a"))
    assert waits == [5, 10]
    assert (tmp_path / "a" / "adapter_config.json").read_bytes() == b"{}"


def test_a_lasting_storage_error_fails_after_the_retries(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    waits: list[float] = []
    monkeypatch.setattr("time.sleep", waits.append)
    with mock_aws(), pytest.raises(SystemExit) as failed:
        run_fetch(monkeypatch, f"s3://{BUCKET}/a", str(tmp_path / "a"))
    assert "NoSuchBucket" in str(failed.value)
    assert sum(waits) >= 240  # about four minutes before the pod fails


def test_a_prefix_without_a_peft_adapter_fails_the_init_container(bucket, monkeypatch, tmp_path):
    with pytest.raises(SystemExit) as failed:
        run_fetch(monkeypatch, f"s3://{BUCKET}/adapters/not-an-adapter", str(tmp_path / "x"))
    assert "no adapter_config.json" in str(failed.value)
    assert not (tmp_path / "x").exists()


def test_the_command_copies_each_adapter_into_the_directory_vllm_loads():
    command = fetch_command((("a", "s3://b/p/a"), ("c", "models://p/c")))
    assert command[:3] == ["python3", "-c", FETCH]
    # models:// is the stack's bucket, named by the container's MODELS_BUCKET
    assert command[3:] == [
        "s3://b/p/a",
        "/models/adapters/a",
        "s3://$(MODELS_BUCKET)/p/c",
        "/models/adapters/c",
    ]
    # an absolute path is loaded as it is (vllm/lora/utils.py:224-225 in vLLM 0.11.0)
    assert engines.adapter_location("a", "s3://b/p/a") == "/models/adapters/a"
    assert engines.adapter_location("a", "org/a-lora") == "org/a-lora"


def test_the_server_waits_for_the_copy_and_reads_the_bucket_as_itself(tmp_path: Path):
    document = shipped_document("prod")
    (model, *_) = document["config"][P]["models"]
    model["adapters"] = [ADAPTER]
    plan = plan_document(tmp_path, document, stack="prod")
    spec = named(plan, DEPLOYMENT, model["name"]).inputs["spec"]["template"]["spec"]
    (fetch,) = spec["initContainers"]
    (server,) = spec["containers"]
    assert fetch["command"][3:] == [
        "s3://$(MODELS_BUCKET)/adapters/support-bot",
        "/models/adapters/support-bot",
    ]
    # the name Pulumi gave the stack's models bucket: the one bucket the role may read
    fetch_env = {e["name"]: e.get("value") for e in fetch["env"]}
    assert fetch_env["MODELS_BUCKET"] == plan.outputs["buckets"]["models"]
    assert fetch["image"] == server["image"]
    assert fetch["volumeMounts"] == server["volumeMounts"]
    assert "HF_TOKEN" not in {e["name"] for e in fetch["env"]}
    assert "support-bot=/models/adapters/support-bot" in server["args"]
    account = named(plan, "kubernetes:core/v1:ServiceAccount", model["name"])
    # IRSA: the role that reads the models bucket; the account (and so the pods) waits
    # for the role's grant, not only for the role
    assert "eks.amazonaws.com/role-arn" in account.inputs["metadata"]["annotations"]
    (grant,) = [
        r
        for r in plan.resources
        if r.type == "aws:iam/rolePolicy:RolePolicy" and r.name.endswith("-weights-models-read")
    ]
    assert grant.urn in account.dependencies


def test_a_bucket_adapter_outside_aws_is_refused():
    platform = minimal_platform(cloud="gcp", region="us-central1")
    platform["models"][0]["adapters"] = [{**ADAPTER, "source": "gs://bucket/adapters/a"}]
    with pytest.raises(ConfigError) as error:
        load(platform, gcp_project="example-project")
    issues = [str(i) for i in error.value.issues]
    assert any("adapters[0].source" in i and "AWS stacks only" in i for i in issues), issues
