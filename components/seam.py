"""The cloud-neutral seam between a managed cluster and the workloads that run on it.

Every cloud's cluster component implements `KubernetesCluster`; workloads accept only
this protocol, so they never import a cloud SDK and move between clouds unchanged.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import pulumi
import pulumi_kubernetes as k8s

# The GPU taint every cloud's GPU pools carry; GPU workloads tolerate it.
GPU_TAINT_KEY = "nvidia.com/gpu"
GPU_TAINT_VALUE = "present"
GPU_TAINT_EFFECT = "NoSchedule"
# Labels on every GPU node: which GPU it has and which pool it belongs to.
GPU_LABEL = "llm-infra.io/gpu"
POOL_LABEL = "llm-infra.io/pool"


@dataclass(frozen=True)
class Toleration:
    """A Kubernetes toleration, as plain values (render with `as_dict`)."""

    key: str
    operator: str
    effect: str
    value: str | None = None

    def as_dict(self) -> dict[str, str]:
        rendered = {"key": self.key, "operator": self.operator, "effect": self.effect}
        if self.value is not None:
            rendered["value"] = self.value
        return rendered


GPU_TOLERATION = Toleration(
    key=GPU_TAINT_KEY, operator="Equal", value=GPU_TAINT_VALUE, effect=GPU_TAINT_EFFECT
)


@dataclass(frozen=True)
class ServiceAccountBinding:
    """What a workload puts on its ServiceAccount to act as a cloud identity."""

    annotations: Mapping[str, pulumi.Input[str]]
    labels: Mapping[str, str]


@runtime_checkable
class KubernetesCluster(Protocol):
    """A managed Kubernetes cluster as workloads see it, on any cloud."""

    @property
    def kubernetes_provider(self) -> k8s.Provider:
        """Provider for every Kubernetes resource on this cluster."""
        ...

    @property
    def oidc_issuer_url(self) -> pulumi.Output[str]:
        """The cluster's service-account token issuer (`https://…`)."""
        ...

    @property
    def default_storage_class(self) -> str:
        """Name of the encrypted default StorageClass."""
        ...

    def gpu_node_selector(self, pool: str) -> Mapping[str, str]:
        """Node labels that select the GPU nodes of `pool`."""
        ...

    def gpu_tolerations(self, pool: str) -> list[Toleration]:
        """Tolerations a pod needs to land on the GPU nodes of `pool`."""
        ...

    def bind_workload_identity(
        self, name: str, *, namespace: str, service_account: str
    ) -> ServiceAccountBinding:
        """A cloud identity usable only by `namespace`/`service_account`; returns what to put
        on that ServiceAccount. `name` names the identity's resources."""
        ...
