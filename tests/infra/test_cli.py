import json
import os
import subprocess
import sys

import pytest

from infra.cli import main
from tests.harness import ROOT, shipped_document, write_document

STACK_HEAD = "config:\n  aws:region: us-east-1\n  llm-infra:platform:\n"


def cli(*args, cwd=ROOT):
    """Run the installed entry point as automation does, in a fresh process."""
    return subprocess.run(
        [os.path.join(sys.prefix, "bin", "llm-infra"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def project_with(tmp_path, platform_yaml):
    (tmp_path / "Pulumi.yaml").write_text(
        f"name: llm-infra\nruntime: python\nmain: {ROOT / 'infra'}\n"
    )
    (tmp_path / "Pulumi.bad.yaml").write_text(STACK_HEAD + platform_yaml)
    return tmp_path


def test_plan_json_is_byte_identical_across_processes():
    first = cli("plan", "--stack", "prod", "--format", "json")
    second = cli("plan", "--stack", "prod", "--format", "json")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    record = json.loads(first.stdout)
    assert record["stack"] == "prod" and record["resources"]


def test_table_is_a_tree_with_counts_and_a_summary(capsys):
    assert main(["--project-dir", str(ROOT), "plan", "--stack", "dev"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Plan for stack 'dev' of llm-infra: aws us-east-1, dev environment")
    assert "├─ + llm-infra:aws:Network  network  (" in out
    assert "aws:ec2/subnet:Subnet" in out
    assert out.rstrip().splitlines()[-1].startswith("Summary: ")
    assert out.rstrip().splitlines()[-2] == "Deploy: github-hosted runner, one `pulumi up`"


def test_markdown_and_out_file(tmp_path, capsys):
    target = tmp_path / "plans" / "dev.md"
    assert (
        main(
            [
                "--project-dir",
                str(ROOT),
                "plan",
                "-s",
                "dev",
                "--format",
                "markdown",
                "--out",
                str(target),
            ]
        )
        == 0
    )
    assert capsys.readouterr().out == ""
    text = target.read_text()
    assert text.startswith("### Plan for stack 'dev'")
    assert "| `aws:ec2/vpc:Vpc` | 1 |" in text and "<details>" in text


INVALID = """\
    cloud: aws
    environment: prod
    network: {nat: two}
    gpu_pools:
      - {name: standard, gpu: l4, min_nodes: -1}
      - {name: big, gpu: mi300}
    models:
      - {name: llama, hf_model_id: meta-llama/Llama-3.1-8B-Instruct, pool: missing}
    surprise: 1
"""


def test_invalid_stack_file_exits_2_with_one_line_per_error(tmp_path):
    result = cli("--project-dir", str(project_with(tmp_path, INVALID)), "plan", "--stack", "bad")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "error: Pulumi.bad.yaml: 5 config errors"
    paths = [line.strip().split(": ")[0] for line in lines[1:]]
    assert paths == [
        "llm-infra:platform.network.nat",
        "llm-infra:platform.gpu_pools[0].min_nodes",
        "llm-infra:platform.gpu_pools[1].gpu",
        "llm-infra:platform.surprise",
        "llm-infra:platform.models[0].pool",
    ]


@pytest.mark.parametrize(
    ("platform", "fragment"),
    [
        ("    cloud: gcp\n    environment: prod\n", "gcp:project: is not set"),
        (
            "    cloud: azure\n    environment: prod\n    region: eastus\n"
            "    gpu_pools: [{name: p, gpu: l4}]\n",
            "llm-infra:platform.gpu_pools[0].gpu: 'l4' is not offered on azure",
        ),
    ],
)
def test_cloud_specific_errors_exit_2(tmp_path, platform, fragment, capsys):
    project = project_with(tmp_path, platform)
    assert main(["--project-dir", str(project), "plan", "--stack", "bad"]) == 2
    assert fragment in capsys.readouterr().err


def test_unknown_stack_and_bad_usage_exit_2(capsys):
    assert main(["--project-dir", str(ROOT), "plan", "--stack", "qa"]) == 2
    assert (
        "Pulumi.qa.yaml does not exist (stacks here: azure-prod, dev, gcp-prod, prod)"
        in capsys.readouterr().err
    )
    with pytest.raises(SystemExit) as exit_info:
        main(["plan", "--stack", "dev", "--format", "yaml"])
    assert exit_info.value.code == 2


def test_broken_yaml_exits_2(tmp_path, capsys):
    project = project_with(tmp_path, "    cloud: [aws\n")
    assert main(["--project-dir", str(project), "plan", "--stack", "bad"]) == 2
    assert "Pulumi.bad.yaml: not valid YAML (line" in capsys.readouterr().err


IMPOSSIBLE = """\
    cloud: aws
    environment: dev
    network: {availability_zones: [us-east-1a, us-east-1b]}
    cluster: {public_access_cidrs: [198.51.100.0/24]}
    gpu_pools: [{name: small, gpu: a10g}]
    models:
      - {name: big, hf_model_id: meta-llama/Llama-3.1-70B-Instruct, pool: small, max_model_len_tokens: 8192}
"""


def test_a_model_that_cannot_fit_fails_the_plan_with_gib_and_a_fix(tmp_path, capsys):
    project = project_with(tmp_path, IMPOSSIBLE)
    assert main(["--project-dir", str(project), "plan", "--stack", "bad"]) == 2
    err = capsys.readouterr().err
    assert (
        "llm-infra:platform.models[0].gpus_per_replica: 'big' (meta-llama/Llama-3.1-70B-Instruct, bfloat16) does not fit 1 × a10g (g5.2xlarge)"
        in err
    )
    assert (
        "it needs 136.4 GiB per GPU (weights 131.4 GiB) and has 20.2 GiB (22.49 GiB × 0.9)" in err
    )
    assert "run it on" in err and "quantization: awq" in err


def test_size_json_carries_the_documented_keys(capsys):
    args = [
        "size",
        "--model",
        "meta-llama/Llama-3.1-70B-Instruct",
        "--gpu",
        "a10g",
        "--max-model-len",
        "8192",
        "--format",
        "json",
    ]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["parameters"] == 70_553_706_496
    assert report["weights_bytes"] == 2 * 70_553_706_496
    assert report["kv_cache_bytes_per_token"] == 327_680
    assert report["fits"] is False and report["max_concurrent_sequences"] == 0
    recommended = report["recommended"]
    assert set(recommended) >= {"gpu", "gpus", "instance_type", "max_model_len", "usd_per_hour"}
    assert recommended["max_model_len"] == 8192
    first = report["first_start"]
    hub = first["from_hub"]
    # 131 GiB at 100 MiB/s from the Hub, then read back at the disk's 125 MiB/s
    assert hub["download_seconds"] == 1346 and hub["load_seconds"] == 1077
    # Pulumi's 10-minute default (pulumi-kubernetes provider/pkg/await/deployment.go:105)
    # would fail this deploy long before the weights are in
    assert hub["await_timeout_seconds"] > 3600
    assert first["from_hub_on_a_new_node"]["node_scale_up_seconds"] > 0
    assert first["from_bucket"]["total_seconds"] < hub["total_seconds"]


def test_size_table_shows_the_first_start(capsys):
    assert main(["size", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "l4"]) == 0
    out = capsys.readouterr().out
    assert "first start from the Hub:" in out
    assert "Pulumi waits" in out and "when the pool must add a node" in out


def test_size_reads_a_config_json(tmp_path, capsys):
    path = tmp_path / "config.json"
    path.write_text(
        json.dumps(
            {
                "model_type": "qwen2",
                "vocab_size": 152064,
                "hidden_size": 3584,
                "num_hidden_layers": 28,
                "num_attention_heads": 28,
                "num_key_value_heads": 4,
                "intermediate_size": 18944,
                "max_position_embeddings": 32768,
            }
        )
    )
    assert (
        main(["size", "--model-config", str(path), "--gpu", "l4", "--max-model-len", "4096"]) == 0
    )
    out = capsys.readouterr().out
    assert "parameters               7,615,616,512" in out
    assert "on 1 × l4 at max length 4096: fits" in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["size", "--model", "no/such"], "not in the model library and no config kept at"),
        (["size", "--model-config", "/nonexistent/config.json"], "cannot be read"),
    ],
)
def test_size_bad_input_exits_2(args, fragment, capsys):
    assert main(args) == 2
    assert fragment in capsys.readouterr().err


def test_size_argument_errors_exit_2():
    with pytest.raises(SystemExit) as exit_info:
        main(["size", "--model", "x", "--gpus", "0"])
    assert exit_info.value.code == 2


@pytest.mark.parametrize("fmt", ["table", "json", "markdown"])
def test_cost_formats(fmt, capsys):
    assert main(["--project-dir", str(ROOT), "cost", "--stack", "prod", "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        report = json.loads(out)
        assert report["monthly_usd_min"] < report["monthly_usd_max"]
        assert {line["component"] for line in report["lines"]} >= {
            "cluster",
            "system nodes",
            "gpu pool large",
            "nat",
            "block storage",
            "object storage",
            "load balancers",
        }
    elif fmt == "table":
        assert "gpu pool large" in out and "Prices used:" in out and "as of 2025-10" in out
    else:
        assert out.startswith("### Monthly cost on aws:") and "| **total** |" in out


def test_preflight_without_credentials_exits_2_and_says_how_to_fix(monkeypatch, tmp_path, capsys):
    for variable in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert main(["--project-dir", str(ROOT), "preflight", "--stack", "dev"]) == 2
    assert "no AWS credentials found" in capsys.readouterr().err


def test_preflight_on_gcp_is_a_clear_not_supported_line(capsys):
    assert (
        main(["--project-dir", str(ROOT), "preflight", "--stack", "gcp-prod", "--format", "json"])
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["failed"] is False
    assert report["findings"][0]["severity"] == "unsupported"


def test_endpoints_show_how_to_call_every_model_through_the_gateway(capsys):
    assert main(["--project-dir", str(ROOT), "endpoints", "--stack", "prod"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Gateway of stack 'prod' (internal, from the network, HTTPS)")
    assert "https://llm.prod.example.internal" in out
    assert "kubectl -n cert-manager get secret llm-infra-ca" in out
    assert 'curl -s --cacert llm-infra-ca.pem "$LLM_GATEWAY/v1/chat/completions"' in out
    for model in ("qwen2-5-7b", "BAAI/bge-base-en-v1.5"):
        assert f"\n  {model}\n" in out
    # the vLLM models are placed by their endpoint pickers
    for model in ("llama-3-1-8b", "llama-3-1-70b"):
        assert f"\n  {model}  (endpoint picker)\n" in out
    assert "published in the private zone prod.example.internal" in out
    assert '-H "Authorization: Bearer $LLM_API_KEY"' in out
    assert "pulumi stack output gateway_api_keys --show-secrets -s prod" in out
    assert main(["--project-dir", str(ROOT), "endpoints", "-s", "dev", "--format", "json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["enabled"] is True and found["public"] is False
    assert found["models"] == ["llama-3-1-8b"]
    # dev serves HTTPS under its private name too
    assert found["in_cluster_url"] == "https://llm.dev.example.internal"
    assert "llm-infra-ca" in found["ca_command"]


def test_endpoints_of_a_gateway_without_tls_say_plain_http(capsys, tmp_path):
    document = shipped_document("dev")
    gateway = document["config"]["llm-infra:platform"]["gateway"]
    del gateway["tls_hostname"], gateway["dns_zone"]
    project = write_document(tmp_path, document, stack="dev")
    assert main(["--project-dir", str(project), "endpoints", "-s", "dev", "--format", "json"]) == 0
    found = json.loads(capsys.readouterr().out)
    # plain HTTP inside the network
    assert found["in_cluster_url"] == "http://llm-gateway.envoy-gateway-system.svc:80"
    assert found["ca_command"] is None


def test_size_recommends_a_multi_node_replica_with_its_node_count(capsys):
    model = ["size", "--model", "meta-llama/Llama-3.1-405B-Instruct", "--gpu", "h100"]
    assert main([*model, "--format", "json"]) == 0
    best = json.loads(capsys.readouterr().out)["recommended"]
    assert (best["nodes"], best["tensor_parallel"], best["gpus"]) == (2, 8, 16)
    assert main(model) == 0
    out = capsys.readouterr().out
    assert "recommended on aws: 2 nodes of 8 × h100 (p5.48xlarge; pipeline parallel 2" in out
    # 16 GPUs of a GPU whose nodes hold 8: two pipeline stages of tensor parallel 8
    assert main([*model, "--gpus", "16"]) == 0
    assert "on 2 nodes of 8 × h100 at max length 131072: fits" in capsys.readouterr().out
    assert main([*model, "--gpus", "12"]) == 2
    assert "pass a multiple of 8" in capsys.readouterr().err


def test_size_shows_what_the_stages_hand_over_on(capsys):
    model = ["size", "--model", "meta-llama/Llama-3.1-405B-Instruct", "--gpu", "h100"]
    assert main([*model, "--gpus", "16", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    link = report["interconnect"]
    assert link["instance_type"] == "p5.48xlarge" and link["network_gbps"] == 100
    assert link["fast_interconnect"] == {"kind": "efa", "gbps": 3200}
    assert link["used"] == "tcp" and link["flow_gbps"] == 10
    assert "vllm/vllm-openai:v0.11.0" in link["why_not_fast"]
    assert "NCCL over TCP sockets" in link["why_not_fast"]
    # 32 sequences in flight per stage × 64 KiB of hidden states and residual over one
    # 10 Gbps flow, plus the assumed 100 µs
    assert link["hop_seconds"] == round(1e-4 + 32 * 65_536 * 8 / 10e9, 6)
    assert 0.01 < link["hop_share_of_decode_step"] < 0.2
    # one node: nothing to hand over
    assert main([*model, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["interconnect"] is None
    assert main([*model, "--gpus", "16"]) == 0
    out = capsys.readouterr().out
    share = f"~{link['hop_share_of_decode_step']:.1%} of each decode step"
    assert (
        f"stages hand over on the 100 Gbps TCP network of p5.48xlarge (one flow, 10 Gbps): {share}"
        in out
    )
    assert "    EFA (3200 Gbps) not used: the pinned vLLM image" in out
    assert main([*model, "--gpus", "16", "--cloud", "azure"]) == 0
    assert "InfiniBand (3200 Gbps) not used: the model pods get no RDMA devices" in (
        capsys.readouterr().out
    )


def test_plan_takes_several_stacks_in_one_call(capsys):
    args = ["--project-dir", str(ROOT), "plan", "--stack", "dev", "--stack", "prod"]
    assert main([*args, "--format", "json"]) == 0
    plans = json.loads(capsys.readouterr().out)
    assert [p["stack"] for p in plans] == ["dev", "prod"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert text.index("dev") < text.index("prod")


def test_all_stacks_and_a_stack_are_one_or_the_other(capsys):
    with pytest.raises(SystemExit) as usage:
        main(["--project-dir", str(ROOT), "plan", "--all-stacks", "--stack", "dev"])
    assert usage.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
