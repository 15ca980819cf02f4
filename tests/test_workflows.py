"""The GitHub Actions workflows: valid, pinned, least privilege, and covering every stack.

Besides reading the YAML, these tests run the workflow's own shell steps (with a fake
`llm-infra`) and its comment script (under Node, with a fake GitHub API), so a broken
step fails here rather than on a pull request.
"""

import json
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.stages import DEPLOY_WORKFLOW, MIN_CLI_VERSION, PLATFORM_EXCLUDES
from infra.truth.reach import DEPLOY_PATH
from tests.tools import require

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])
SHIPPED = {"dev", "prod", "gcp-prod", "azure-prod"}
MARKER_PREFIX = "<!-- llm-infra-diff stack="

SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
TAG_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@v\d+\.\d+\.\d+$")
VERSION_COMMENT = re.compile(r"^#\s*v\d+\.\d+\.\d+\b")
USES_LINE = re.compile(
    r"^\s*(?:-\s+)?uses:\s*(?P<q>['\"]?)(?P<ref>[^\s'\"#]+)(?P=q)\s*(?P<comment>#.*)?$"
)
CLOUD_LOGINS = ("configure-aws-credentials", "google-github-actions/auth", "azure/login")


def stack_names() -> list[str]:
    """Stacks are the Pulumi.<stack>.yaml files in the repository root."""
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))


def stack_cloud(stack: str) -> str:
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    return str(config["llm-infra:platform"]["cloud"])


def load(name: str) -> dict[Any, Any]:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    assert isinstance(doc, dict), f"{name} is not a mapping"
    return doc


def triggers(doc: dict[Any, Any]) -> Any:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    return doc.get("on", doc.get(True))


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def step(job: dict[str, Any], key: str) -> dict[str, Any]:
    """The step with this id, or whose name starts with this text."""
    found = [s for s in steps(job) if s.get("id") == key or str(s.get("name", "")).startswith(key)]
    assert len(found) == 1, f"expected one step {key!r}, found {len(found)}"
    return found[0]


def uses_steps(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in steps(job) if str(s.get("uses", "")).split("@")[0] == action]


def run_text(job: dict[str, Any]) -> str:
    return "\n".join(str(s.get("run", "")) for s in steps(job))


def walk(node: Any) -> Iterator[tuple[Any, Any]]:
    """Every (key, value) pair of a parsed document, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def pin_problem(ref: str, comment: str | None) -> str | None:
    """Why a `uses:` reference is not pinned to an immutable version, or None."""
    if ref.startswith("./"):
        return None  # an action in this repository, versioned with it
    if SHA_PIN.match(ref):
        if comment is None or not VERSION_COMMENT.match(comment.strip()):
            return f"{ref}: a commit SHA needs a `# vX.Y.Z` comment naming its release"
        return None
    if TAG_PIN.match(ref):
        return None
    return f"{ref}: pin a full commit SHA (with a `# vX.Y.Z` comment) or an exact vX.Y.Z tag"


def uses_lines(path: Path) -> list[tuple[str, str | None]]:
    found = []
    for line in path.read_text().splitlines():
        match = USES_LINE.match(line)
        if match:
            found.append((match["ref"], match["comment"]))
    return found


# --- every workflow -------------------------------------------------------------------


def test_the_three_workflows_exist():
    assert {p.name for p in WORKFLOW_FILES} >= {"pr-plan.yml", "pr-preview.yml", "deploy.yml"}


def test_the_shipped_stacks_are_found():
    assert set(stack_names()) >= SHIPPED


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_workflow_has_triggers_jobs_and_permissions(path):
    doc = load(path.name)
    assert triggers(doc), f"{path.name}: no `on`"
    jobs = doc.get("jobs")
    assert isinstance(jobs, dict) and jobs, f"{path.name}: no jobs"
    for name, job in jobs.items():
        assert "permissions" in doc or "permissions" in job, (
            f"{path.name}: job {name} has no permissions"
        )
        assert steps(job), f"{path.name}: job {name} has no steps"
    for key, value in walk(doc):
        if key == "permissions":
            assert value not in ("write-all", "read-all"), f"{path.name}: permissions: {value}"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_top_level_permissions_are_read_only(path):
    assert load(path.name).get("permissions") == {"contents": "read"}


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_every_action_is_pinned(path):
    lines = uses_lines(path)
    parsed = sorted(str(v) for k, v in walk(load(path.name)) if k == "uses")
    assert sorted(ref for ref, _ in lines) == parsed, "a `uses:` the line scan did not see"
    assert parsed, f"{path.name} uses no actions"
    problems = [p for p in (pin_problem(ref, comment) for ref, comment in lines) if p]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_one_action_one_pin(path):
    """The same action is pinned to the same commit everywhere in a workflow."""
    pins: dict[str, set[str]] = {}
    for ref, comment in uses_lines(path):
        action, _, version = ref.partition("@")
        pins.setdefault(action, set()).add(f"{version} {comment}")
    assert all(len(v) == 1 for v in pins.values()), pins


@pytest.mark.parametrize(
    ("ref", "comment"),
    [
        ("actions/checkout@v4", None),
        ("actions/checkout@v4.2", None),
        ("actions/checkout@main", None),
        ("actions/checkout@master", None),
        ("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", None),
        ("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", "# v4"),
        ("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af68", "# v4.2.2"),
        ("github/codeql-action/upload-sarif@v4", None),
        ("docker://alpine:latest", None),
    ],
)
def test_pin_check_refuses_moving_references(ref, comment):
    assert pin_problem(ref, comment) is not None


@pytest.mark.parametrize(
    ("ref", "comment"),
    [
        ("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", "# v4.2.2"),
        ("github/codeql-action/upload-sarif@5d4e8d1aca955e8d8589aabd499c5cae939e33c7", "# v4.31.9"),
        ("actions/setup-python@v6.1.0", None),
    ],
)
def test_pin_check_accepts_immutable_references(ref, comment):
    assert pin_problem(ref, comment) is None


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_write_permissions_are_used_by_the_job(path):
    """Each write permission a job holds is needed by one of its steps."""
    needs = {
        "pull-requests": lambda j: (
            uses_steps(j, "actions/github-script")
            or any(s.get("with", {}).get("comment-on-pr") for s in uses_steps(j, "pulumi/actions"))
        ),
        "security-events": lambda j: uses_steps(j, "github/codeql-action/upload-sarif"),
        "id-token": lambda j: (
            any(
                uses_steps(j, login)
                for login in (
                    "aws-actions/configure-aws-credentials",
                    "google-github-actions/auth",
                    "azure/login",
                )
            )
            or j.get("env", {}).get("ARM_USE_OIDC") == "true"
        ),
    }
    for name, job in load(path.name)["jobs"].items():
        for scope, level in job.get("permissions", {}).items():
            if level == "write":
                assert scope in needs and needs[scope](job), f"{name}: {scope}: write is not needed"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_run_steps_are_valid_bash_without_inline_expressions(path, tmp_path):
    """Shell steps read values from env, never from `${{ }}` pasted into the script."""
    for name, job in load(path.name)["jobs"].items():
        for index, item in enumerate(steps(job)):
            script = item.get("run")
            if script is None:
                continue
            assert "${{" not in script, f"{name} step {index}: use env, not ${{{{ }}}} in run"
            file = tmp_path / f"{name}-{index}.sh"
            file.write_text(script)
            check = subprocess.run(
                ["bash", "-n", str(file)], capture_output=True, text=True, check=False
            )
            assert check.returncode == 0, f"{name} step {index}: {check.stderr}"


# --- pr-plan: offline, no credentials ----------------------------------------------------


@pytest.fixture(scope="module")
def plan_job() -> dict[str, Any]:
    jobs = load("pr-plan.yml")["jobs"]
    assert len(jobs) == 1
    return dict(next(iter(jobs.values())))


def test_pr_plan_runs_on_pull_requests_one_run_per_pr():
    doc = load("pr-plan.yml")
    assert "pull_request" in triggers(doc)
    assert "github.event.pull_request.number" in doc["concurrency"]["group"]
    assert doc["concurrency"]["cancel-in-progress"] is True


def test_pr_plan_covers_every_stack_file(plan_job):
    matrix = plan_job["strategy"]["matrix"]["stack"]
    assert sorted(matrix) == stack_names(), "add the new Pulumi.<stack>.yaml to pr-plan's matrix"
    assert plan_job["env"]["STACK"] == "${{ matrix.stack }}"
    assert plan_job["strategy"]["fail-fast"] is False


def test_pr_plan_plans_head_and_base_then_diffs(plan_job):
    checkouts = uses_steps(plan_job, "actions/checkout")
    assert [c.get("with", {}).get("ref") for c in checkouts] == [
        None,
        "${{ github.event.pull_request.base.sha }}",
    ]
    assert checkouts[1]["with"]["path"] == "base"
    head, base = step(plan_job, "head"), step(plan_job, "base")
    assert (
        '.venv/bin/llm-infra plan --stack "$STACK" --format json --out "plans/head/$STACK.json"'
        in head["run"]
    )
    assert base["working-directory"] == "base"
    assert base["if"] == "steps.head.outputs.rc == '0'", "no base plan when the head does not plan"
    assert "make install" in base["run"]
    assert (
        '.venv/bin/llm-infra plan --stack "$STACK" --format json --out "../plans/base/$STACK.json"'
        in base["run"]
    )
    diff = step(plan_job, "diff")
    assert (
        '.venv/bin/llm-infra diff "plans/base/$STACK.json" "plans/head/$STACK.json" '
        '--format markdown --out "diff-$STACK.md"' in diff["run"]
    )
    assert "steps.base.outputs.status == 'ok'" in diff["if"]
    summary = step(plan_job, "summary")
    assert '.venv/bin/llm-infra plan --stack "$STACK" --format markdown' in summary["run"]
    assert "steps.base.outputs.status != 'ok'" in summary["if"]


def test_pr_plan_installs_with_make_on_python_311_with_pip_cache(plan_job):
    python = uses_steps(plan_job, "actions/setup-python")[0]["with"]
    assert str(python["python-version"]) == "3.11"
    assert python["cache"] == "pip"
    # the lock files decide what is installed (make install), so they key the cache
    assert "requirements/*.lock" in python["cache-dependency-path"].split()
    assert "make install" in run_text(plan_job)


def test_pr_plan_has_no_cloud_credentials():
    text = (WORKFLOWS / "pr-plan.yml").read_text()
    for login in CLOUD_LOGINS:
        assert login not in text
    assert "id-token" not in text
    assert set(re.findall(r"secrets\.(\w+)", text)) <= {"GITHUB_TOKEN"}
    for name in ("AWS_", "GOOGLE_", "ARM_", "AZURE_", "PULUMI_ACCESS_TOKEN"):
        assert name not in text


def test_pr_plan_updates_its_comment_by_the_hidden_marker(plan_job):
    script = uses_steps(plan_job, "actions/github-script")[0]["with"]["script"]
    assert MARKER_PREFIX + "${stack} -->" in script
    for call in ("listComments", "updateComment", "createComment"):
        assert f"github.rest.issues.{call}" in script


def test_pr_plan_policy_check_uploads_sarif_and_fails_after_commenting(plan_job):
    check = step(plan_job, "check")
    assert check["if"] == "hashFiles('policies/security/PulumiPolicy.yaml') != ''"
    assert (
        '.venv/bin/llm-infra check --stack "$STACK" --format sarif --out "check-$STACK.sarif"'
        in check["run"]
    )
    sarif = uses_steps(plan_job, "github/codeql-action/upload-sarif")
    assert len(sarif) == 1
    assert sarif[0]["with"]["category"] == "llm-infra-check-${{ matrix.stack }}"
    assert sarif[0]["with"]["sarif_file"] == "check-${{ matrix.stack }}.sarif"
    order = [s.get("uses", "").split("@")[0] or s.get("id", s.get("name")) for s in steps(plan_job)]
    comment = order.index("actions/github-script")
    verdict = len(order) - 1
    assert order.index("check") < comment < verdict
    assert "CHECK_RC" in steps(plan_job)[verdict]["run"]
    assert "cancelled()" in steps(plan_job)[verdict]["if"]


# The shell steps of pr-plan, run with a fake llm-infra ---------------------------------

FAKE_CLI = """#!/usr/bin/env bash
# Fake llm-infra: records its arguments, writes --out, exits with $FAKE_RC.
echo "$*" >> "$FAKE_LOG"
out=""
while [ $# -gt 0 ]; do
  if [ "$1" = "--out" ]; then out="$2"; fi
  shift
done
if [ -n "$out" ]; then mkdir -p "$(dirname "$out")"; echo "fake output" > "$out"; fi
echo "fake error text" >&2
exit "${FAKE_RC:-0}"
"""


def run_step(item: dict[str, Any], cwd: Path, **env: str) -> tuple[int, dict[str, str], str]:
    """Run one `run:` step as the runner does: bash -e -o pipefail, with GITHUB_OUTPUT."""
    output, summary = cwd / "github_output", cwd / "step_summary"
    output.write_text("")
    summary.write_text("")
    workdir = cwd / item.get("working-directory", ".")
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", item["run"]],
        cwd=workdir,
        env={
            "PATH": os.environ["PATH"],
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "FAKE_LOG": str(cwd / "calls.log"),
            "STACK": "prod",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return result.returncode, outputs, summary.read_text()


@pytest.fixture
def workspace(tmp_path) -> Path:
    for venv in (tmp_path / ".venv/bin", tmp_path / "base/.venv/bin"):
        venv.mkdir(parents=True)
        cli = venv / "llm-infra"
        cli.write_text(FAKE_CLI)
        cli.chmod(cli.stat().st_mode | stat.S_IXUSR)
    # `make install` in base/ must succeed without a network: a Makefile that does nothing.
    (tmp_path / "base/Makefile").write_text("install:\n\t@true\n")
    return tmp_path


def test_head_plan_step_records_the_exit_code_without_failing(plan_job, workspace):
    rc, outputs, _ = run_step(step(plan_job, "head"), workspace, FAKE_RC="2")
    assert rc == 0
    assert outputs["rc"] == "2"
    assert (workspace / "head-prod.err").read_text().strip() == "fake error text"
    rc, outputs, _ = run_step(step(plan_job, "head"), workspace)
    assert (rc, outputs["rc"]) == (0, "0")
    assert (workspace / "plans/head/prod.json").exists()


def test_base_plan_step_skips_a_stack_new_in_the_pull_request(plan_job, workspace):
    rc, outputs, _ = run_step(step(plan_job, "base"), workspace)
    assert (rc, outputs["status"]) == (0, "missing")
    assert not (workspace / "calls.log").exists()


def test_base_plan_step_plans_an_existing_stack(plan_job, workspace):
    (workspace / "base/Pulumi.prod.yaml").write_text("config: {}\n")
    rc, outputs, _ = run_step(step(plan_job, "base"), workspace)
    assert (rc, outputs["status"]) == (0, "ok")
    assert (workspace / "plans/base/prod.json").exists()
    rc, outputs, _ = run_step(step(plan_job, "base"), workspace, FAKE_RC="1")
    assert (rc, outputs["status"]) == (0, "failed")


def test_check_step_records_violations_without_failing(plan_job, workspace):
    rc, outputs, _ = run_step(step(plan_job, "check"), workspace, FAKE_RC="1")
    assert (rc, outputs["rc"]) == (0, "1")
    assert (
        "check --stack prod --format sarif --out check-prod.sarif"
        in (workspace / "calls.log").read_text()
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"HEAD_RC": "0", "DIFF_RC": "0", "CHECK_RC": "0"}, 0),
        ({"HEAD_RC": "0", "DIFF_RC": "", "CHECK_RC": ""}, 0),
        ({"HEAD_RC": "2", "DIFF_RC": "", "CHECK_RC": ""}, 1),
        ({"HEAD_RC": "0", "DIFF_RC": "1", "CHECK_RC": ""}, 1),
        ({"HEAD_RC": "0", "DIFF_RC": "0", "CHECK_RC": "1"}, 1),
        ({"HEAD_RC": "0", "DIFF_RC": "0", "CHECK_RC": "2"}, 1),
    ],
)
def test_verdict_step_fails_on_errors_and_violations(plan_job, workspace, env, expected):
    rc, _, _ = run_step(steps(plan_job)[-1], workspace, **env)
    assert rc == expected


def compose(plan_job: dict[str, Any], workspace: Path, **env: str) -> str:
    rc, _, summary = run_step(step(plan_job, "compose"), workspace, **env)
    assert rc == 0
    body = (workspace / "comment-prod.md").read_text()
    assert summary == body
    return body


def test_comment_is_the_diff_when_there_is_a_base_plan(plan_job, workspace):
    (workspace / "diff-prod.md").write_text("<!-- llm-infra-diff stack=prod -->\n## the diff\n")
    body = compose(plan_job, workspace, HEAD_RC="0", BASE_STATUS="ok", DIFF_RC="0", CHECK_RC="1")
    assert body.startswith("<!-- llm-infra-diff stack=prod -->\n## the diff\n")
    assert "mandatory policy violations" in body


def test_comment_is_the_plan_summary_for_a_new_stack(plan_job, workspace):
    (workspace / "plan-prod.md").write_text("## the whole plan\n")
    body = compose(plan_job, workspace, HEAD_RC="0", BASE_STATUS="missing", SUMMARY_RC="0")
    assert "`Pulumi.prod.yaml` is new in this pull request" in body
    assert "## the whole plan" in body
    assert "Policy check" not in body


def test_comment_shows_the_plan_error(plan_job, workspace):
    (workspace / "head-prod.err").write_text("error: Pulumi.prod.yaml: 1 config error\n")
    body = compose(plan_job, workspace, HEAD_RC="2", BASE_STATUS="ok")
    assert "failed" in body
    assert "error: Pulumi.prod.yaml: 1 config error" in body


# The comment script, run under Node with a fake GitHub API ------------------------------

NODE_HARNESS = r"""
const fs = require('fs');
const scenario = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const script = fs.readFileSync(process.argv[2], 'utf8');
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
const calls = [];
const warnings = [];
const listComments = async () => { throw new Error('use github.paginate'); };
const github = {
  paginate: async (method, params) => {
    if (method !== listComments) throw new Error('paginate called with another method');
    calls.push({ call: 'list', issue_number: params.issue_number });
    if (scenario.status) {
      const error = new Error('Resource not accessible by integration');
      error.status = scenario.status;
      throw error;
    }
    return scenario.comments;
  },
  rest: { issues: {
    listComments,
    updateComment: async (p) => { calls.push({ call: 'update', id: p.comment_id, body: p.body }); return { data: { id: p.comment_id } }; },
    createComment: async (p) => { calls.push({ call: 'create', issue_number: p.issue_number, body: p.body }); return { data: { id: 99 } }; },
  } },
};
const context = { repo: { owner: 'o', repo: 'r' }, payload: { pull_request: { number: 7 } } };
const core = { info: () => {}, warning: (m) => warnings.push(m) };
new AsyncFunction('require', 'github', 'context', 'core', script)(require, github, context, core)
  .then(() => ({ calls, warnings }), (e) => ({ calls, warnings, error: String(e) }))
  .then((result) => process.stdout.write(JSON.stringify(result)));
"""


def bot(comment_id: int, body: str) -> dict[str, Any]:
    return {"id": comment_id, "body": body, "user": {"login": "github-actions[bot]", "type": "Bot"}}


@pytest.fixture
def comment_script(plan_job, tmp_path):
    node = shutil.which("node")
    require(node is not None, "node", "the workflow's github-script step runs on Node.js")
    assert node is not None
    script = uses_steps(plan_job, "actions/github-script")[0]["with"]["script"]
    (tmp_path / "script.js").write_text(script)
    (tmp_path / "harness.js").write_text(NODE_HARNESS)

    def run(
        stack: str, body: str, comments: list[dict[str, Any]], status: int = 0
    ) -> dict[str, Any]:
        (tmp_path / "comment.md").write_text(body)
        (tmp_path / "scenario.json").write_text(
            json.dumps({"comments": comments, "status": status})
        )
        result = subprocess.run(
            [node, "harness.js", "script.js", "scenario.json"],
            cwd=tmp_path,
            env={"PATH": os.environ["PATH"], "STACK": stack, "COMMENT_FILE": "comment.md"},
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return dict(json.loads(result.stdout))

    return run


def test_comment_script_creates_the_first_comment_with_the_marker(comment_script):
    result = comment_script("prod", "## plan\n", [])
    assert [c["call"] for c in result["calls"]] == ["list", "create"]
    assert result["calls"][1]["issue_number"] == 7
    assert result["calls"][1]["body"] == "<!-- llm-infra-diff stack=prod -->\n## plan\n"


def test_comment_script_updates_this_stacks_comment_only(comment_script):
    comments = [
        bot(1, "<!-- llm-infra-diff stack=gcp-prod -->\nold gcp-prod"),
        {"id": 2, "body": "quoting <!-- llm-infra-diff stack=prod -->", "user": {"type": "User"}},
        bot(3, "<!-- llm-infra-diff stack=prod -->\nold prod"),
    ]
    body = "<!-- llm-infra-diff stack=prod -->\nnew prod"
    result = comment_script("prod", body, comments)
    assert result["calls"][1:] == [{"call": "update", "id": 3, "body": body}]


def test_comment_script_never_takes_another_stacks_comment(comment_script):
    result = comment_script("prod", "x", [bot(1, "<!-- llm-infra-diff stack=gcp-prod -->\n")])
    assert [c["call"] for c in result["calls"]] == ["list", "create"]


def test_comment_script_cuts_a_comment_github_would_refuse(comment_script):
    result = comment_script("dev", "x" * 70_000, [])
    assert len(result["calls"][1]["body"]) < 65_536


def test_comment_script_warns_when_the_token_cannot_comment(comment_script):
    result = comment_script("dev", "x", [], status=403)
    assert "error" not in result
    assert result["warnings"]
    assert comment_script("dev", "x", [], status=500)["error"]


# --- pr-preview: pulumi preview with AWS credentials --------------------------------------


def test_pr_preview_runs_only_with_a_configured_role_and_not_for_forks():
    doc = load("pr-preview.yml")
    assert "pull_request" in triggers(doc)
    (job,) = doc["jobs"].values()
    assert "vars.AWS_PREVIEW_ROLE_ARN != ''" in job["if"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in job["if"]
    assert job["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}


def test_pr_preview_previews_the_aws_stacks_with_the_pulumi_action():
    (job,) = load("pr-preview.yml")["jobs"].values()
    matrix = job["strategy"]["matrix"]["stack"]
    assert {"dev", "prod"} <= set(matrix)
    assert all(stack_cloud(s) == "aws" for s in matrix)
    aws = uses_steps(job, "aws-actions/configure-aws-credentials")[0]["with"]
    assert aws["role-to-assume"] == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
    (pulumi,) = uses_steps(job, "pulumi/actions")
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["comment-on-pr"] is True
    assert "matrix.stack" in pulumi["with"]["stack-name"]
    assert pulumi["with"]["policyPacks"] == "${{ steps.packs.outputs.list }}"
    assert "secrets.PULUMI_ACCESS_TOKEN" in pulumi["env"]["PULUMI_ACCESS_TOKEN"]
    assert "make install" in run_text(job)


@pytest.mark.parametrize("workflow", ["pr-preview.yml", "deploy.yml"])
def test_policy_pack_list_names_only_packs_that_exist(workflow, tmp_path):
    job = next(iter(load(workflow)["jobs"].values()))
    find = step(job, "packs")
    run_step(find, tmp_path)
    assert (tmp_path / "github_output").read_text() == "list<<LLM_INFRA_PACKS\nLLM_INFRA_PACKS\n"
    (tmp_path / "policies/cost").mkdir(parents=True)
    (tmp_path / "policies/cost/PulumiPolicy.yaml").write_text("runtime: python\n")
    run_step(find, tmp_path)
    assert (
        tmp_path / "github_output"
    ).read_text() == "list<<LLM_INFRA_PACKS\npolicies/cost\nLLM_INFRA_PACKS\n"


# --- deploy: pulumi up by each stack's deploy path, behind required reviewers ------------


def deploy_jobs() -> dict[str, dict[str, Any]]:
    return dict(load("deploy.yml")["jobs"])


def jobs_of(stack: str) -> list[tuple[str, dict[str, Any]]]:
    return [(n, j) for n, j in deploy_jobs().items() if j["env"]["STACK"] == stack]


def up_step(job: dict[str, Any]) -> dict[str, Any]:
    (pulumi,) = uses_steps(job, "pulumi/actions")
    assert pulumi["with"]["command"] == "up"
    return pulumi


def environment_of(job: dict[str, Any]) -> str:
    environment = job["environment"]
    return str(environment["name"] if isinstance(environment, dict) else environment)


def test_deploy_runs_on_push_to_main():
    assert triggers(load("deploy.yml")) == {"push": {"branches": ["main"]}}


def test_deploy_covers_every_shipped_stack_and_prod_waits_for_dev():
    stacks = {job["env"]["STACK"] for job in deploy_jobs().values()}
    assert stacks == SHIPPED
    for name, job in deploy_jobs().items():
        assert environment_of(job) == job["env"]["STACK"], f"{name}: its stack's environment"
        if job["env"]["STACK"] != "dev":
            assert "needs" in job, f"{name} must wait for dev (or its own platform stage)"
        if job.get("needs") == "dev":
            # runs when dev is skipped (not configured), never after a failed dev
            assert job["if"].startswith("${{ !failure() && !cancelled() && "), name
    # and the CodeBuild runner's job uses the image's Python 3.11
    assert deploy_jobs()["prod"]["env"]["PYTHON"] == "python3.11"


def test_deploy_runs_one_whole_run_at_a_time_and_never_cancels_one():
    """Concurrency at the workflow level: the two stages of a stack always come from one
    commit (a job-level group would let a newer platform stage run between them)."""
    doc = load("deploy.yml")
    assert doc["concurrency"] == {"group": "deploy", "cancel-in-progress": False}
    assert all(value is not True for key, value in walk(doc) if key == "cancel-in-progress")
    assert not [name for name, job in doc["jobs"].items() if "concurrency" in job]


def test_an_in_cluster_stage_runs_only_after_its_own_platform_stage_succeeded():
    """A job whose `if` has no status function gets `success()`, which a skipped ancestor
    (dev, not configured) turns false (actions/runner#2205): name the need's result."""
    for name, job in deploy_jobs().items():
        need = job.get("needs")
        if need and need != "dev":
            assert job["if"].startswith(
                f"${{{{ !cancelled() && needs.{need}.result == 'success' && "
            ), name


LOGINS = {
    "aws": "aws-actions/configure-aws-credentials",
    "gcp": "google-github-actions/auth",
}


@pytest.mark.parametrize("stack", sorted(SHIPPED))
def test_deploy_ups_each_stack_with_its_clouds_oidc_sign_in(stack):
    cloud = stack_cloud(stack)
    for name, job in jobs_of(stack):
        assert job["permissions"] == {"contents": "read", "id-token": "write"}, name
        for login in LOGINS.values():
            expected = 1 if login == LOGINS.get(cloud) else 0
            assert len(uses_steps(job, login)) == expected, f"{name}: {login}"
        pulumi = up_step(job)
        assert f"'{stack}'" in pulumi["with"]["stack-name"]
        assert pulumi["with"]["pulumi-version"] == "${{ env.PULUMI_VERSION }}"
        assert '.venv/bin/llm-infra plan --stack "$STACK"' in run_text(job)
        if cloud == "aws":
            role = uses_steps(job, LOGINS["aws"])[0]["with"]
            assert role["role-to-assume"] == f"${{{{ vars.AWS_DEPLOY_ROLE_ARN_{stack.upper()} }}}}"
            # a deploy waits up to the job's 120 minutes; the default session is one hour
            assert role["role-duration-seconds"] >= job["timeout-minutes"] * 60
        if cloud == "azure":
            # no Azure CLI session (it cannot renew past the first GitHub token): the
            # provider signs in by OIDC itself, with a fresh GitHub token each time
            env = job["env"]
            assert env["ARM_USE_OIDC"] == "true"
            assert env["ARM_CLIENT_ID"] == "${{ vars.AZURE_CLIENT_ID }}"
            assert env["ARM_TENANT_ID"] == "${{ vars.AZURE_TENANT_ID }}"
            assert env["ARM_SUBSCRIPTION_ID"] == "${{ vars.AZURE_SUBSCRIPTION_ID }}"


def test_the_cli_pin_takes_wildcard_excludes():
    """`--exclude` arrived in Pulumi CLI 3.158 and handles wildcards in every case from
    3.188 (pulumi/pulumi CHANGELOG.md: #18828, #20158)."""
    pinned = tuple(int(p) for p in load("deploy.yml")["env"]["PULUMI_VERSION"].split("."))
    assert pinned >= tuple(int(p) for p in MIN_CLI_VERSION.split("."))


@pytest.mark.parametrize("stack", sorted(SHIPPED))
def test_each_stack_deploys_by_the_path_its_config_names(stack, shipped_plan):
    """An in-network stack: a platform stage on a GitHub-hosted runner with the Kubernetes
    providers excluded, then the whole program on the runner the platform stage creates.
    Any other: one whole `pulumi up` on a GitHub-hosted runner."""
    plan = shipped_plan(stack)
    (path,) = plan.of_type(DEPLOY_PATH)
    jobs = jobs_of(stack)
    if path.inputs["runner"] != "in-network":
        ((_, job),) = jobs
        assert job["runs-on"] == "ubuntu-latest"
        assert "exclude" not in up_step(job)["with"]
        return
    (first_name, first), (_, second) = jobs
    assert first["runs-on"] == "ubuntu-latest"
    assert second["needs"] == first_name
    stage = up_step(first)["with"]
    assert stage["exclude"].split() == list(PLATFORM_EXCLUDES)
    assert stage["exclude-dependents"] is True
    assert "exclude" not in up_step(second)["with"]
    if stack_cloud(stack) == "aws":
        (project,) = plan.of_type("aws:codebuild/project:Project")
        label = f"codebuild-{project.inputs['name']}-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}"
        assert second["runs-on"] == label, "the CodeBuild runner takes jobs labelled with it"
        (webhook,) = plan.of_type("aws:codebuild/webhook:Webhook")
        patterns = {f["type"]: f["pattern"] for f in webhook.inputs["filterGroups"][0]["filters"]}
        assert patterns == {"EVENT": "WORKFLOW_JOB_QUEUED", "WORKFLOW_NAME": "^deploy$"}
        assert load("deploy.yml")["name"] == DEPLOY_WORKFLOW
    else:
        assert second["runs-on"] == "${{ vars.AZURE_PROD_RUNNER }}"
        assert "vars.AZURE_PROD_RUNNER != ''" in second["if"]
        # the platform stage creates the runners' subnet, so it runs before they exist
        assert "AZURE_PROD_RUNNER" not in first["if"]


@pytest.mark.parametrize("stack", sorted(SHIPPED))
def test_each_jobs_cluster_credential_plugin_is_installed(stack):
    """The kubeconfigs run a credential plugin: `aws eks get-token` (the AWS CLI is on
    GitHub's and CodeBuild's images), `gke-gcloud-auth-plugin`, `kubelogin` (with the Azure
    CLI's sign-in: AAD_LOGIN_METHOD=azurecli)."""
    for name, job in jobs_of(stack):
        if "exclude" in up_step(job)["with"]:
            continue  # the platform stage creates no Kubernetes resource
        cloud = stack_cloud(stack)
        if cloud == "gcp":
            (setup,) = uses_steps(job, "google-github-actions/setup-gcloud")
            assert "gke-gcloud-auth-plugin" in setup["with"]["install_components"], name
        if cloud == "azure":
            # kubelogin's workloadidentity login takes GitHub's OIDC token afresh
            # (pkg/internal/token/provider.go at v0.2.19: with ACTIONS_ID_TOKEN_REQUEST_*)
            assert job["env"]["AAD_LOGIN_METHOD"] == "workloadidentity"
            assert job["env"]["AZURE_CLIENT_ID"] == "${{ vars.AZURE_CLIENT_ID }}"
            assert job["env"]["AZURE_TENANT_ID"] == "${{ vars.AZURE_TENANT_ID }}"
            assert "az aks install-cli --kubelogin-version" in run_text(job)
