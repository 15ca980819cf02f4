import typing
from typing import Any

from components.enums import Environment
from infra.config.defaults import ENVIRONMENT_DEFAULTS, apply_environment_defaults
from infra.config.stack import StackConfig


def test_defaults_fill_only_what_is_unset_and_leave_the_input_alone():
    raw = {"network": {"nat": "none"}, "gpu_pools": [{"name": "a"}, {"name": "b", "min_nodes": 3}]}
    filled = apply_environment_defaults(raw, Environment.PROD)
    assert filled["network"]["nat"] == "none"
    assert filled["gpu_pools"][0]["min_nodes"] == 1
    assert filled["gpu_pools"][1]["min_nodes"] == 3
    assert filled["gpu_pools"][0]["capacity_type"] == "on_demand"
    assert raw == {
        "network": {"nat": "none"},
        "gpu_pools": [{"name": "a"}, {"name": "b", "min_nodes": 3}],
    }


def test_values_of_the_wrong_shape_are_left_for_validation_to_report():
    raw = {"network": "big", "gpu_pools": "many", "models": [7]}
    filled = apply_environment_defaults(raw, Environment.DEV)
    assert filled["network"] == "big" and filled["gpu_pools"] == "many" and filled["models"] == [7]


def test_every_default_names_a_real_field_and_covers_every_environment():
    for path, by_env in ENVIRONMENT_DEFAULTS.items():
        assert set(by_env) == set(Environment), path
        model: Any = StackConfig
        *parents, leaf = path.split(".")
        for segment in parents:
            annotation = model.model_fields[segment.removesuffix("[]")].annotation
            model = typing.get_args(annotation)[0] if segment.endswith("[]") else annotation
        assert leaf in model.model_fields, path
