"""Text Embeddings Inference (TEI): an embeddings server for RAG, on CPU or on a GPU pool."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.seam import KubernetesCluster
from workloads.exposure import expose
from workloads.images import ImageContract, contract
from workloads.labels import selector_labels, workload_labels
from workloads.monitors import service_monitor_spec
from workloads.network import from_namespaces
from workloads.placement import cpu_placement, gpu_placement
from workloads.security import (
    PULL_POLICY,
    container_security_context,
    pod_security_context,
    resources,
)
from workloads.wire import wire

CPU_CONTRACT, GPU_CONTRACT = "tei-cpu", "tei-gpu"
IMAGE = contract(GPU_CONTRACT).repository
VERSION = contract(GPU_CONTRACT).tag
# TEI builds one image per GPU generation (its build matrix: "" for compute 8.0, "86-",
# "89-", "hopper-" for 9.0); CPU has its own.
GPU_TAG_PREFIX = {"a10g": "86-", "l4": "89-", "a100-40gb": "", "a100-80gb": "", "h100": "hopper-"}
HTTP_PORT, METRICS_PORT = 8000, 9000
CACHE = "/models"


@dataclass(frozen=True)
class EmbeddingsArgs:
    namespace: str
    model_id: str
    """Hugging Face id of the embedding model, e.g. `BAAI/bge-base-en-v1.5`."""
    replicas: int = 1
    pool: str | None = None
    """GPU pool to run on; None runs on CPU (the system nodes)."""
    gpu: str | None = None
    """The pool's GPU, which picks the image build."""
    cpu: str = "2"
    memory: str = "4Gi"
    max_batch_tokens: int = 16384
    allowed_namespaces: tuple[str, ...] = ()
    monitoring_namespace: str | None = None
    name: str = "embeddings"


def image_contract(args: EmbeddingsArgs) -> ImageContract:
    return contract(CPU_CONTRACT if args.pool is None else GPU_CONTRACT)


def image(args: EmbeddingsArgs) -> str:
    if args.pool is None:
        return image_contract(args).image()
    return image_contract(args).image(GPU_TAG_PREFIX.get(args.gpu or "", ""))


def tei_args(args: EmbeddingsArgs) -> list[str]:
    return [
        f"--model-id={args.model_id}",
        f"--port={HTTP_PORT}",
        f"--prometheus-port={METRICS_PORT}",
        f"--huggingface-hub-cache={CACHE}",
        f"--max-batch-tokens={args.max_batch_tokens}",
    ]


def container(args: EmbeddingsArgs, hf_token_secret: str | None) -> dict[str, Any]:
    health = {"httpGet": {"path": "/health", "port": "http"}}
    extended = {"nvidia.com/gpu": "1"} if args.pool else None
    plain = {
        **image_contract(args).required_env(),
        "HOME": "/tmp",
        "HF_HOME": CACHE,
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
    env: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in sorted(plain.items())]
    if hf_token_secret:
        env.append(
            {
                "name": "HF_TOKEN",
                "valueFrom": {"secretKeyRef": {"name": hf_token_secret, "key": "token"}},
            }
        )
    return {
        "name": "tei",
        "image": image(args),
        "imagePullPolicy": PULL_POLICY,
        # The image's entrypoint, set explicitly for the arguments below.
        "command": list(image_contract(args).entrypoint.argv),
        "args": tei_args(args),
        "env": env,
        "ports": [
            {"name": "http", "containerPort": HTTP_PORT, "protocol": "TCP"},
            {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"},
        ],
        "resources": resources(args.cpu, args.memory, extended=extended),
        "startupProbe": {**health, "periodSeconds": 10, "failureThreshold": 60},
        "readinessProbe": {**health, "periodSeconds": 5, "failureThreshold": 3},
        "livenessProbe": {**health, "periodSeconds": 15, "failureThreshold": 4},
        "securityContext": container_security_context(),
        "volumeMounts": [
            {"name": "model-cache", "mountPath": CACHE},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }


class Embeddings(pulumi.ComponentResource):
    """A TEI server. Creates: the Deployment (`-deployment`; on a GPU pool one GPU per
    replica with the pool's selector and tolerations), a ClusterIP Service (`-service`), a
    PodDisruptionBudget (`-pdb`), a NetworkPolicy (`-network-policy`) and, with monitoring,
    a ServiceMonitor (`-service-monitor`)."""

    def __init__(
        self,
        name: str,
        args: EmbeddingsArgs,
        *,
        cluster: KubernetesCluster,
        namespace: k8s.core.v1.Namespace,
        hf_token_secret: str | None = None,
        monitoring: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:workloads:Embeddings", name, None, opts)
        provider = cluster.kubernetes_provider
        child = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[namespace])
        ns = args.namespace
        selector = selector_labels(args.name, "text-embeddings-inference")
        labels = workload_labels(
            args.name,
            "text-embeddings-inference",
            VERSION,
            {"app.kubernetes.io/component": "embeddings"},
        )
        placement = gpu_placement(cluster, args.pool) if args.pool else cpu_placement(cluster)
        k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=wire({"name": args.name, "namespace": ns, "labels": labels}),
            spec=wire(
                {
                    "replicas": args.replicas,
                    "selector": {"matchLabels": selector},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {
                            "automountServiceAccountToken": False,
                            "enableServiceLinks": False,
                            "securityContext": pod_security_context(),
                            **placement.pod_fields(),
                            "containers": [container(args, hf_token_secret)],
                            "volumes": [
                                {"name": "model-cache", "emptyDir": {"sizeLimit": "20Gi"}},
                                {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}},
                            ],
                        },
                    },
                }
            ),
            opts=pulumi.ResourceOptions(
                parent=self, provider=provider, depends_on=[namespace, *placement.ready]
            ),
        )
        rules = [from_namespaces([ns, *args.allowed_namespaces], [HTTP_PORT])]
        if args.monitoring_namespace:
            rules.append(from_namespaces([args.monitoring_namespace], [METRICS_PORT]))
        expose(
            name,
            metadata={"name": args.name, "namespace": ns, "labels": labels},
            selector=selector,
            ports=[
                {"name": "http", "port": HTTP_PORT, "targetPort": "http"},
                {"name": "metrics", "port": METRICS_PORT, "targetPort": "metrics"},
            ],
            ingress=rules,
            monitor=service_monitor_spec(ns, selector, "metrics")
            if args.monitoring_namespace
            else None,
            monitoring=monitoring,
            provider=provider,
            parent=self,
            opts=child,
        )
        self.register_outputs({})
