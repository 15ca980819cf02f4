import pulumi_kubernetes as k8s

from components.seam import GPU_TOLERATION
from tests.harness import run_components
from tests.workloads.fakes import FakeCluster
from workloads.monitoring import (
    DCGM_VERSION,
    GRAFANA_SECRET,
    STACK_VERSION,
    Monitoring,
    MonitoringArgs,
    dcgm_values,
    prometheus_url,
    stack_values,
)

ARGS = MonitoringArgs(
    namespace="llm-monitoring",
    node_agents_namespace="llm-node-agents",
    serving_namespace="llm-serving",
    data_namespace="llm-data",
    retention_days=30,
    storage_class="fast-encrypted",
    gpu_hourly_usd={"l4": 0.8},
)


def deploy(args=ARGS):
    def body():
        cluster = FakeCluster()
        ns = k8s.core.v1.Namespace("ns", metadata={"name": "llm-monitoring"})
        agents = k8s.core.v1.Namespace("agents", metadata={"name": "llm-node-agents"})
        Monitoring("monitoring", args, cluster=cluster, namespace=ns, node_agents_namespace=agents)

    return run_components(body)


def test_pinned_releases_with_their_repositories():
    plan = deploy()
    releases = {r.name: r.inputs for r in plan.of_type("kubernetes:helm.sh/v3:Release")}
    assert releases["monitoring-stack"]["version"] == STACK_VERSION
    assert releases["monitoring-stack"]["repositoryOpts"]["repo"].startswith("https://")
    assert releases["monitoring-dcgm"]["version"] == DCGM_VERSION
    assert releases["monitoring-dcgm"]["namespace"] == "llm-node-agents"


def test_grafana_password_is_generated_and_never_in_the_values():
    plan = deploy()
    assert plan.get("random:index/randomPassword:RandomPassword", "monitoring-grafana-password")
    secret = plan.get("kubernetes:core/v1:Secret", "monitoring-grafana-admin").inputs
    assert secret["metadata"]["name"] == GRAFANA_SECRET
    assert secret["stringData"] == "[secret]"
    values = stack_values(ARGS)
    assert values["grafana"]["admin"]["existingSecret"] == GRAFANA_SECRET
    assert "adminPassword" not in values["grafana"]


def test_every_service_monitor_and_rule_is_picked_up_and_retention_is_set():
    spec = stack_values(ARGS)["prometheus"]["prometheusSpec"]
    assert spec["serviceMonitorSelectorNilUsesHelmValues"] is False
    assert spec["ruleSelectorNilUsesHelmValues"] is False
    assert spec["retention"] == "30d"
    assert prometheus_url("llm-monitoring").endswith(".llm-monitoring.svc:9090")


def test_dcgm_runs_on_gpu_nodes_with_per_pod_attribution():
    values = dcgm_values()
    assert values["tolerations"] == [GPU_TOLERATION.as_dict()]
    env = {e["name"]: e["value"] for e in values["extraEnv"]}
    assert env["DCGM_EXPORTER_KUBERNETES"] == "true"
    assert values["serviceMonitor"]["honorLabels"] is True


def test_rules_and_dashboards_wait_for_the_operator():
    plan = deploy()
    stack = plan.get("kubernetes:helm.sh/v3:Release", "monitoring-stack").urn
    rules = plan.get("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "monitoring-rules")
    assert stack in rules.options.depends_on
    maps = plan.of_type("kubernetes:core/v1:ConfigMap")
    assert sorted(m.name for m in maps) == [
        "monitoring-dashboard-cost",
        "monitoring-dashboard-gpus",
        "monitoring-dashboard-serving",
    ]
    assert all(m.inputs["metadata"]["labels"]["grafana_dashboard"] == "1" for m in maps)
