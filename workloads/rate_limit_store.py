"""The counters behind the gateway's token budgets: one Valkey server (a Redis-protocol
store, BSD-3-Clause), which Envoy Gateway's global rate limit service keeps its windows in.

Why one replica and no persistence: the counters are minute windows that expire on their
own; losing them resets budgets early, never blocks traffic (Envoy Gateway's rate limit
fails open: envoyproxy/gateway@v1.8.3 api/v1alpha1/envoygateway_types.go:575-580). The
image contract (any uid, /data the only written path) is in workloads/images.yaml.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from workloads.images import contract
from workloads.labels import selector_labels, workload_labels
from workloads.network import ingress_policy_spec
from workloads.placement import Placement
from workloads.security import (
    PULL_POLICY,
    container_security_context,
    pod_security_context,
    resources,
)
from workloads.wire import wire

NAME = "llm-gateway-counters"
PORT = 6379
DATA = "/data"
# Envoy Gateway's rate limit pods (their labels: internal/infrastructure/kubernetes/
# ratelimit/resource.go:96-97,131-137 at v1.8.3), the only clients.
RATE_LIMIT_PODS = {"app.kubernetes.io/name": "envoy-ratelimit"}
MAX_MEMORY_MB = 192
MEMORY = "256Mi"  # above --maxmemory, for the server's own buffers
CPU = "250m"


def store_args() -> list[str]:
    """No snapshots, no append-only file (valkey-container's read-only-data test runs it so);
    at the memory cap the least recently used counters go first."""
    return [
        "valkey-server",
        "--save",
        "",
        "--appendonly",
        "no",
        "--maxmemory",
        f"{MAX_MEMORY_MB}mb",
        "--maxmemory-policy",
        "allkeys-lru",
    ]


def deployment_spec(placement: Mapping[str, Any], version: str) -> dict[str, Any]:
    image = contract("valkey")
    probe = {"exec": {"command": ["valkey-cli", "ping"]}, "periodSeconds": 10}
    labels = workload_labels(NAME, "valkey", version)
    return {
        "replicas": 1,
        "selector": {"matchLabels": selector_labels(NAME, "valkey")},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                **placement,
                # a high uid of our own: the image runs under any uid (its contract)
                "securityContext": pod_security_context(),
                "automountServiceAccountToken": False,
                "containers": [
                    {
                        "name": "valkey",
                        "image": image.image(),
                        "imagePullPolicy": PULL_POLICY,
                        "args": store_args(),
                        "ports": [{"name": "valkey", "containerPort": PORT}],
                        "securityContext": container_security_context(),
                        "resources": resources(CPU, MEMORY),
                        "readinessProbe": probe,
                        "livenessProbe": {**probe, "failureThreshold": 3},
                        "volumeMounts": [{"name": "data", "mountPath": DATA}],
                    }
                ],
                "volumes": [{"name": "data", "emptyDir": {"sizeLimit": "64Mi"}}],
            },
        },
    }


def store_url(namespace: str) -> str:
    """Envoy Gateway's `rateLimit.backend.redis.url`: host:port, no scheme."""
    return f"{NAME}.{namespace}.svc.cluster.local:{PORT}"


class RateLimitStore(pulumi.ComponentResource):
    """Creates: the Deployment (`-deployment`), its Service (`-service`) and a NetworkPolicy
    (`-network-policy`) admitting only Envoy Gateway's rate limit pods on 6379."""

    def __init__(
        self,
        name: str,
        *,
        namespace: str,
        kubernetes_provider: k8s.Provider,
        placement: Placement,
        after: Sequence[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:workloads:RateLimitStore", name, None, opts)
        version = contract("valkey").tag
        metadata = {
            "name": NAME,
            "namespace": namespace,
            "labels": workload_labels(NAME, "valkey", version),
        }
        child = pulumi.ResourceOptions(
            parent=self,
            provider=kubernetes_provider,
            depends_on=[*after, *placement.ready],
        )
        selector = selector_labels(NAME, "valkey")
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=wire(metadata),
            spec=wire(deployment_spec(placement.pod_fields(), version)),
            opts=child,
        )
        self.service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=wire(metadata),
            spec=wire(
                {
                    "type": "ClusterIP",
                    "selector": selector,
                    "ports": [{"name": "valkey", "port": PORT, "targetPort": "valkey"}],
                }
            ),
            opts=child,
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-network-policy",
            metadata=wire(metadata),
            spec=wire(
                ingress_policy_spec(
                    selector,
                    [
                        {
                            "from": [{"podSelector": {"matchLabels": RATE_LIMIT_PODS}}],
                            "ports": [{"protocol": "TCP", "port": PORT}],
                        }
                    ],
                )
            ),
            opts=child,
        )
        self.url = store_url(namespace)
        self.register_outputs({"url": self.url})
