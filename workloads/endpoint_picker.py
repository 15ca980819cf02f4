"""Inference-aware balancing for vLLM models: an InferencePool and its endpoint picker.

The Gateway API Inference Extension (kubernetes-sigs/gateway-api-inference-extension,
pinned at v1.0.2: the module Envoy AI Gateway v1.1.0 builds against, go.mod) defines the
InferencePool, a set of model server pods with an endpoint picker (EPP). Envoy asks the
picker, over ext_proc, which pod takes each request; the picker scrapes every pod's vLLM
metrics and scores them by queue depth, KV-cache use and the prompt's cached prefix
(the chart's default plugins, config/charts/inferencepool/templates/epp-config.yaml).

What the pinned releases require, read at their tags:
- Envoy Gateway must watch InferencePools as a custom backend
  (`extensionManager.backendResources`: envoyproxy/ai-gateway@v1.1.0
  examples/inference-pool/envoy-gateway-values-addon.yaml), so the CRDs exist before it
  starts (it watches the kind at start: envoyproxy/gateway@v1.8.3
  internal/provider/kubernetes/controller.go:140-175), and so does its right to read them:
  it is not Ready until the watch has synced, and Envoy AI Gateway's chart, which grants
  that read (manifests/charts/ai-gateway-helm/templates/
  envoy_gateway_cluster_role_for_inference_pool.yaml), is installed after it
  (`pool_reader_rules` in workloads/gateway.py).
- The picker watches InferenceObjectives too, whether or not any exist, so that CRD is
  installed as well (pkg/epp/server/runserver.go:122-128 at v1.0.2).
- A route in the gateway's namespace reaching a pool in the model's namespace needs a
  ReferenceGrant there, from the AIGatewayRoute (envoyproxy/ai-gateway@v1.1.0
  internal/controller/referencegrant.go) and from the HTTPRoute AI Gateway generates
  (envoyproxy/gateway@v1.8.3 internal/gatewayapi/route.go:1859-1870, validate.go:154-180).
- Envoy reaches the picker by `<endpointPickerRef.name>.<namespace>.svc:<port>` over TLS
  without verification, fail closed, with a 300 s message timeout
  (envoyproxy/ai-gateway@v1.1.0 internal/extensionserver/inferencepool.go:204-315); the
  picker serves a self-signed certificate by default (`--secure-serving`).
- Its chart sets no security context or resources (config/charts/inferencepool/templates/
  epp-deployment.yaml at v1.0.2), so the picker is rendered here: our uid, no capabilities,
  a read-only root filesystem (it writes nothing: workloads/images.yaml `epp`).
"""

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.enums import Engine
from workloads.contract_check import CALLS_API
from workloads.engines import QUEUE_METRICS
from workloads.images import contract
from workloads.labels import selector_labels, workload_labels
from workloads.model_server import TERMINATION_GRACE_SECONDS
from workloads.network import from_namespaces, ingress_policy_spec
from workloads.placement import HOSTNAME, Placement, soft_spread
from workloads.security import PULL_POLICY, container_security_context, pod_security_context
from workloads.wire import wire

VERSION = "v1.0.2"
POOL_GROUP = "inference.networking.k8s.io"
POOL_API = f"{POOL_GROUP}/v1"
OBJECTIVE_GROUP = "inference.networking.x-k8s.io"
CRDS = Path(__file__).with_name("crds")
CRD_FILES = (
    "inference.networking.k8s.io_inferencepools.yaml",
    "inference.networking.x-k8s.io_inferenceobjectives.yaml",
)
"""config/crd/bases at v1.0.2, as released (the release's manifests.yaml is built from them:
Makefile:346-351)."""
BACKEND_RESOURCE = {"group": POOL_GROUP, "kind": "InferencePool", "version": "v1"}
# cmd/epp/runner/runner.go:77-79 at v1.0.2 (the chart's ports, epp-deployment.yaml:62-71)
GRPC_PORT = 9002
HEALTH_PORT = 9003
METRICS_PORT = 9090
# the gRPC health service the picker answers once its pool is synced (cmd/epp/runner/
# health.go:46-57 at v1.0.2; the chart's probes without leader election)
HEALTH_SERVICE = "inference-extension"
CONFIG_DIR = "/config"
CONFIG_FILE = "default-plugins.yaml"
# vLLM v0.11.0's series (workloads/images.yaml `vllm`); v1.0.2's default KV-cache series,
# vllm:gpu_cache_usage_perc, is hidden in vLLM v0.11.0 (vllm/v1/metrics/loggers.py:210-222
# in its wheel), and a missing series reads 0 (pkg/epp/backend/metrics/pod_metrics.go:
# 123-137 at v1.0.2).
QUEUE_METRIC = QUEUE_METRICS[Engine.VLLM]
KV_CACHE_METRIC = "vllm:kv_cache_usage_perc"
COMPONENT = "endpoint-picker"
REQUESTS = {"cpu": "200m", "memory": "256Mi"}
LIMITS = {"cpu": "1", "memory": "1Gi"}
ARCH = "kubernetes.io/arch"


@cache
def crd_documents() -> tuple[dict[str, Any], ...]:
    return tuple(yaml.safe_load((CRDS / name).read_text()) for name in CRD_FILES)


def picker_name(pool: str) -> str:
    """The picker's Deployment, Service and service account (a DNS label)."""
    return f"{pool[:59]}-epp"


def plugins_config() -> str:
    """The scorers the chart configures by default, each weight 1, the highest score
    picked (the loader adds max-score-picker and single-profile-handler:
    pkg/epp/config/loader/defaults.go at v1.0.2). A config is required: without one the
    picker exits (cmd/epp/runner/runner.go:236-247,313-316). No LoRA affinity scorer:
    adapters' requests reach their servers through the Service (workloads/gateway.py
    `_rule`)."""
    scorers = ["queue-scorer", "kv-cache-utilization-scorer", "prefix-cache-scorer"]
    return yaml.safe_dump(
        {
            "apiVersion": "inference.networking.x-k8s.io/v1alpha1",
            "kind": "EndpointPickerConfig",
            "plugins": [{"type": s} for s in scorers],
            "schedulingProfiles": [
                {"name": "default", "plugins": [{"pluginRef": s} for s in scorers]}
            ],
        },
        sort_keys=False,
    )


def picker_args(pool: str, namespace: str) -> list[str]:
    """The picker's flags (cmd/epp/runner/runner.go:76-108 at v1.0.2): its pool (the
    namespace is not taken from the pod: the default is `default`), the plugins config,
    vLLM v0.11.0's series, no LoRA series (no adapter request passes the picker; vLLM
    exports vllm:lora_requests_info only with adapters: vllm/v1/metrics/loggers.py:480-500
    in the 0.11.0 wheel; an empty name turns it off,
    pkg/epp/backend/metrics/metrics_spec.go:40-46) and no profiling endpoints."""
    return [
        "--pool-name",
        pool,
        "--pool-namespace",
        namespace,
        "--config-file",
        f"{CONFIG_DIR}/{CONFIG_FILE}",
        "--total-queued-requests-metric",
        QUEUE_METRIC,
        "--kv-cache-usage-percentage-metric",
        KV_CACHE_METRIC,
        "--lora-info-metric",
        "",
        "--enable-pprof=false",
        "--zap-encoder",
        "json",
    ]


def inference_pool_spec(servers: Mapping[str, str], port: int, picker: str) -> dict[str, Any]:
    """The model's pods (by their selector labels) on their serving port, which the picker
    also scrapes /metrics on (vLLM serves both there); the picker's Service, failing closed
    (the default, said here; AI Gateway always fails closed)."""
    return {
        "selector": {"matchLabels": dict(servers)},
        "targetPorts": [{"number": port}],
        "endpointPickerRef": {
            "name": picker,
            "kind": "Service",
            "port": {"number": GRPC_PORT},
            "failureMode": "FailClose",
        },
    }


def deployment_spec(
    pool: str,
    namespace: str,
    placement: Mapping[str, Any],
    *,
    replicas: int = 1,
    grace_seconds: int = TERMINATION_GRACE_SECONDS,
) -> dict[str, Any]:
    """`replicas` pickers, each on its own node where the pool has the nodes. Every one is
    Ready once it has read its pool (no leader election: cmd/epp/runner/health.go:46-57 at
    v1.0.2), so a rollout starts the new picker before it stops the old one (the chart's
    Recreate would leave the model with none while the new one is pulled and syncs). Each
    keeps its own prefix-cache state, so two pickers place by prefix less sharply than
    one. It waits as long as the model's servers take to stop, as the chart advises."""
    image = contract("epp")
    name = picker_name(pool)
    probe = {"grpc": {"port": HEALTH_PORT, "service": HEALTH_SERVICE}}
    pod = dict(placement)
    pod["nodeSelector"] = {**pod.get("nodeSelector", {}), ARCH: "amd64"}
    spread = soft_spread(HOSTNAME, selector_labels(name, COMPONENT))
    return {
        "replicas": replicas,
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
        },
        "selector": {"matchLabels": selector_labels(name, COMPONENT)},
        "template": {
            "metadata": {"labels": workload_labels(name, COMPONENT, image.tag)},
            "spec": {
                **pod,
                "topologySpreadConstraints": [spread],
                "serviceAccountName": name,
                # it watches its pool, the pool's pods and objectives (its Role)
                "automountServiceAccountToken": True,
                "securityContext": pod_security_context(),
                "terminationGracePeriodSeconds": grace_seconds,
                "containers": [
                    {
                        "name": "epp",
                        "image": image.image(),
                        "imagePullPolicy": PULL_POLICY,
                        "args": picker_args(pool, namespace),
                        "ports": [
                            {"name": "grpc", "containerPort": GRPC_PORT, "protocol": "TCP"},
                            {"name": "grpc-health", "containerPort": HEALTH_PORT},
                            {"name": "metrics", "containerPort": METRICS_PORT},
                        ],
                        "securityContext": container_security_context(),
                        "resources": {"requests": REQUESTS, "limits": LIMITS},
                        "livenessProbe": {**probe, "initialDelaySeconds": 5, "periodSeconds": 10},
                        "readinessProbe": {**probe, "periodSeconds": 2},
                        "volumeMounts": [
                            {"name": "plugins", "mountPath": CONFIG_DIR, "readOnly": True}
                        ],
                    }
                ],
                "volumes": [{"name": "plugins", "configMap": {"name": name}}],
            },
        },
    }


def role_rules() -> list[dict[str, Any]]:
    """What the picker reads, in its pool's namespace only (its caches are namespaced:
    pkg/epp/server/controller_manager.go:48-84 at v1.0.2; the chart's Role,
    config/charts/inferencepool/templates/rbac.yaml:40-70). No TokenReview rights: they
    serve only scrapes of its own metrics, which nothing here makes."""
    read = ["get", "list", "watch"]
    return [
        {"apiGroups": [""], "resources": ["pods"], "verbs": read},
        {"apiGroups": [POOL_GROUP], "resources": ["inferencepools"], "verbs": read},
        {"apiGroups": [OBJECTIVE_GROUP], "resources": ["inferenceobjectives"], "verbs": read},
    ]


def reference_grant_spec(route_namespace: str) -> dict[str, Any]:
    """Routes of the gateway's namespace may name this namespace's InferencePools: the
    AIGatewayRoute (checked by AI Gateway) and the HTTPRoute it generates (checked by
    Envoy Gateway)."""
    return {
        "from": [
            {
                "group": "aigateway.envoyproxy.io",
                "kind": "AIGatewayRoute",
                "namespace": route_namespace,
            },
            {
                "group": "gateway.networking.k8s.io",
                "kind": "HTTPRoute",
                "namespace": route_namespace,
            },
        ],
        "to": [{"group": POOL_GROUP, "kind": "InferencePool"}],
    }


class InferencePoolCrds(pulumi.ComponentResource):
    """The Inference Extension's CRDs (InferencePool v1, InferenceObjective v1alpha2), as
    released at the pinned version. Each is `-<plural>`."""

    def __init__(
        self,
        name: str,
        *,
        kubernetes_provider: k8s.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:workloads:InferencePoolCrds", name, None, opts)
        self.crds = [
            k8s.apiextensions.v1.CustomResourceDefinition(
                f"{name}-{document['spec']['names']['plural']}",
                metadata=document["metadata"],
                spec=document["spec"],
                opts=pulumi.ResourceOptions(parent=self, provider=kubernetes_provider),
            )
            for document in crd_documents()
        ]
        self.register_outputs({})


class EndpointPicker(pulumi.ComponentResource):
    """One model's InferencePool (`-pool`) and its picker: service account, Role and
    binding, plugins ConfigMap, Deployment, Service, with two replicas a PDB, and a
    NetworkPolicy admitting the gateway's proxies on its gRPC port alone."""

    def __init__(
        self,
        name: str,
        *,
        pool: str,
        namespace: str,
        servers: Mapping[str, str],
        port: int,
        gateway_namespace: str,
        replicas: int = 1,
        kubernetes_provider: k8s.Provider,
        placement: Placement,
        after: Sequence[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:workloads:EndpointPicker", name, None, opts)
        picker = picker_name(pool)
        version = contract("epp").tag
        labels = workload_labels(picker, COMPONENT, version)
        metadata = {"name": picker, "namespace": namespace, "labels": labels}
        uses_api = {CALLS_API: f"watches InferencePool {pool}, its pods and objectives"}

        def child(*depends: pulumi.Resource) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(
                parent=self, provider=kubernetes_provider, depends_on=[*after, *depends]
            )

        self.pool = k8s.apiextensions.CustomResource(
            f"{name}-pool",
            api_version=POOL_API,
            kind="InferencePool",
            metadata={"name": pool, "namespace": namespace, "labels": labels},
            spec=wire(inference_pool_spec(servers, port, picker)),
            opts=child(),
        )
        account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account", metadata=wire(metadata), opts=child()
        )
        role = k8s.rbac.v1.Role(
            f"{name}-role", metadata=wire(metadata), rules=wire(role_rules()), opts=child()
        )
        binding = k8s.rbac.v1.RoleBinding(
            f"{name}-role-binding",
            metadata=wire(metadata),
            role_ref=wire(
                {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": picker}
            ),
            subjects=wire([{"kind": "ServiceAccount", "name": picker, "namespace": namespace}]),
            opts=child(role, account),
        )
        plugins = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata=wire(metadata),
            data={CONFIG_FILE: plugins_config()},
            opts=child(),
        )
        selector = selector_labels(picker, COMPONENT)
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=wire({**metadata, "annotations": uses_api}),
            spec=wire(deployment_spec(pool, namespace, placement.pod_fields(), replicas=replicas)),
            opts=child(self.pool, binding, plugins, *placement.ready),
        )
        self.service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=wire(metadata),
            spec=wire(
                {
                    "type": "ClusterIP",
                    "selector": selector,
                    "ports": [
                        {
                            "name": "grpc-ext-proc",
                            "port": GRPC_PORT,
                            "targetPort": "grpc",
                            "protocol": "TCP",
                            "appProtocol": "http2",
                        }
                    ],
                }
            ),
            opts=child(),
        )
        if replicas > 1:
            # a drain or a node upgrade takes one picker at a time
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-pdb",
                metadata=wire(metadata),
                spec=wire({"minAvailable": 1, "selector": {"matchLabels": selector}}),
                opts=child(),
            )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-network-policy",
            metadata=wire(metadata),
            spec=wire(
                ingress_policy_spec(selector, [from_namespaces([gateway_namespace], [GRPC_PORT])])
            ),
            opts=child(),
        )
        self.register_outputs({"pool": pool})
