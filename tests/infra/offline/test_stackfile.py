import json

import pytest

from infra.offline.stackfile import SECRET_PLACEHOLDER, StackFileError, find_project, load_stack
from tests.harness import ROOT


def write_project(tmp_path, stack_text, name="demo"):
    (tmp_path / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\nmain: infra/\n")
    (tmp_path / "Pulumi.s.yaml").write_text(stack_text)
    return find_project(tmp_path)


def test_the_shipped_project_is_found_from_a_subfolder():
    project = find_project(ROOT / "infra" / "config")
    assert project.name == "llm-infra"
    assert project.main == ROOT / "infra/"
    assert {"dev", "prod", "gcp-prod", "azure-prod"} <= set(project.stacks())


def test_values_become_strings_as_the_cli_passes_them(tmp_path):
    project = write_project(
        tmp_path,
        "config:\n  aws:region: us-east-1\n  count: 3\n  flag: true\n  demo:obj: {a: [1, 2]}\n",
    )
    values = load_stack(project, "s")
    assert values.config == {
        "aws:region": "us-east-1",
        "demo:count": "3",
        "demo:flag": "true",
        "demo:obj": '{"a": [1, 2]}',
    }
    assert values.secret_keys == []


def test_secure_values_become_placeholders_and_mark_their_key_secret(tmp_path):
    project = write_project(
        tmp_path,
        "config:\n  demo:hfToken:\n    secure: v1:abc\n"
        "  demo:nested:\n    inner: {secure: v1:def}\n    plain: x\n",
    )
    values = load_stack(project, "s")
    assert values.config["demo:hfToken"] == SECRET_PLACEHOLDER
    assert json.loads(values.config["demo:nested"]) == {"inner": SECRET_PLACEHOLDER, "plain": "x"}
    assert values.secret_keys == ["demo:hfToken", "demo:nested"]
    assert "v1:" not in json.dumps(values.config)


def test_a_missing_stack_lists_the_stacks_there(tmp_path):
    project = write_project(tmp_path, "config: {}\n")
    with pytest.raises(StackFileError, match=r"Pulumi.nope.yaml does not exist \(stacks here: s\)"):
        load_stack(project, "nope")


def test_broken_yaml_names_the_file_and_line(tmp_path):
    project = write_project(tmp_path, "config:\n  a: [1, 2\n  b: 3\n")
    with pytest.raises(
        StackFileError, match=r"Pulumi.s.yaml: not valid YAML \(line \d+, column \d+\)"
    ):
        load_stack(project, "s")


def test_config_that_is_not_a_mapping_is_refused(tmp_path):
    project = write_project(tmp_path, "config: [1, 2]\n")
    with pytest.raises(StackFileError, match="'config:' must be a mapping"):
        load_stack(project, "s")


def test_no_project_file_says_how_to_point_at_one(tmp_path):
    with pytest.raises(StackFileError, match="--project-dir"):
        find_project(tmp_path)
