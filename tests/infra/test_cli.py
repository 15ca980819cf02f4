import json
import os
import subprocess
import sys

import pytest

from infra.cli import main
from tests.harness import ROOT

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
