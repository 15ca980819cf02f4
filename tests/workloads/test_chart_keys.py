"""Every Helm values key the platform sets is one its pinned chart has: checked against the
record in workloads/chart_keys.py, whose entries name the chart file and line at the
pinned release that declares each key."""

import itertools
import re

import pytest

from components import device_plugin
from components.aws import autoscaler, load_balancer_controller
from components.aws.autoscaler_releases import autoscaler_release
from components.dns import DnsPublisher
from components.enums import Cloud
from infra.config.cluster import ClusterConfig
from workloads import (
    autoscaling,
    certificates,
    external_dns,
    gateway,
    leader_worker_set,
    monitoring,
)
from workloads.alerts import Receiver
from workloads.chart_keys import CHARTS, keys_set, unrecorded
from workloads.monitoring import MonitoringArgs, dcgm_values, stack_values

# The CPU pool's placement as the seam gives it: both keys, so both are checked.
PLACEMENT = {
    "nodeSelector": {"llm-infra.io/pool": "system"},
    "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}],
}
RECEIVERS = (Receiver(name="oncall", kind="pagerduty"), Receiver(name="team", kind="slack"))


def monitoring_args(cloud, *, receivers=(), grafana=True):
    return MonitoringArgs(
        namespace="llm-monitoring",
        node_agents_namespace="llm-node-agents",
        serving_namespace="llm-serving",
        data_namespace="llm-data",
        retention_days=30,
        storage_class="encrypted",
        cloud=cloud,
        grafana=grafana,
        receivers=receivers,
    )


def variants():
    """Every values document the platform can render, by chart."""
    for cloud, receivers, grafana in itertools.product(Cloud, ((), RECEIVERS), (True, False)):
        yield (
            "kube-prometheus-stack",
            stack_values(monitoring_args(cloud, receivers=receivers, grafana=grafana), PLACEMENT),
        )
        yield "dcgm-exporter", dcgm_values(cloud)
    azure = DnsPublisher(
        domain="a.example.internal",
        zone_id="z",
        provider="azure-private-dns",
        service_account_labels={"azure.workload.identity/use": "true"},
        pod_labels={"azure.workload.identity/use": "true"},
        config_files={"azure.json": "{}"},
    )
    aws = DnsPublisher(domain="a.example.internal", zone_id="z", provider="aws", env={"A": "b"})
    for publisher in (azure, aws):
        yield "external-dns", external_dns.external_dns_values(publisher, "owner", PLACEMENT)
    yield "lws", leader_worker_set.lws_values(PLACEMENT)
    yield "keda", autoscaling.keda_values(PLACEMENT)
    yield "keda", autoscaling.keda_values()
    yield "nvidia-device-plugin", device_plugin.device_plugin_values()
    yield (
        "cluster-autoscaler",
        autoscaler.autoscaler_values(
            autoscaler.ClusterAutoscalerArgs(
                cluster_name="c", region="us-east-1", kubernetes_version="1.34"
            ),
            "arn:aws:iam::123456789012:role/ca",
        ),
    )
    yield "gateway-helm", gateway.envoy_gateway_values(PLACEMENT)
    yield "gateway-helm", gateway.envoy_gateway_values(PLACEMENT, "store:6379")
    yield "cert-manager", certificates.cert_manager_values(PLACEMENT)
    yield "ai-gateway-helm", gateway.ai_gateway_values(PLACEMENT)
    yield (
        "aws-load-balancer-controller",
        load_balancer_controller.controller_values(
            load_balancer_controller.LoadBalancerControllerArgs(
                cluster_name="c", region="us-east-1", node_selector={"llm-infra.io/pool": "system"}
            ),
            "vpc-1",
            "arn:aws:iam::123456789012:role/lbc",
        ),
    )


DEFAULT_KUBERNETES_VERSION = ClusterConfig.model_fields["kubernetes_version"].default


def test_each_pinned_chart_version_is_the_recorded_one():
    pinned = {
        "kube-prometheus-stack": monitoring.STACK_VERSION,
        "dcgm-exporter": monitoring.DCGM_VERSION,
        "keda": autoscaling.CHART_VERSION,
        "nvidia-device-plugin": device_plugin.CHART_VERSION,
        # the shipped stacks' minor (the config default)
        "cluster-autoscaler": autoscaler_release(DEFAULT_KUBERNETES_VERSION).chart_version,
        "gateway-helm": gateway.EG_VERSION,
        "cert-manager": certificates.VERSION,
        "ai-gateway-helm": gateway.AIGW_VERSION,
        "aws-load-balancer-controller": load_balancer_controller.CHART_VERSION,
        "external-dns": external_dns.CHART_VERSION,
        "lws": leader_worker_set.VERSION,
    }
    assert set(pinned) == set(CHARTS)
    for chart, version in pinned.items():
        assert CHARTS[chart].version == version, (
            f"{chart} is pinned at {version} but its keys were read at "
            f"{CHARTS[chart].version}: re-read its values file and update workloads/chart_keys.py"
        )


@pytest.mark.parametrize(("chart", "values"), list(variants()))
def test_every_key_we_set_is_one_the_pinned_chart_has(chart, values):
    assert unrecorded(chart, values) == []


def test_every_recorded_key_is_one_we_set():
    used: dict[str, set[str]] = {chart: set() for chart in CHARTS}
    for chart, values in variants():
        used[chart] |= set(keys_set(values, CHARTS[chart].keys))
    for chart, record in CHARTS.items():
        assert set(record.keys) - used[chart] == set(), chart


def test_every_entry_names_a_source_file_and_line():
    for chart, record in CHARTS.items():
        for source in record.sources.values():
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[\w.-]+ \S+\.yaml", source), source
        assert record.keys, chart
        for key, where in record.keys.items():
            name, line = where.rsplit(":", 1)
            assert name in record.sources, (chart, key)
            assert int(line) > 0
        # a key stands for its whole value: no key inside another
        for a, b in itertools.permutations(record.keys, 2):
            assert not b.startswith(a + "."), (chart, a, b)


def test_the_cpu_pool_placement_reaches_keys_the_charts_have():
    # nodeSelector/tolerations of every component that runs a pod, by the charts' own keys;
    # kube-prometheus-stack 78.3.2 applies `prometheusOperator.admissionWebhooks.patch.*` to
    # both certificate jobs (templates/prometheus-operator/admission-webhooks/job-patch/
    # job-createSecret.yaml:58, job-patchWebhook.yaml:59), and KEDA 2.18.1 its top-level
    # keys to the operator, metrics server and webhooks alike (keda/templates/
    # manager/deployment.yaml:225, metrics-server/deployment.yaml:198,
    # webhooks/deployment.yaml:160).
    values = stack_values(monitoring_args(Cloud.AWS), PLACEMENT)
    for component in (
        "prometheus.prometheusSpec",
        "alertmanager.alertmanagerSpec",
        "grafana",
        "prometheusOperator",
        "prometheusOperator.admissionWebhooks.patch",
        "kube-state-metrics",
    ):
        for key in ("nodeSelector", "tolerations"):
            assert f"{component}.{key}" in CHARTS["kube-prometheus-stack"].keys
            node = values
            for part in component.split("."):
                node = node[part]
            assert node[key] == PLACEMENT[key]
    keda = autoscaling.keda_values(PLACEMENT)
    assert {k: keda[k] for k in PLACEMENT} == PLACEMENT
    assert {"nodeSelector", "tolerations"} <= set(CHARTS["keda"].keys)


def test_dcgm_values_use_only_what_chart_4_1_1_has():
    # `kubernetes.enablePodLabels` arrives with chart 4.2.0 (deployment/values.yaml:198-202
    # at 4.2.3-4.2.0); chart 4.1.1 (4.2.3-4.1.1) has no `kubernetes` key at all.
    assert not any(k.startswith("kubernetes") for k in CHARTS["dcgm-exporter"].keys)
    for cloud in Cloud:
        values = dcgm_values(cloud)
        assert "kubernetes" not in values
        # The chart sets DCGM_EXPORTER_KUBERNETES=true itself (templates/daemonset.yaml:116
        # at 4.2.3-4.1.1), and uid is the exporter's default GPU id (pkg/cmd/app.go:167-171):
        # neither is repeated in extraEnv.
        names = [e["name"] for e in values.get("extraEnv", [])]
        assert "DCGM_EXPORTER_KUBERNETES" not in names
        assert len(names) == len(set(names))
