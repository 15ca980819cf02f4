import json

import pulumi_kubernetes as k8s
import pytest

from components.enums import Cloud
from components.seam import GPU_TOLERATION
from tests.harness import run_components
from tests.workloads.fakes import FakeCluster
from workloads.alerts import RECEIVERS_SECRET, Receiver
from workloads.monitoring import (
    DCGM_METRICS_MOUNT,
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
    cloud=Cloud.AWS,
    gpu_hourly_usd={"l4": 0.8},
)
RECEIVERS = (
    Receiver(name="oncall", kind="pagerduty", severities=("critical",)),
    Receiver(name="team", kind="slack", channel="#llm-alerts"),
    Receiver(name="hook", kind="webhook"),
)
SECRET_VALUES = {
    "oncall": "pd-routing-key-do-not-leak",
    "team": "https://hooks.slack.com/services/do-not-leak",
    "hook": "https://alerts.example.com/do-not-leak",
}


def deploy(args=ARGS, receiver_secrets=None):
    def body():
        cluster = FakeCluster()
        ns = k8s.core.v1.Namespace("ns", metadata={"name": "llm-monitoring"})
        agents = k8s.core.v1.Namespace("agents", metadata={"name": "llm-node-agents"})
        Monitoring(
            "monitoring",
            args,
            cluster=cluster,
            namespace=ns,
            node_agents_namespace=agents,
            receiver_secrets=receiver_secrets,
        )

    return run_components(body)


def with_receivers(args=ARGS):
    return MonitoringArgs(**{**args.__dict__, "receivers": RECEIVERS})


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


@pytest.mark.parametrize("cloud", list(Cloud))
def test_components_a_managed_cluster_does_not_expose_are_not_scraped(cloud):
    # kube-prometheus-stack 78.3.2: `<component>.enabled` gates both the component's
    # Service/ServiceMonitor (templates/exporters/<component>/) and its rules, e.g.
    # templates/prometheus/rules-1.14/kubernetes-system-controller-manager.yaml:7 and its
    # KubeControllerManagerDown alert. EKS, GKE and AKS run the controller manager,
    # scheduler and etcd on the cloud's side.
    values = stack_values(MonitoringArgs(**{**ARGS.__dict__, "cloud": cloud}))
    for component in ("kubeControllerManager", "kubeScheduler", "kubeEtcd"):
        assert values[component] == {"enabled": False}
    # No kube-proxy to scrape on GKE Dataplane V2 (components/gcp/cluster.py:
    # ADVANCED_DATAPATH) and AKS's Cilium dataplane (components/azure/cluster.py); the
    # EKS add-on binds its metrics to 127.0.0.1:10249 (eksctl-io/eksctl#4081).
    assert values["kubeProxy"] == {"enabled": False}
    # GKE Standard's DNS is kube-dns (GKE docs, "DNS providers"; the cluster sets no
    # dns_config), which has no CoreDNS metrics port; EKS and AKS run CoreDNS.
    assert ("coreDns" in values) is (cloud is Cloud.GCP)
    # the API server and kubelets are reachable on every cloud and stay scraped
    assert "kubeApiServer" not in values and "kubelet" not in values


def test_dcgm_runs_on_gpu_nodes_with_the_charts_own_pod_attribution():
    values = dcgm_values(Cloud.AWS)
    assert values["tolerations"] == [GPU_TOLERATION.as_dict()]
    assert values["serviceMonitor"]["honorLabels"] is True
    # the drivers reach the exporter through the NVIDIA container runtime on EKS and AKS
    assert "extraEnv" not in values and "extraHostVolumes" not in values
    assert dcgm_values(Cloud.AZURE) == values


def test_dcgm_on_gke_finds_the_driver_where_cos_keeps_it():
    # On COS the driver is under /home/kubernetes/bin/nvidia (NVIDIA/dcgm-exporter#484,
    # #448: "ERROR_LIBRARY_NOT_FOUND"); Google's manifest for the exporter
    # (GoogleCloudPlatform/prometheus-engine examples/nvidia-dcgm/exporter.yaml) mounts it at
    # /usr/local/nvidia, sets LD_LIBRARY_PATH=/usr/local/nvidia/lib64 and the device-name
    # GPU id (GKE's device plugin names GPUs nvidia0, …), and runs privileged.
    values = dcgm_values(Cloud.GCP)
    (host,) = values["extraHostVolumes"]
    assert host["hostPath"] == "/home/kubernetes/bin/nvidia"
    mounts = {m["name"]: m for m in values["extraVolumeMounts"]}
    assert mounts[host["name"]]["mountPath"] == "/usr/local/nvidia"
    assert mounts[host["name"]]["readOnly"] is True
    # Helm replaces lists: the chart's default metrics-file mount (values.yaml:153-156 at
    # 4.2.3-4.1.1) must stay, or the exporter loses its counters file.
    assert DCGM_METRICS_MOUNT in values["extraVolumeMounts"]
    env = {e["name"]: e["value"] for e in values["extraEnv"]}
    assert env == {
        "LD_LIBRARY_PATH": "/usr/local/nvidia/lib64",
        "DCGM_EXPORTER_KUBERNETES_GPU_ID_TYPE": "device-name",
    }
    assert values["securityContext"] == {"privileged": True}


def test_without_receivers_the_chart_keeps_its_own_alertmanager_config():
    values = stack_values(ARGS)["alertmanager"]
    assert "config" not in values
    assert "secrets" not in values["alertmanagerSpec"]
    plan = deploy()
    assert not [s for s in plan.of_type("kubernetes:core/v1:Secret") if "alert" in s.name]


def test_receivers_read_their_urls_and_keys_from_a_mounted_secret():
    plan = deploy(with_receivers(), SECRET_VALUES)
    secret = plan.get("kubernetes:core/v1:Secret", "monitoring-alert-receivers")
    assert secret.inputs["metadata"]["name"] == RECEIVERS_SECRET
    assert secret.inputs["stringData"] == "[secret]"
    release = plan.get("kubernetes:helm.sh/v3:Release", "monitoring-stack")
    assert secret.urn in release.options.depends_on  # Alertmanager mounts it at start
    values = release.inputs["values"]["alertmanager"]
    assert values["alertmanagerSpec"]["secrets"] == [RECEIVERS_SECRET]
    receivers = {r["name"]: r for r in values["config"]["receivers"]}
    secrets_dir = f"/etc/alertmanager/secrets/{RECEIVERS_SECRET}"
    assert receivers["oncall"]["pagerduty_configs"][0]["routing_key_file"] == (
        f"{secrets_dir}/oncall"
    )
    assert receivers["team"]["slack_configs"][0]["api_url_file"] == f"{secrets_dir}/team"
    assert receivers["team"]["slack_configs"][0]["channel"] == "#llm-alerts"
    assert receivers["hook"]["webhook_configs"][0]["url_file"] == f"{secrets_dir}/hook"
    text = json.dumps([r.inputs for r in plan.resources])
    assert not [v for v in SECRET_VALUES.values() if v in text]


def test_a_receiver_without_its_secret_is_refused():
    with pytest.raises(Exception, match="oncall"):
        deploy(with_receivers(), {"team": "x", "hook": "y"})


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


def test_node_agent_releases_do_not_wait_for_nodes_that_come_and_go(shipped_plan):
    # A DaemonSet's rollout waits for a pod on every matching node; GPU nodes join (and
    # install their driver) while the release installs, so an awaited, atomic release of
    # the DCGM exporter or the device plugin would roll back on a slow join.
    plan = shipped_plan("prod")
    releases = {r.inputs["chart"]: r.inputs for r in plan.of_type("kubernetes:helm.sh/v3:Release")}
    for chart in ("dcgm-exporter", "nvidia-device-plugin"):
        assert releases[chart].get("skipAwait") is True
        assert not releases[chart].get("atomic")
    assert releases["kube-prometheus-stack"]["atomic"] is True
