"""Which models an endpoint picker balances, and why the others keep their Service."""

import pytest

from infra.config.routing import PICKER, SERVICE, balancing_reason, picked_models
from tests.harness import load, minimal_platform

LLAMA = minimal_platform()["models"][0]


def config_with(models, **gateway):
    return load(
        minimal_platform(models=models, gateway={"replicas": 1, **gateway}),
        aws_region="us-east-1",
    )


def test_a_vllm_model_with_a_replica_is_picked():
    config = config_with([LLAMA])
    assert picked_models(config) == {"llama"}
    assert balancing_reason(config, config.models[0])[0] == PICKER


@pytest.mark.parametrize(
    ("models", "gateway", "why"),
    [
        # TGI does not export the queue and KV-cache series the picker reads
        ([{**LLAMA, "engine": "tgi"}], {}, "tgi does not export"),
        # a pool rule holds one InferencePool and nothing else: no weighted split
        (
            [
                {**LLAMA, "weight": 90},
                {**LLAMA, "name": "canary", "version_of": "llama", "weight": 10},
            ],
            {},
            "split between versions",
        ),
        # nothing to pick from while it sleeps; the Service is what the wake retries reach
        ([{**LLAMA, "min_replicas": 0}], {}, "scales to zero"),
        ([LLAMA], {"endpoint_picker": False}, "endpoint_picker is off"),
        ([LLAMA], {"enabled": False}, "no gateway"),
    ],
)
def test_the_service_balances_what_the_picker_cannot(models, gateway, why):
    config = config_with(models, **gateway)
    for model in config.models:
        kind, reason = balancing_reason(config, model)
        assert (kind, why in reason) == (SERVICE, True), reason
    assert picked_models(config) == frozenset()
