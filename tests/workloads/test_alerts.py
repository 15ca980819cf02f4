from workloads.alerts import AlertThresholds, rule_groups


def rules():
    groups = rule_groups(
        AlertThresholds(),
        serving_namespace="llm-serving",
        data_namespace="llm-data",
        qdrant="qdrant",
    )
    return {r["alert"]: r for g in groups for r in g["rules"]}


def test_every_alert_the_platform_promises():
    assert set(rules()) == {
        "LLMTimeToFirstTokenHigh",
        "LLMRequestsWaiting",
        "LLMKVCacheNearlyFull",
        "GPUIdle",
        "QdrantDown",
        "PodRestarting",
        "ContainerOOMKilled",
    }


def test_thresholds_reach_the_expressions():
    found = rules()
    assert "vllm:time_to_first_token_seconds_bucket" in found["LLMTimeToFirstTokenHigh"]["expr"]
    assert "> 2.0" in found["LLMTimeToFirstTokenHigh"]["expr"]
    waiting = found["LLMRequestsWaiting"]
    assert "tgi_queue_size" in waiting["expr"] and "> 10" in waiting["expr"]
    assert waiting["for"] == "5m"
    assert "> 0.9" in found["LLMKVCacheNearlyFull"]["expr"]
    assert "[1h]" in found["GPUIdle"]["expr"]
    assert 'service="qdrant"' in found["QdrantDown"]["expr"]
    assert "OOMKilled" in found["ContainerOOMKilled"]["expr"]


def test_every_rule_has_a_severity_and_summary():
    for rule in rules().values():
        assert rule["labels"]["severity"] in {"info", "warning", "critical"}
        assert rule["annotations"]["summary"]
