"""The Helm values keys the platform sets, per pinned chart, each with where the chart
declares it at that release: not a copy of any chart, only the keys we use.

A key stands for its whole value: below it the chart hands the value on as it is
(`toYaml` into a pod spec, or the application's own configuration), so its fields are
Kubernetes' or the application's, not the chart's. Every entry is `<source>:<line>`,
`<source>` naming one of the record's files (repository, tag, path).

Bumping a chart means re-reading its values file at the new tag and updating its record:
tests/workloads/test_chart_keys.py fails when a pinned version differs from its record,
and when a values function sets a key the record does not have.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ChartKeys:
    version: str
    sources: Mapping[str, str]
    """Source name → `<owner>/<repo>@<tag> <path>`."""
    keys: Mapping[str, str]
    """Dotted values key → `<source>:<line>`."""


KPS = "prometheus-community/helm-charts@kube-prometheus-stack-78.3.2"
CHARTS: Mapping[str, ChartKeys] = {
    "kube-prometheus-stack": ChartKeys(
        version="78.3.2",
        sources={
            "chart": f"{KPS} charts/kube-prometheus-stack/values.yaml",
            # the subcharts at the versions the chart's Chart.yaml depends on
            "grafana": "grafana/helm-charts@grafana-10.1.2 charts/grafana/values.yaml",
            "kube-state-metrics": "prometheus-community/helm-charts@kube-state-metrics-6.3.0 "
            "charts/kube-state-metrics/values.yaml",
        },
        keys={
            "fullnameOverride": "chart:23",
            "alertmanager.config": "chart:508",
            "alertmanager.alertmanagerSpec.secrets": "chart:928",
            "alertmanager.alertmanagerSpec.nodeSelector": "chart:1055",
            "alertmanager.alertmanagerSpec.tolerations": "chart:1093",
            "grafana.enabled": "chart:1226",
            "grafana.admin.existingSecret": "grafana:497",
            "grafana.admin.userKey": "grafana:498",
            "grafana.admin.passwordKey": "grafana:499",
            "grafana.resources": "grafana:354",
            "grafana.nodeSelector": "grafana:365",
            "grafana.tolerations": "grafana:370",
            "grafana.sidecar.dashboards.enabled": "grafana:1068",
            "grafana.sidecar.dashboards.label": "grafana:1088",
            "grafana.sidecar.dashboards.labelValue": "grafana:1090",
            "grafana.sidecar.dashboards.searchNamespace": "grafana:1100",
            "kubeControllerManager.enabled": "chart:1843",
            "coreDns.enabled": "chart:1954",
            "kubeEtcd.enabled": "chart:2134",
            "kubeScheduler.enabled": "chart:2243",
            "kubeProxy.enabled": "chart:2353",
            "kube-state-metrics.nodeSelector": "kube-state-metrics:335",
            "kube-state-metrics.tolerations": "kube-state-metrics:351",
            "kube-state-metrics.resources": "kube-state-metrics:477",
            "prometheus-node-exporter.namespaceOverride": "chart:2549",
            "prometheusOperator.admissionWebhooks.patch.nodeSelector": "chart:2955",
            "prometheusOperator.admissionWebhooks.patch.tolerations": "chart:2957",
            "prometheusOperator.resources": "chart:3223",
            "prometheusOperator.nodeSelector": "chart:3245",
            "prometheusOperator.tolerations": "chart:3250",
            "prometheus.prometheusSpec.tolerations": "chart:4040",
            "prometheus.prometheusSpec.nodeSelector": "chart:4103",
            "prometheus.prometheusSpec.ruleSelectorNilUsesHelmValues": "chart:4133",
            "prometheus.prometheusSpec.serviceMonitorSelectorNilUsesHelmValues": "chart:4158",
            "prometheus.prometheusSpec.podMonitorSelectorNilUsesHelmValues": "chart:4181",
            "prometheus.prometheusSpec.retention": "chart:4249",
            "prometheus.prometheusSpec.resources": "chart:4347",
            "prometheus.prometheusSpec.storageSpec": "chart:4354",
        },
    ),
    "dcgm-exporter": ChartKeys(
        version="4.1.1",
        # chart 4.1.1 is tagged 4.2.3-4.1.1 (DCGM 4.2.3, exporter 4.1.1)
        sources={"chart": "NVIDIA/dcgm-exporter@4.2.3-4.1.1 deployment/values.yaml"},
        keys={
            "securityContext": "chart:84",
            "resources": "chart:105",
            "serviceMonitor.enabled": "chart:114",
            "serviceMonitor.interval": "chart:115",
            "serviceMonitor.honorLabels": "chart:116",
            "tolerations": "chart:130",
            "affinity": "chart:133",
            "extraHostVolumes": "chart:141",
            "extraVolumeMounts": "chart:153",
            "extraEnv": "chart:158",
        },
    ),
    "keda": ChartKeys(
        version="2.18.1",
        sources={"chart": "kedacore/charts@v2.18.1 keda/values.yaml"},
        keys={
            "resources.operator": "chart:512",
            "resources.metricServer": "chart:520",
            "resources.webhooks": "chart:528",
            "nodeSelector": "chart:536",
            "tolerations": "chart:538",
        },
    ),
    "nvidia-device-plugin": ChartKeys(
        version="0.17.1",
        sources={
            "chart": "NVIDIA/k8s-device-plugin@v0.17.1 "
            "deployments/helm/nvidia-device-plugin/values.yaml"
        },
        keys={
            "affinity": "chart:63",
            "tolerations": "chart:85",
            "priorityClassName": "chart:98",
        },
    ),
    # The autoscaler's chart follows the cluster's minor (components/aws/autoscaler_releases.py);
    # these keys, read at 9.53.0 (Kubernetes 1.34), are at the same paths in every pinned
    # release: 9.44.0, 9.46.6, 9.51.0 (charts/cluster-autoscaler/values.yaml) and 9.59.0.
    "cluster-autoscaler": ChartKeys(
        version="9.53.0",
        sources={
            "chart": "kubernetes/autoscaler@cluster-autoscaler-chart-9.53.0 "
            "cluster-autoscaler/charts/cluster-autoscaler/values.yaml"
        },
        keys={
            "autoDiscovery.clusterName": "chart:17",
            "awsRegion": "chart:76",
            "cloudProvider": "chart:141",
            "extraArgs": "chart:207",
            "image.tag": "chart:301",
            "nodeSelector": "chart:329",
            "rbac.serviceAccount.annotations": "chart:375",
            "rbac.serviceAccount.create": "chart:377",
            "rbac.serviceAccount.name": "chart:379",
            "resources": "chart:398",
        },
    ),
    # Envoy Gateway: values.tmpl.yaml is what the release's values.yaml is rendered from
    # (tools/make/helm.mk); `config.envoyGateway` is the EnvoyGateway configuration, passed
    # on whole (api/v1alpha1/envoygateway_types.go).
    "gateway-helm": ChartKeys(
        version="v1.8.3",
        sources={"chart": "envoyproxy/gateway@v1.8.3 charts/gateway-helm/values.tmpl.yaml"},
        keys={
            "deployment.envoyGateway.resources": "chart:61",
            # merged with the chart's own (prometheus.io/scrape, prometheus.io/port)
            "deployment.pod.annotations": "chart:95",
            "deployment.pod.tolerations": "chart:100",
            "deployment.pod.nodeSelector": "chart:101",
            "config.envoyGateway": "chart:131",
            "certgen.job.tolerations": "chart:159",
            "certgen.job.nodeSelector": "chart:160",
        },
    ),
    "ai-gateway-helm": ChartKeys(
        version="v1.1.0",
        sources={
            "chart": "envoyproxy/ai-gateway@v1.1.0 manifests/charts/ai-gateway-helm/values.yaml"
        },
        keys={
            "controller.metricsRequestHeaderAttributes": "chart:110",
            "controller.replicaCount": "chart:149",
            "controller.podDisruptionBudget": "chart:153",
            "controller.resources": "chart:277",
            "controller.nodeSelector": "chart:278",
            "controller.tolerations": "chart:279",
        },
    ),
    "cert-manager": ChartKeys(
        version="v1.21.1",
        sources={
            "chart": "cert-manager/cert-manager@v1.21.1 deploy/charts/cert-manager/values.yaml"
        },
        keys={
            "crds.enabled": "chart:109",
            "crds.keep": "chart:116",
            "resources": "chart:419",
            "nodeSelector": "chart:510",
            "tolerations": "chart:611",
            "webhook.resources": "chart:938",
            "webhook.nodeSelector": "chart:969",
            "webhook.tolerations": "chart:1001",
            "cainjector.resources": "chart:1351",
            "cainjector.nodeSelector": "chart:1361",
            "cainjector.tolerations": "chart:1393",
            "startupapicheck.resources": "chart:1609",
            "startupapicheck.nodeSelector": "chart:1619",
            "startupapicheck.tolerations": "chart:1650",
        },
    ),
    "external-dns": ChartKeys(
        version="1.21.1",
        sources={
            "chart": "kubernetes-sigs/external-dns@external-dns-helm-chart-1.21.1 "
            "charts/external-dns/values.yaml"
        },
        keys={
            "fullnameOverride": "chart:24",
            "serviceAccount.create": "chart:37",
            "serviceAccount.labels": "chart:39",
            "serviceAccount.annotations": "chart:41",
            "serviceAccount.name": "chart:43",
            "podLabels": "chart:79",
            "env": "chart:126",
            "extraVolumes": "chart:153",
            "extraVolumeMounts": "chart:156",
            "resources": "chart:159",
            "nodeSelector": "chart:162",
            "tolerations": "chart:171",
            "namespaced": "chart:212",
            "sourceNamespace": "chart:224",
            "sources": "chart:227",
            "policy": "chart:232",
            "registry": "chart:236",
            "txtOwnerId": "chart:238",
            "domainFilters": "chart:247",
            "provider.name": "chart:266",
            "extraArgs": "chart:324",
        },
    ),
    # the chart in git at the release tag; registry.k8s.io publishes it as 0.10.0 with its
    # image values set to the tag (hack/push-chart.sh:38-51), which lws_values sets anyway
    "lws": ChartKeys(
        version="0.10.0",
        sources={"chart": "kubernetes-sigs/lws@v0.10.0 charts/lws/values.yaml"},
        keys={
            "image.manager.repository": "chart:18",
            "image.manager.tag": "chart:20",
            "image.manager.pullPolicy": "chart:21",
            "podSecurityContext": "chart:23",
            "resources": "chart:38",
            "nodeSelector": "chart:53",
            "tolerations": "chart:54",
        },
    ),
    # chart 3.5.0 (appVersion v3.5.0) as aws/eks-charts holds it at commit 5239609
    "aws-load-balancer-controller": ChartKeys(
        version="3.5.0",
        sources={"chart": "aws/eks-charts@5239609 stable/aws-load-balancer-controller/values.yaml"},
        keys={
            "replicaCount": "chart:5",
            "serviceAccount.create": "chart:32",
            "serviceAccount.annotations": "chart:34",
            "serviceAccount.name": "chart:37",
            "resources": "chart:62",
            "nodeSelector": "chart:78",
            "clusterName": "chart:135",
            "region": "chart:175",
            "vpcId": "chart:178",
            "enableServiceMutatorWebhook": "chart:485",
        },
    ),
}


def keys_set(values: Mapping[str, Any], keys: Mapping[str, str], prefix: str = "") -> Iterator[str]:
    """Every key `values` sets, dotted, stopping at the keys of the record (whose values
    the chart passes on whole): a recorded key where it is one, else each leaf."""
    for name, value in values.items():
        path = f"{prefix}{name}"
        if path in keys or not isinstance(value, Mapping) or not value:
            yield path
        else:
            yield from keys_set(value, keys, f"{path}.")


def unrecorded(chart: str, values: Mapping[str, Any]) -> list[str]:
    """The keys `values` sets that the chart's record does not have."""
    keys = CHARTS[chart].keys
    return sorted(path for path in keys_set(values, keys) if path not in keys)
