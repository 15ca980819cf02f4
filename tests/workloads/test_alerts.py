from workloads.alerts import AlertThresholds, Receiver, alertmanager_config, rule_groups


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


def test_alerts_reach_each_receiver_that_takes_their_severity():
    receivers = (
        Receiver(name="oncall", kind="pagerduty", severities=("critical",)),
        Receiver(name="team", kind="slack", channel="#llm"),
        Receiver(name="hook", kind="webhook", severities=("info", "warning", "critical")),
    )
    config = alertmanager_config(receivers)
    route = config["route"]
    assert route["receiver"] == "null"
    watchdog, *routes = route["routes"]
    # kube-prometheus-stack's always-firing Watchdog goes nowhere, as in the chart's default
    assert watchdog == {"receiver": "null", "matchers": ['alertname = "Watchdog"']}
    assert [(r["receiver"], r["matchers"]) for r in routes] == [
        ("oncall", ['severity =~ "critical"']),
        ("team", ['severity =~ "critical|warning"']),
        ("hook", ['severity =~ "info|warning|critical"']),
    ]
    assert all(r["continue"] for r in routes)  # a critical reaches PagerDuty and Slack
    assert {r["name"] for r in config["receivers"]} == {"null", "oncall", "team", "hook"}
    # every severity a rule uses reaches the receivers that want it
    severities = {r["labels"]["severity"] for r in rules().values()}
    assert severities <= {"info", "warning", "critical"}


def test_receivers_name_secret_files_never_secrets():
    # Alertmanager v0.28.1 config/notifiers.go: PagerdutyConfig.RoutingKeyFile
    # (`routing_key_file`), SlackConfig.APIURLFile (`api_url_file`), WebhookConfig.URLFile
    # (`url_file`); prometheus-operator v0.86.1 mounts spec.secrets under
    # /etc/alertmanager/secrets/<name> (pkg/alertmanager/statefulset.go: secretsDir).
    config = alertmanager_config(
        (
            Receiver(name="a", kind="pagerduty"),
            Receiver(name="b", kind="slack"),
            Receiver(name="c", kind="webhook"),
        )
    )
    found = {r["name"]: r for r in config["receivers"]}
    assert found["a"]["pagerduty_configs"] == [
        {"routing_key_file": "/etc/alertmanager/secrets/alert-receivers/a", "send_resolved": True}
    ]
    assert found["b"]["slack_configs"] == [
        {"api_url_file": "/etc/alertmanager/secrets/alert-receivers/b", "send_resolved": True}
    ]
    assert found["c"]["webhook_configs"] == [
        {"url_file": "/etc/alertmanager/secrets/alert-receivers/c", "send_resolved": True}
    ]
    text = str(config)
    for field in ('routing_key"', "'routing_key'", "'api_url'", "'url'", "service_key"):
        assert field not in text
