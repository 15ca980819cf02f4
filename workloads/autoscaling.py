"""Queue-depth autoscaling with KEDA: the operator release and ScaledObject specs.

GPU or CPU utilisation says little about a model server's load (a server at 100% GPU can
still keep up); the number of requests waiting for a slot does, so that is the signal.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from workloads.placement import CPU_POOL_RELEASE_TIMEOUT, Placement
from workloads.wire import wire

CHART = "keda"
CHART_REPOSITORY = "https://kedacore.github.io/charts"
CHART_VERSION = "2.18.1"
KEDA_API = "keda.sh/v1alpha1"
POLLING_SECONDS = 15
# A new replica takes minutes to load its model, during which the queue does not shrink:
# scale up by one replica per window, so one backlog does not buy a pool's worth of GPUs.
SCALE_UP_WINDOW_SECONDS = 300
# Scale down only after the queue has been short for this long; a replica dropped too
# soon costs a full model load when the traffic returns.
SCALE_DOWN_WINDOW_SECONDS = 900
# From the last replica to zero (min replicas 0): after half an hour without a queue.
COOLDOWN_SECONDS = 1800


@dataclass(frozen=True)
class QueueScaling:
    target: str
    """Name of the Deployment to scale."""
    namespace: str
    service: str
    """The Service Prometheus scrapes the server through (its `service` label)."""
    metric: str
    """The engine's queue gauge (`vllm:num_requests_waiting`, `tgi_queue_size`)."""
    min_replicas: int
    max_replicas: int
    waiting_per_replica: int = 4
    """Queue length per replica the autoscaler aims at."""
    wake_query: str | None = None
    """With min_replicas 0 behind the gateway: requests reaching the server's routes, which
    wake it (the queue gauge does not exist while no pod does)."""
    target_api: str = "apps/v1"
    target_kind: str = "Deployment"
    """What KEDA scales: a Deployment, or a LeaderWorkerSet (whose scale subresource counts
    groups: kubernetes-sigs/lws@v0.10.0 api/leaderworkerset/v1/leaderworkerset_types.go:418)."""


# The wake trigger only activates (0 → 1) and keeps a server in use from going to zero;
# this target is so high that it never asks for more than one replica: the queue decides.
WAKE_TARGET = "1000000"


def queue_query(scaling: QueueScaling) -> str:
    return f'sum({scaling.metric}{{namespace="{scaling.namespace}",service="{scaling.service}"}})'


def scaled_object_spec(scaling: QueueScaling, prometheus_url: str) -> dict[str, Any]:
    return {
        "scaleTargetRef": {
            "apiVersion": scaling.target_api,
            "kind": scaling.target_kind,
            "name": scaling.target,
        },
        "minReplicaCount": scaling.min_replicas,
        "maxReplicaCount": scaling.max_replicas,
        "pollingInterval": POLLING_SECONDS,
        "cooldownPeriod": COOLDOWN_SECONDS,
        # No scale to zero while the first replica is still loading.
        "initialCooldownPeriod": COOLDOWN_SECONDS,
        "advanced": {
            "horizontalPodAutoscalerConfig": {
                "behavior": {
                    "scaleUp": {
                        "stabilizationWindowSeconds": 0,
                        "policies": [
                            {"type": "Pods", "value": 1, "periodSeconds": SCALE_UP_WINDOW_SECONDS}
                        ],
                    },
                    "scaleDown": {
                        "stabilizationWindowSeconds": SCALE_DOWN_WINDOW_SECONDS,
                        "policies": [
                            {
                                "type": "Pods",
                                "value": 1,
                                "periodSeconds": SCALE_DOWN_WINDOW_SECONDS,
                            }
                        ],
                    },
                }
            }
        },
        "triggers": [
            {
                "type": "prometheus",
                "metadata": {
                    "serverAddress": prometheus_url,
                    "query": queue_query(scaling),
                    "threshold": str(scaling.waiting_per_replica),
                    # Any waiting request wakes a server scaled to zero.
                    "activationThreshold": "0",
                    "ignoreNullValues": "true",
                },
            },
            *(
                [
                    {
                        "type": "prometheus",
                        "metadata": {
                            "serverAddress": prometheus_url,
                            "query": scaling.wake_query,
                            "threshold": WAKE_TARGET,
                            "activationThreshold": "0",
                            # the series appear with the route's first use
                            "ignoreNullValues": "true",
                        },
                    }
                ]
                if scaling.wake_query is not None
                else []
            ),
        ],
    }


def keda_values(placement: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`placement`: the CPU pool's `nodeSelector` / `tolerations`, which the chart applies
    to the operator, the metrics server and the webhooks alike."""
    small = {"cpu": "100m", "memory": "128Mi"}
    return {
        **(placement or {}),
        "resources": {
            "operator": {"requests": small, "limits": {"cpu": "1", "memory": "1000Mi"}},
            "metricServer": {"requests": small, "limits": {"cpu": "1", "memory": "1000Mi"}},
            "webhooks": {"requests": small, "limits": {"cpu": "1", "memory": "512Mi"}},
        },
    }


@dataclass(frozen=True)
class KedaArgs:
    namespace: str
    chart_version: str = CHART_VERSION


class Keda(pulumi.ComponentResource):
    """The KEDA operator (Helm chart pinned). Creates: the Helm release (`-release`) in the
    autoscaling namespace. ScaledObjects depend on `release`."""

    release: k8s.helm.v3.Release

    def __init__(
        self,
        name: str,
        args: KedaArgs,
        *,
        kubernetes_provider: k8s.Provider,
        namespace: k8s.core.v1.Namespace,
        placement: Placement | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:workloads:Keda", name, None, opts)
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=CHART,
            chart=CHART,
            version=args.chart_version,
            repository_opts={"repo": CHART_REPOSITORY},
            namespace=args.namespace,
            values=wire(keda_values(placement.pod_fields() if placement else None)),
            atomic=True,
            timeout=CPU_POOL_RELEASE_TIMEOUT,
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=kubernetes_provider,
                depends_on=[namespace, *(placement.ready if placement else ())],
            ),
        )
        self.register_outputs({"status": self.release.status})
