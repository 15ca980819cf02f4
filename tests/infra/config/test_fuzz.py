"""Bad input never crashes: mutated stack configs end in ConfigError naming a path."""

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.cli import main
from infra.config import ConfigError, load_stack_config
from tests.harness import ROOT, shipped_config_values

BASE = shipped_config_values("prod")
PLATFORM = BASE["llm-infra:platform"]
PATH_PREFIXES = ("llm-infra:platform", "aws:region", "gcp:project")

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["", " ", "ü" * 300, "h100", "0.0.0.0/0", "-1", "1e309", "\u202e", "null"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


ALL_PATHS = paths(PLATFORM)


@st.composite
def mutated(draw) -> dict[str, Any]:
    platform = copy.deepcopy(PLATFORM)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(ALL_PATHS))
        parent = platform
        try:
            for part in path[:-1]:
                parent = parent[part]
            action = draw(st.sampled_from(["replace", "delete", "unknown-key", "duplicate"]))
            if action == "replace":
                parent[path[-1]] = draw(junk)
            elif action == "delete" and isinstance(parent, dict):
                del parent[path[-1]]
            elif action == "unknown-key" and isinstance(parent, dict):
                parent[draw(st.text(min_size=1, max_size=12))] = draw(junk)
            elif action == "duplicate" and isinstance(parent, list):
                parent.append(copy.deepcopy(parent[path[-1]]))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
    values = {k: json.dumps(v) if isinstance(v, (dict, list)) else str(v) for k, v in BASE.items()}
    values["llm-infra:platform"] = json.dumps(platform)
    return values


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=mutated())
def test_any_mutation_is_valid_or_a_config_error_naming_paths(values):
    try:
        load_stack_config(values, source="fuzz")
    except ConfigError as error:
        assert error.issues
        for issue in error.issues:
            assert issue.path.startswith(PATH_PREFIXES), issue
            assert issue.message
        assert "Traceback" not in error.render()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(values=mutated())
def test_the_cli_answers_a_mutated_stack_file_with_exit_0_or_2(tmp_path_factory, values):
    project = tmp_path_factory.mktemp("fuzz")
    (project / "Pulumi.yaml").write_text(
        f"name: llm-infra\nruntime: python\nmain: {ROOT / 'infra'}\n"
    )
    document = {
        "config": {k: json.loads(v) if k == "llm-infra:platform" else v for k, v in values.items()}
    }
    (project / "Pulumi.f.yaml").write_text(json.dumps(document))  # JSON is YAML
    code = main(
        [
            "--project-dir",
            str(project),
            "plan",
            "--stack",
            "f",
            "--format",
            "json",
            "--out",
            str(project / "p.json"),
        ]
    )
    assert code in (0, 2)
