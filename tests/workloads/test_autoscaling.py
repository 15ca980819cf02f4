from workloads.autoscaling import (
    COOLDOWN_SECONDS,
    SCALE_DOWN_WINDOW_SECONDS,
    QueueScaling,
    keda_values,
    queue_query,
    scaled_object_spec,
)

SCALING = QueueScaling(
    target="llama",
    namespace="llm-serving",
    service="llama",
    metric="vllm:num_requests_waiting",
    min_replicas=0,
    max_replicas=3,
)


def test_the_trigger_is_the_engine_queue_of_this_service():
    assert queue_query(SCALING) == (
        'sum(vllm:num_requests_waiting{namespace="llm-serving",service="llama"})'
    )
    spec = scaled_object_spec(SCALING, "http://prom:9090")
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "prometheus"
    assert trigger["metadata"]["serverAddress"] == "http://prom:9090"
    assert "vllm:num_requests_waiting" in trigger["metadata"]["query"]
    # KEDA takes metadata as strings only
    assert all(isinstance(v, str) for v in trigger["metadata"].values())


def test_scale_to_zero_is_allowed_with_cooldowns_longer_than_a_model_load():
    spec = scaled_object_spec(SCALING, "http://prom:9090")
    assert spec["minReplicaCount"] == 0
    assert spec["maxReplicaCount"] == 3
    assert spec["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "llama",
    }
    assert spec["cooldownPeriod"] == COOLDOWN_SECONDS >= 600
    behavior = spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
    assert behavior["scaleDown"]["stabilizationWindowSeconds"] == SCALE_DOWN_WINDOW_SECONDS >= 600
    assert behavior["scaleUp"]["policies"][0]["value"] == 1


def test_keda_pods_have_requests_and_limits():
    resources = keda_values()["resources"]
    # the chart's three deployments (kedacore/charts keda/values.yaml `resources` at v2.18.1)
    assert set(resources) == {"operator", "metricServer", "webhooks"}
    for part in resources.values():
        assert set(part) == {"requests", "limits"}
