"""A model that could not be sized is "not sized" in every report (plan table and Markdown,
check summary, PR diff), never a fit; a stack option decides whether it fails the check."""

import json

import pytest

from infra.cli import main
from infra.diff import diff_plans
from infra.reports.diff import render_diff_markdown
from infra.reports.fit import fit_line, fit_verdict
from tests.harness import shipped_document, write_document

P = "llm-infra:platform"
CUSTOM = {
    "name": "custom",
    "hf_model_id": "example-org/custom-model-7b",
    "pool": "standard",
    "max_model_len_tokens": 4096,
}
SIZED = {
    "model": "llama",
    "gpus": 1,
    "gpu": "l4",
    "instance_type": "g6.2xlarge",
    "fits": True,
    "max_concurrent_sequences": 3,
    "max_model_len": 8192,
    "not_sized": None,
}
TOO_BIG = {**SIZED, "model": "big", "fits": False, "problems": ["weights need 140 GiB"]}
UNSIZED = {"model": "custom", "not_sized": "'x' is not in the model library; set architecture"}


def test_the_verdict_is_yes_only_when_every_model_was_sized_and_fits():
    assert fit_verdict([SIZED]) == "yes"
    assert fit_verdict([SIZED, UNSIZED]) == "not sized (custom)"
    assert fit_verdict([SIZED, TOO_BIG]) == "no (big)"
    assert fit_verdict([TOO_BIG, UNSIZED]) == "no (big); not sized (custom)"
    # a record with no fit in it is not a fit either
    assert fit_verdict([{"model": "odd"}]) == "not sized (odd)"


def test_each_model_line_says_how_it_fits_or_why_it_was_not_sized():
    assert fit_line(SIZED) == "llama: fits 1 × l4 (g6.2xlarge), 3 sequences of 8192 tokens"
    assert fit_line(TOO_BIG).startswith("big: DOES NOT FIT 1 × l4 (g6.2xlarge): weights need")
    assert fit_line(UNSIZED) == f"custom: not sized: {UNSIZED['not_sized']}"


def project_with(tmp_path, stack="dev", **platform):
    document = shipped_document(stack)
    settings = document["config"][P]
    settings["models"].append(CUSTOM)
    settings.update(platform)
    return write_document(tmp_path, document, stack=stack)


def run(project, *args):
    return main(["--project-dir", str(project), *args])


def test_the_plan_reports_say_not_sized_with_the_reason_and_the_fix(tmp_path, capsys):
    project = project_with(tmp_path)
    assert run(project, "plan", "--stack", "dev") == 0
    table = capsys.readouterr().out
    assert "Models fit: not sized (custom)" in table
    assert "custom: not sized: 'example-org/custom-model-7b' is not in the model library" in table
    assert "set architecture to the library model it is shaped like" in table
    assert run(project, "plan", "--stack", "dev", "--format", "markdown") == 0
    markdown = capsys.readouterr().out
    assert "Models fit: **not sized (custom)**" in markdown
    assert "fits: yes" not in markdown.lower()


def test_outside_prod_check_passes_and_lists_the_unsized_model(tmp_path, capsys):
    project = project_with(tmp_path)
    assert run(project, "check", "--stack", "dev") == 0
    out = capsys.readouterr().out
    assert "models fit: not sized (custom)" in out
    assert "models fit: yes" not in out
    assert "[exempted] llm-infra-security/llm-model-sized" in out
    assert "is not in the model library" in out


@pytest.mark.parametrize(
    ("stack", "platform"),
    [("prod", {}), ("dev", {"require_sized_models": True})],
)
def test_in_prod_or_when_required_an_unsized_model_fails_the_check(
    tmp_path, capsys, stack, platform
):
    project = project_with(tmp_path, stack, **platform)
    assert run(project, "check", "--stack", stack, "--format", "json") == 1
    report = json.loads(capsys.readouterr().out)
    [violation] = [v for v in report["violations"] if v["policy"] == "llm-model-sized"]
    assert violation["enforcement"] == "mandatory"
    assert "example-org/custom-model-7b" in violation["message"]


def test_the_pr_diff_says_an_added_model_was_not_sized(tmp_path, capsys):
    base, head = tmp_path / "base", tmp_path / "head"
    base.mkdir()
    head.mkdir()
    write_document(base, shipped_document("dev"), stack="dev")
    project_with(head)
    plans = []
    for project in (base, head):
        assert run(project, "plan", "--stack", "dev", "--format", "json") == 0
        plans.append(json.loads(capsys.readouterr().out))
    text = render_diff_markdown(diff_plans(*plans))
    assert "**custom** added: not sized: 'example-org/custom-model-7b' is not in" in text
    assert "fits: None" not in text


def test_the_cost_report_prices_no_tokens_for_an_unsized_model(tmp_path, capsys):
    project = project_with(tmp_path)
    assert run(project, "cost", "--stack", "dev") == 0
    [line] = [x for x in capsys.readouterr().out.splitlines() if x.startswith("  custom:")]
    assert line.endswith("not sized: its throughput and cost per token are unknown")
