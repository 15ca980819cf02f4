"""`llm-infra check`: plan + both packs + fit + cost, with the exit codes pipelines rely on."""

import json
import time

import pytest
import yaml

from infra.cli import main
from tests.harness import ROOT, SHIPPED_STACKS


def project(tmp_path, base: str, edit) -> str:
    (tmp_path / "Pulumi.yaml").write_text(
        f"name: llm-infra\nruntime: python\nmain: {ROOT / 'infra'}\n"
    )
    document = yaml.safe_load((ROOT / f"Pulumi.{base}.yaml").read_text())
    edit(document["config"]["llm-infra:platform"])
    (tmp_path / "Pulumi.t.yaml").write_text(yaml.safe_dump(document))
    return str(tmp_path)


def test_every_shipped_stack_passes_every_mandatory_rule_in_one_call(capsys):
    # one process for every stack: each pack starts once and analyzes each plan in turn
    assert main(["--project-dir", str(ROOT), "check", "--all-stacks", "--format", "json"]) == 0
    reports = json.loads(capsys.readouterr().out)
    assert [r["stack"] for r in reports] == sorted(SHIPPED_STACKS)
    for report in reports:
        assert report["passed"] is True
        assert [v for v in report["violations"] if v["enforcement"] == "mandatory"] == []
        assert {p["name"] for p in report["packs"]} == {
            "llm-infra-security",
            "llm-infra-cost",
            "llm-infra-deploy",
        }


def test_several_stacks_in_one_call_are_each_checked_with_their_own_config(tmp_path, capsys):
    folder = project(tmp_path, "prod", over_budget)  # Pulumi.t.yaml breaks its budget
    (tmp_path / "Pulumi.d.yaml").write_text((ROOT / "Pulumi.dev.yaml").read_text())
    args = ["--project-dir", folder, "check", "--stack", "d", "--stack", "t", "--format", "json"]
    assert main(args) == 1
    reports = {r["stack"]: r for r in json.loads(capsys.readouterr().out)}
    assert reports["d"]["passed"] is True
    assert reports["t"]["passed"] is False
    assert [v["policy"] for v in reports["t"]["violations"] if v["enforcement"] == "mandatory"] == [
        "cost-monthly-budget"
    ]
    code = main(["--project-dir", folder, "check", "--stack", "d", "--stack", "t"])
    text = capsys.readouterr().out
    assert code == 1
    assert "Check of stack 'd': PASSED" in text and "Check of stack 't': FAILED" in text


def test_one_bad_stack_among_several_still_reports_the_others_and_exits_2(tmp_path, capsys):
    """A pipeline checking every stack gets every good stack's results (and its SARIF
    file) beside the bad stack's error, not nothing."""
    folder = project(tmp_path, "prod", lambda p: p["models"][0].update(pool="nowhere"))
    (tmp_path / "Pulumi.d.yaml").write_text((ROOT / "Pulumi.dev.yaml").read_text())
    args = ["--project-dir", folder, "check", "--all-stacks"]
    assert main([*args, "--format", "json"]) == 2
    out, err = capsys.readouterr()
    assert [(r["stack"], r["passed"]) for r in json.loads(out)] == [("d", True)]
    assert "error: stack 't':" in err and "nowhere" in err
    sarif = tmp_path / "check.sarif"
    assert main([*args, "--format", "sarif", "--out", str(sarif)]) == 2
    runs = json.loads(sarif.read_text())["runs"]
    assert {r["automationDetails"]["id"].split("/")[1] for r in runs} == {"d"}
    assert main(["--project-dir", folder, "plan", "--all-stacks", "--format", "json"]) == 2
    out, err = capsys.readouterr()
    assert [p["stack"] for p in json.loads(out)] == ["d"]
    assert "error: stack 't':" in err


def test_all_stacks_is_a_list_even_of_one(tmp_path, capsys):
    folder = project(tmp_path, "dev", lambda p: None)
    assert main(["--project-dir", folder, "check", "--all-stacks", "--format", "json"]) == 0
    (report,) = json.loads(capsys.readouterr().out)
    assert report["stack"] == "t"
    # one `--stack` is the stack's own document, as before
    assert main(["--project-dir", folder, "check", "--stack", "t", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["stack"] == "t"


def test_a_pack_that_dies_stops_the_run_before_the_next_stacks_are_planned(monkeypatch):
    from contextlib import nullcontext

    from infra.policy import check

    made = check.plan_with_config("dev", ROOT)
    planned: list[str] = []

    def plan(stack, project_dir):
        planned.append(stack)
        time.sleep(0.3)  # planning takes a while; the pack has died meanwhile
        return made

    def broken(stub, record, config):
        raise RuntimeError("the pack's process went away")

    monkeypatch.setattr(check, "started_pack", lambda path: nullcontext(None))
    monkeypatch.setattr(check, "analyze", broken)
    monkeypatch.setattr(check, "plan_with_config", plan)
    with pytest.raises(RuntimeError, match="went away"):
        check.run_checks(["a", "b", "c", "d", "e"], ROOT)
    assert len(planned) <= 2, planned


def h100_in_dev(platform):
    platform["cost"].pop("allowed_gpus")
    platform["cost"]["max_gpus"] = 64
    platform["cost"]["monthly_budget_usd"] = 500000
    platform["gpu_pools"].append(
        {"name": "large", "gpu": "h100", "gpus_per_node": 8, "max_nodes": 1}
    )


def public_endpoint_in_prod(platform):
    platform["cluster"]["endpoint_access"] = "public"
    platform["cluster"]["public_access_cidrs"] = ["0.0.0.0/0"]


def deployed_from_github(platform):
    platform["deploy"] = {"runner": "github-hosted"}


def without_dns_endpoint(platform):
    platform["cluster"].pop("dns_endpoint")


def over_budget(platform):
    platform["cost"]["monthly_budget_usd"] = 10000


@pytest.mark.parametrize(
    ("base", "edit", "rule", "resource"),
    [
        (
            "dev",
            h100_in_dev,
            "llm-infra-cost/cost-allowed-gpus",
            "aws:eks/nodeGroup:NodeGroup gpu-large-ng",
        ),
        (
            "prod",
            public_endpoint_in_prod,
            "llm-infra-security/eks-endpoint-private-in-prod",
            "aws:eks/cluster:Cluster cluster-eks",
        ),
        (
            "prod",
            public_endpoint_in_prod,
            "llm-infra-security/eks-public-endpoint-restricted",
            "aws:eks/cluster:Cluster cluster-eks",
        ),
        ("prod", over_budget, "llm-infra-cost/cost-monthly-budget", "stack"),
        # private endpoints deployed from outside the network, on each cloud
        (
            "prod",
            deployed_from_github,
            "llm-infra-deploy/deploy-reaches-the-api",
            "aws:eks/cluster:Cluster cluster-eks",
        ),
        (
            "gcp-prod",
            without_dns_endpoint,
            "llm-infra-deploy/deploy-reaches-the-api",
            "gcp:container/cluster:Cluster cluster-gke",
        ),
        (
            "azure-prod",
            deployed_from_github,
            "llm-infra-deploy/deploy-reaches-the-api",
            "azure-native:containerservice:ManagedCluster cluster-aks",
        ),
    ],
)
def test_a_stack_that_breaks_a_rule_exits_1_naming_rule_and_resource(
    tmp_path, capsys, base, edit, rule, resource
):
    code = main(["--project-dir", project(tmp_path, base, edit), "check", "--stack", "t"])
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("Check of stack 't': FAILED")
    assert f"[mandatory] {rule} on {resource}:" in out


def test_sarif_lists_rules_and_results_for_code_scanning(tmp_path, capsys):
    code = main(
        [
            "--project-dir",
            project(tmp_path, "prod", over_budget),
            "check",
            "--stack",
            "t",
            "--format",
            "sarif",
        ]
    )
    assert code == 1
    sarif = json.loads(capsys.readouterr().out)
    assert sarif["version"] == "2.1.0"
    runs = {run["tool"]["driver"]["name"]: run for run in sarif["runs"]}
    assert set(runs) == {"llm-infra-security", "llm-infra-cost", "llm-infra-deploy"}
    [result] = runs["llm-infra-cost"]["results"]
    assert result["ruleId"] == "cost-monthly-budget" and result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "Pulumi.t.yaml"
    rule_ids = {r["id"] for r in runs["llm-infra-cost"]["tool"]["driver"]["rules"]}
    assert "cost-monthly-budget" in rule_ids


def test_policy_config_can_relax_a_rule(tmp_path, capsys):
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({"cost-monthly-budget": "advisory"}))
    code = main(
        [
            "--project-dir",
            project(tmp_path, "prod", over_budget),
            "check",
            "--stack",
            "t",
            "--policy-config",
            str(config),
        ]
    )
    assert code == 0
    assert "[advisory] llm-infra-cost/cost-monthly-budget" in capsys.readouterr().out


def test_bad_config_is_exit_2_not_a_policy_failure(tmp_path, capsys):
    code = main(
        [
            "--project-dir",
            project(tmp_path, "dev", lambda p: p.update(cloud="oracle")),
            "check",
            "--stack",
            "t",
        ]
    )
    assert code == 2
    assert "llm-infra:platform.cloud" in capsys.readouterr().err


def test_tgi_runs_as_root_as_a_listed_exemption_with_its_reason(capsys):
    # The TGI server declares why it runs as uid 0 (its image contract: Python under /root,
    # huggingface/text-generation-inference#3082); check lists that as an exemption from
    # k8s-run-as-non-root instead of failing or hiding it.
    assert main(["--project-dir", str(ROOT), "check", "--stack", "prod", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    exempted = [e for e in report["exemptions"] if e["policy"] == "k8s-run-as-non-root"]
    assert [e["urn"].rsplit("::", 1)[1] for e in exempted] == ["qwen2-5-7b-deployment"]
    assert "#3082" in exempted[0]["reason"]
