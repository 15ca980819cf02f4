import json

import pytest

from infra.cli import main
from infra.diff import diff_plans, is_stateful
from infra.reports.diff import marker, render_diff_markdown, render_diff_table
from tests.harness import plan_document, shipped_document

STACK = "urn:pulumi:prod::llm-infra::"


def resource(type_, name, inputs=None, **options):
    return {
        "urn": f"{STACK}{type_}::{name}",
        "type": type_,
        "name": name,
        "parent": f"{STACK}pulumi:pulumi:Stack::llm-infra-prod",
        "provider": None,
        "custom": True,
        "inputs": inputs or {},
        "dependencies": [],
        "property_dependencies": {},
        "options": {"aliases": [], "depends_on": [], "replace_on_changes": [], **options},
    }


def record(*resources, cost=None, sizing=None, policy=None):
    data = {
        "stack": "prod",
        "cloud": "aws",
        "region": "us-east-1",
        "resources": list(resources),
        "sizing": sizing or [],
    }
    if cost is not None:
        data["cost"] = cost
    if policy is not None:
        data["policy"] = policy
    return data


BUCKET = "aws:s3/bucket:Bucket"


def test_a_renamed_bucket_is_a_loud_replacement():
    base = record(resource(BUCKET, "models"))
    head = record(resource(BUCKET, "weights"))
    diff = diff_plans(base, head)
    assert [r.name for r in diff.replacements] == ["models"]
    assert str(diff.replacements[0].successor).endswith("::weights")
    text = render_diff_markdown(diff)
    assert (
        "> [!CAUTION]" in text and "**models** would be **destroyed**" in text and "alias" in text
    )


def test_a_rename_kept_by_an_alias_is_not_a_replacement():
    base = record(resource(BUCKET, "models"))
    head = record(resource(BUCKET, "weights", aliases=[{"spec": {"name": "models"}}]))
    diff = diff_plans(base, head)
    assert diff.replacements == [] and diff.created == [] and diff.deleted == []
    assert diff.renamed == [(f"{BUCKET}::models", f"{BUCKET}::weights")]


def test_an_input_the_provider_cannot_update_replaces_a_stateful_resource():
    base = record(resource(BUCKET, "models", {"bucket": "a", "tags": {"x": "1"}}))
    head = record(resource(BUCKET, "models", {"bucket": "b", "tags": {"x": "2"}}))
    diff = diff_plans(base, head)
    assert diff.updated[0].keys == ["bucket", "tags"] and diff.updated[0].replaces
    assert diff.replacements[0].reason == "bucket cannot change in place"


def test_plain_updates_list_the_changed_inputs_and_options():
    base = record(resource("aws:ec2/vpc:Vpc", "vpc", {"tags": {"a": "1"}}, protect=False))
    head = record(resource("aws:ec2/vpc:Vpc", "vpc", {"tags": {"a": "2"}}, protect=True))
    change = diff_plans(base, head).updated[0]
    assert change.keys == ["tags", "options.protect"] and not change.replaces


def test_deleting_a_stateless_resource_is_not_a_replacement():
    diff = diff_plans(record(resource("aws:ec2/route:Route", "r")), record())
    assert len(diff.deleted) == 1 and diff.replacements == []


@pytest.mark.parametrize(
    ("token", "stateful"),
    [
        (BUCKET, True),
        ("gcp:kms/cryptoKey:CryptoKey", True),
        ("kubernetes:core/v1:PersistentVolumeClaim", True),
        ("azure-native:storage:StorageAccount", True),
        ("aws:eks/cluster:Cluster", True),
        ("aws:ec2/subnet:Subnet", False),
        ("kubernetes:apps/v1:Deployment", False),
        ("pulumi:providers:aws", False),
    ],
)
def test_stateful_types(token, stateful):
    assert is_stateful(token) is stateful


def test_cost_model_and_policy_deltas():
    cost = lambda low, high, pool: {  # noqa: E731
        "monthly_usd_min": low,
        "monthly_usd_max": high,
        "lines": [{"component": "gpu pool a", "monthly_usd_min": low, "monthly_usd_max": pool}],
    }
    sized = {
        "model": "m",
        "gpu": "l4",
        "gpus": 1,
        "instance_type": "g6.2xlarge",
        "max_model_len": 8192,
        "fits": True,
        "max_concurrent_sequences": 3,
    }
    base = record(
        cost=cost(100, 200, 200),
        sizing=[sized],
        policy={"violations": [{"rule": "r1", "urn": "u"}]},
    )
    head = record(
        cost=cost(100, 500, 500),
        sizing=[{**sized, "gpus": 2, "max_concurrent_sequences": 22}, {**sized, "model": "n"}],
        policy={"violations": [{"rule": "r2", "urn": "u"}]},
    )
    diff = diff_plans(base, head)
    assert diff.cost is not None and diff.policy is not None
    assert (diff.cost.min, diff.cost.max) == (0, 300)
    assert diff.cost.lines == [{"component": "gpu pool a", "min": 0, "max": 300}]
    assert [(m.model, m.change, m.keys) for m in diff.models] == [
        ("m", "changed", ["gpus", "max_concurrent_sequences"]),
        ("n", "added", []),
    ]
    assert [v["rule"] for v in diff.policy.introduced] == ["r2"]
    assert [v["rule"] for v in diff.policy.resolved] == ["r1"]
    text = render_diff_markdown(diff)
    assert "+$300.00" in text and "gpus: 1 → 2" in text and "introduced: `r2`" in text


def test_absent_cost_and_policy_are_said_to_be_absent():
    text = render_diff_markdown(diff_plans(record(), record()))
    assert (
        "Cost: not available" in text
        and "Policy: not evaluated" in text
        and "**No changes.**" in text
    )


def change_prod(tmp_path, edit):
    document = shipped_document("prod")
    base = json.loads(plan_document(tmp_path, document, "prod").to_json())
    edit(document["config"]["llm-infra:platform"])
    head = json.loads(plan_document(tmp_path, document, "prod").to_json())
    return base, head


def add_a_model_and_raise_a_pool(platform):
    platform["gpu_pools"][0]["max_nodes"] = 6
    platform["cost"]["max_gpus"] = 48
    platform["cost"]["monthly_budget_usd"] = 200000
    platform["models"].append(
        {
            "name": "mistral-7b",
            "hf_model_id": "mistralai/Mistral-7B-Instruct-v0.3",
            "pool": "standard",
            "max_model_len_tokens": 8192,
        }
    )


def test_a_real_change_to_prod_adding_a_model_and_raising_a_pool(tmp_path):
    base, head = change_prod(tmp_path, add_a_model_and_raise_a_pool)
    diff = diff_plans(base, head)
    assert diff.cost is not None
    assert diff.cost.max > 0 and diff.cost.min == 0
    assert [(m.model, m.change) for m in diff.models] == [("mistral-7b", "added")]
    assert diff.replacements == []
    text = render_diff_markdown(diff, head)
    assert text.startswith(marker("prod") + "\n")
    assert "```mermaid" in text and "flowchart LR" in text
    assert "cost at max scale +$" in text


def test_the_cli_diff_and_fail_on_replace(tmp_path, capsys):
    base = tmp_path / "base.json"
    head = tmp_path / "head.json"
    base.write_text(json.dumps(record(resource(BUCKET, "models"))))
    head.write_text(json.dumps(record(resource(BUCKET, "weights"))))
    assert main(["diff", str(base), str(head), "--format", "table"]) == 0
    assert "!! DESTROYS DATA: aws:s3/bucket:Bucket models" in capsys.readouterr().out
    assert main(["diff", str(base), str(head), "--fail-on-replace", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["replacements"][0]["name"] == "models"


def test_the_cli_refuses_files_that_are_not_plan_records(tmp_path, capsys):
    bad = tmp_path / "x.json"
    bad.write_text("[]")
    assert main(["diff", str(bad), str(bad)]) == 2
    assert "not a plan record" in capsys.readouterr().err
    assert main(["diff", str(tmp_path / "missing.json"), str(bad)]) == 2


def test_table_rendering_marks_each_kind_of_change():
    diff = diff_plans(
        record(resource(BUCKET, "a")),
        record(resource(BUCKET, "a", {"bucket": "z"}), resource("aws:ec2/vpc:Vpc", "v")),
    )
    text = render_diff_table(diff)
    assert (
        "  + aws:ec2/vpc:Vpc  v" in text
        and "  ~ aws:s3/bucket:Bucket  a  (bucket)  [replace]" in text
    )


def test_pr_change_adding_a_model_raising_a_pool_and_renaming_a_bucket(tmp_path):
    base, head = change_prod(tmp_path, add_a_model_and_raise_a_pool)
    # the head's code renames the `models` bucket component to `weights`: every child's URN moves
    text = (
        json.dumps(head)
        .replace("::models", "::weights")
        .replace('"models-', '"weights-')
        .replace('"name": "models"', '"name": "weights"')
    )
    head = json.loads(text)
    diff = diff_plans(base, head)
    markdown = render_diff_markdown(diff, head)
    assert "aws:s3/bucket:Bucket` **models-bucket** would be **destroyed**" in markdown
    assert "aws:kms/key:Key` **models-key** would be **destroyed**" in markdown
    assert "`aws:s3/bucket:Bucket` weights-bucket" in markdown  # listed as created
    assert diff.cost is not None and diff.cost.max > 0
    assert "cost at max scale +$" in markdown
    assert "**mistral-7b** added" in markdown


def test_a_base_record_from_before_pipeline_stages_shows_no_model_change(shipped_plan):
    head = json.loads(shipped_plan("prod").to_json())
    base = json.loads(shipped_plan("prod").to_json())
    for sizing in base["sizing"]:
        del sizing["pipeline_parallel"]  # records made before the key meant one stage
    assert diff_plans(base, head).models == []
    head["sizing"][0]["pipeline_parallel"] = 2
    (change,) = diff_plans(base, head).models
    assert change.keys == ["pipeline_parallel"]
