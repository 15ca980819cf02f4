"""Metrics, alerts and dashboards: kube-prometheus-stack, the DCGM exporter, our rules and
dashboards."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.enums import Cloud
from components.seam import GPU_LABEL, GPU_TOLERATION, KubernetesCluster
from workloads.alerts import (
    RECEIVERS_SECRET,
    AlertThresholds,
    Receiver,
    alertmanager_config,
    rule_groups,
)
from workloads.dashboards import dashboards
from workloads.monitors import MONITORING_API
from workloads.placement import cpu_placement
from workloads.wire import wire

STACK_CHART = "kube-prometheus-stack"
STACK_REPOSITORY = "https://prometheus-community.github.io/helm-charts"
STACK_VERSION = "78.3.2"
DCGM_CHART = "dcgm-exporter"
DCGM_REPOSITORY = "https://nvidia.github.io/dcgm-exporter/helm-charts"
DCGM_VERSION = "4.1.1"
# The chart's names are derived from this, so the Prometheus Service has a fixed address.
FULLNAME = "kube-prometheus-stack"
PROMETHEUS_PORT = 9090
GRAFANA_SECRET = "grafana-admin"
DASHBOARD_LABEL = "grafana_dashboard"

# kube-prometheus-stack scrapes these by default; a managed cluster does not let a
# workload reach them, so each would be a target down and its "…Down" alert would fire
# forever. `<component>.enabled: false` drops both the scrape and the component's rules.
# The control plane's controller manager, scheduler and etcd run on the cloud's side on
# EKS, GKE and AKS alike.
CONTROL_PLANE = ("kubeControllerManager", "kubeScheduler", "kubeEtcd")
NOT_SCRAPED: Mapping[Cloud, tuple[str, ...]] = {
    # The EKS kube-proxy add-on (no configuration values set here) binds its metrics to
    # 127.0.0.1:10249, out of Prometheus' reach.
    Cloud.AWS: (*CONTROL_PLANE, "kubeProxy"),
    # Dataplane V2 (ADVANCED_DATAPATH) runs no kube-proxy, and GKE's DNS is kube-dns,
    # which serves no CoreDNS metrics on 9153.
    Cloud.GCP: (*CONTROL_PLANE, "kubeProxy", "coreDns"),
    # The Cilium dataplane replaces kube-proxy.
    Cloud.AZURE: (*CONTROL_PLANE, "kubeProxy"),
}

# On GKE the driver lives on the host under /home/kubernetes/bin/nvidia and reaches only
# containers that request GPUs (the exporter requests none), and GKE's device plugin
# names GPUs by device (nvidia0), not by UUID: Google's DCGM exporter manifest
# (GoogleCloudPlatform/prometheus-engine examples/nvidia-dcgm/exporter.yaml) mounts the
# driver at /usr/local/nvidia, sets LD_LIBRARY_PATH and the device-name GPU id, and runs
# privileged to see /dev/nvidia*.
GKE_DRIVER_HOST_PATH = "/home/kubernetes/bin/nvidia"
GKE_DRIVER_MOUNT = "/usr/local/nvidia"
# The chart's own default for `extraVolumeMounts` (deployment/values.yaml at chart 4.1.1):
# Helm replaces a list, so setting the key must keep this entry.
DCGM_METRICS_MOUNT = {
    "name": "exporter-metrics-volume",
    "mountPath": "/etc/dcgm-exporter/default-counters.csv",
    "subPath": "default-counters.csv",
}


def prometheus_url(namespace: str) -> str:
    return f"http://{FULLNAME}-prometheus.{namespace}.svc:{PROMETHEUS_PORT}"


@dataclass(frozen=True)
class MonitoringArgs:
    namespace: str
    node_agents_namespace: str
    serving_namespace: str
    data_namespace: str
    retention_days: int
    storage_class: str
    cloud: Cloud
    """Which cluster components are scraped, and how the DCGM exporter finds the driver."""
    grafana: bool = True
    gpus: bool = True
    """Deploy the DCGM exporter (only where there are GPU nodes)."""
    prometheus_storage_gib: int = 50
    gpu_hourly_usd: Mapping[str, float] = field(default_factory=dict)
    """Price per GPU hour of each GPU type the stack uses, for the cost dashboard."""
    thresholds: AlertThresholds = field(default_factory=AlertThresholds)
    qdrant_service: str = "qdrant"
    more_serving_namespaces: tuple[str, ...] = ()
    """Other namespaces model servers run in (TGI's, when the stack has one)."""
    gateway_usd_per_million_output: Mapping[str, float] | None = None
    """With the gateway: each served model's planned cost per million output tokens, for
    the per-client usage and cost dashboard. None: no gateway, no such dashboard."""
    receivers: tuple[Receiver, ...] = ()
    """Where Alertmanager sends alerts; each one's URL or key is in the receivers Secret."""
    stack_version: str = STACK_VERSION
    dcgm_version: str = DCGM_VERSION


def _limits(cpu: str, memory: str) -> dict[str, dict[str, str]]:
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu, "memory": memory}}


def stack_values(
    args: MonitoringArgs, placement: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """`placement`: the CPU pool's `nodeSelector` / `tolerations`, set on every component
    that runs a pod (node-exporter is a DaemonSet on every node and keeps its own)."""
    on_cpu = dict(placement or {})
    return {
        "fullnameOverride": FULLNAME,
        "prometheus": {
            "prometheusSpec": {
                "retention": f"{args.retention_days}d",
                # Pick up every ServiceMonitor and rule, not only the chart's own.
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "ruleSelectorNilUsesHelmValues": False,
                "resources": _limits("1", "4Gi"),
                **on_cpu,
                "storageSpec": {
                    "volumeClaimTemplate": {
                        "spec": {
                            "storageClassName": args.storage_class,
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {
                                "requests": {"storage": f"{args.prometheus_storage_gib}Gi"}
                            },
                        }
                    }
                },
            }
        },
        "grafana": {
            "enabled": args.grafana,
            # The password lives in a Secret made from a generated Pulumi secret, never in
            # the release's values.
            "admin": {
                "existingSecret": GRAFANA_SECRET,
                "userKey": "admin-user",
                "passwordKey": "admin-password",
            },
            "sidecar": {
                "dashboards": {
                    "enabled": True,
                    "label": DASHBOARD_LABEL,
                    "labelValue": "1",
                    "searchNamespace": args.namespace,
                }
            },
            "resources": _limits("250m", "512Mi"),
            **on_cpu,
        },
        "alertmanager": alertmanager_values(args.receivers, on_cpu),
        # node-exporter reads the host (hostPID, hostPath): it goes to the privileged
        # node-agents namespace, the only one whose Pod Security level allows that.
        "prometheus-node-exporter": {"namespaceOverride": args.node_agents_namespace},
        "prometheusOperator": {
            "resources": _limits("200m", "256Mi"),
            **on_cpu,
            # the Job that patches the operator's webhook certificates
            "admissionWebhooks": {"patch": {**on_cpu}},
        },
        "kube-state-metrics": {"resources": _limits("100m", "256Mi"), **on_cpu},
        **{component: {"enabled": False} for component in NOT_SCRAPED[args.cloud]},
    }


def alertmanager_values(
    receivers: tuple[Receiver, ...], placement: Mapping[str, Any]
) -> dict[str, Any]:
    """Without receivers, the chart's own config (alerts reach no one); with them, the
    routes and receivers, whose URLs and keys Alertmanager reads from the mounted Secret."""
    spec: dict[str, Any] = dict(placement)
    if not receivers:
        return {"alertmanagerSpec": spec}
    spec["secrets"] = [RECEIVERS_SECRET]
    return {"alertmanagerSpec": spec, "config": alertmanager_config(receivers)}


def dcgm_values(cloud: Cloud) -> dict[str, Any]:
    """The DCGM exporter on GPU nodes only. Per-pod GPU attribution needs nothing here: the
    chart sets `DCGM_EXPORTER_KUBERNETES=true` itself, and the exporter then labels each
    GPU's series with the namespace/pod/container holding it (kubelet pod-resources API);
    honorLabels keeps those labels instead of the exporter pod's own."""
    values: dict[str, Any] = {
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [{"key": GPU_LABEL, "operator": "Exists"}]}
                    ]
                }
            }
        },
        "tolerations": [GPU_TOLERATION.as_dict()],
        "serviceMonitor": {"enabled": True, "interval": "15s", "honorLabels": True},
        "resources": _limits("200m", "512Mi"),
    }
    if cloud is Cloud.GCP:
        values["securityContext"] = {"privileged": True}
        values["extraHostVolumes"] = [
            {"name": "nvidia-install-dir-host", "hostPath": GKE_DRIVER_HOST_PATH}
        ]
        values["extraVolumeMounts"] = [
            DCGM_METRICS_MOUNT,
            {"name": "nvidia-install-dir-host", "mountPath": GKE_DRIVER_MOUNT, "readOnly": True},
        ]
        values["extraEnv"] = [
            {"name": "LD_LIBRARY_PATH", "value": f"{GKE_DRIVER_MOUNT}/lib64"},
            {"name": "DCGM_EXPORTER_KUBERNETES_GPU_ID_TYPE", "value": "device-name"},
        ]
    return values


class Monitoring(pulumi.ComponentResource):
    """Prometheus, Alertmanager and Grafana with the platform's rules and dashboards.

    Creates: a generated Grafana admin password (`-grafana-password`, pulumi-random) in a
    Secret (`-grafana-admin`); with alert receivers, a Secret of their URLs and keys
    (`-alert-receivers`, from `receiver_secrets`, by receiver name) that Alertmanager
    mounts; the kube-prometheus-stack release (`-stack`); with GPUs,
    the DCGM exporter release in the node-agents namespace (`-dcgm`); the PrometheusRule
    (`-rules`); with Grafana, one dashboard ConfigMap each for serving, GPUs and cost
    (`-dashboard-serving`, `-dashboard-gpus`, `-dashboard-cost`). ServiceMonitors and
    ScaledObjects depend on `operators`.
    """

    operators: list[pulumi.Resource]
    prometheus_url: str

    def __init__(
        self,
        name: str,
        args: MonitoringArgs,
        *,
        cluster: KubernetesCluster,
        namespace: k8s.core.v1.Namespace,
        node_agents_namespace: k8s.core.v1.Namespace,
        receiver_secrets: Mapping[str, pulumi.Input[str]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:workloads:Monitoring", name, None, opts)
        secrets = dict(receiver_secrets or {})
        missing = [r.name for r in args.receivers if r.name not in secrets]
        if missing:
            raise ValueError(
                f"alert receivers without a URL or key: {', '.join(missing)} "
                "(set them in llm-infra:alertReceivers)"
            )
        # Prometheus claims a volume: the CPU nodes, the storage driver and class first.
        placement = cpu_placement(cluster, claims_volumes=True)
        provider = cluster.kubernetes_provider
        child = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[namespace])
        ns = args.namespace
        labels = {
            "app.kubernetes.io/part-of": "llm-infra",
            "app.kubernetes.io/managed-by": "pulumi",
        }
        password = random.RandomPassword(
            f"{name}-grafana-password",
            length=32,
            special=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        admin = k8s.core.v1.Secret(
            f"{name}-grafana-admin",
            metadata=wire({"name": GRAFANA_SECRET, "namespace": ns, "labels": labels}),
            type="Opaque",
            string_data=wire(
                {
                    "admin-user": "admin",
                    "admin-password": pulumi.Output.secret(password.result),
                }
            ),
            opts=child,
        )
        waits: list[pulumi.Resource] = [admin]
        if args.receivers:
            # Alertmanager reads each URL or key from this Secret's file; the Helm values
            # name only the file.
            waits.append(
                k8s.core.v1.Secret(
                    f"{name}-alert-receivers",
                    metadata=wire({"name": RECEIVERS_SECRET, "namespace": ns, "labels": labels}),
                    type="Opaque",
                    string_data=wire(
                        {r.name: pulumi.Output.secret(secrets[r.name]) for r in args.receivers}
                    ),
                    opts=child,
                )
            )
        stack = k8s.helm.v3.Release(
            f"{name}-stack",
            name=STACK_CHART,
            chart=STACK_CHART,
            version=args.stack_version,
            repository_opts={"repo": STACK_REPOSITORY},
            namespace=ns,
            values=wire(stack_values(args, placement.pod_fields())),
            # The CRDs and operator take a while; a half-installed stack is rolled back.
            atomic=True,
            timeout=900,
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=provider,
                depends_on=[namespace, node_agents_namespace, *waits, *placement.ready],
            ),
        )
        self.operators = [stack]
        if args.gpus:
            k8s.helm.v3.Release(
                f"{name}-dcgm",
                name=DCGM_CHART,
                chart=DCGM_CHART,
                version=args.dcgm_version,
                repository_opts={"repo": DCGM_REPOSITORY},
                namespace=args.node_agents_namespace,
                values=wire(dcgm_values(args.cloud)),
                # A DaemonSet of node agents: its pods come and go with GPU nodes (and wait for the
                # node's driver), so waiting for all of them would fail an install while GPU nodes
                # join; apply it and let the DaemonSet converge.
                skip_await=True,
                opts=pulumi.ResourceOptions(
                    parent=self, provider=provider, depends_on=[node_agents_namespace, stack]
                ),
            )
        k8s.apiextensions.CustomResource(
            f"{name}-rules",
            api_version=MONITORING_API,
            kind="PrometheusRule",
            metadata=wire({"name": "llm-infra", "namespace": ns, "labels": labels}),
            spec=wire(
                {
                    "groups": rule_groups(
                        args.thresholds,
                        serving_namespace=args.serving_namespace,
                        data_namespace=args.data_namespace,
                        more_serving_namespaces=args.more_serving_namespaces,
                        qdrant=args.qdrant_service,
                    )
                }
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[stack]),
        )
        if args.grafana:
            documents = dashboards(args.gpu_hourly_usd, args.gateway_usd_per_million_output)
            for file_name, document in documents.items():
                role = file_name.removesuffix(".json").removeprefix("llm-")
                k8s.core.v1.ConfigMap(
                    f"{name}-dashboard-{role}",
                    metadata=wire(
                        {
                            "name": f"dashboard-{role}",
                            "namespace": ns,
                            "labels": {**labels, DASHBOARD_LABEL: "1"},
                        }
                    ),
                    data=wire({file_name: document}),
                    opts=child,
                )
        self.prometheus_url = prometheus_url(ns)
        self.register_outputs({"status": stack.status})
