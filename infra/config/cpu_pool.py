"""`cluster.cpu_pool`: the CPU pool the platform's own workloads run on, where it is not the
system pool (Azure: AKS keeps its System pool for critical add-ons only)."""

from dataclasses import dataclass

from pydantic import Field

from components.enums import Environment
from infra.config.base import Section


@dataclass(frozen=True)
class CpuPoolSize:
    instance_type: str
    min_nodes_per_zone: int
    max_nodes_per_zone: int


# Sized from what the platform itself runs there, by the pods' requests (workloads/*):
# Prometheus 1 CPU / 4 GiB, Grafana 0.25 / 0.5 GiB, the Prometheus operator and
# kube-state-metrics 0.3 / 0.5 GiB, KEDA's three pods 0.3 / 0.4 GiB, Qdrant 1 CPU / 4 GiB per
# replica (dev 1, staging 1, prod 3), the CPU embeddings server 2 CPU / 4 GiB per replica.
# prod: about 9 CPU and 26 GiB at 3 Qdrant and 2 embeddings replicas. A Standard_D4s_v5
# (4 vCPU, 16 GiB) keeps about 3.8 CPU and 12 GiB allocatable after AKS's reservations (AKS
# docs, "node resource reservations"), less about 0.4 CPU of DaemonSets; two per zone in prod
# give 6 nodes (about 20 CPU), one per zone elsewhere gives room for one replica of each.
CPU_POOL_DEFAULTS: dict[Environment, CpuPoolSize] = {
    Environment.DEV: CpuPoolSize("Standard_D4s_v5", 1, 2),
    Environment.STAGING: CpuPoolSize("Standard_D4s_v5", 1, 3),
    Environment.PROD: CpuPoolSize("Standard_D4s_v5", 2, 4),
}


class CpuPoolConfig(Section):
    instance_type: str | None = Field(
        None,
        description="VM size of the CPU pool (Azure). Default: Standard_D4s_v5 in every "
        "environment. AWS and GCP run these workloads on `cluster.system_pool`.",
    )
    min_nodes_per_zone: int | None = Field(
        None,
        ge=0,
        le=100,
        description="Lower autoscaling bound of each zone's CPU pool (one AKS node pool per "
        "network zone, so that a Qdrant or Prometheus volume always has a node in its zone). "
        "Default by environment: dev 1, staging 1, prod 2.",
    )
    max_nodes_per_zone: int | None = Field(
        None,
        ge=1,
        le=100,
        description="Upper autoscaling bound of each zone's CPU pool. Default by "
        "environment: dev 2, staging 3, prod 4.",
    )
    disk_size_gib: int = Field(100, ge=30, le=2048, description="OS disk per node, GiB.")

    def size(self, environment: Environment) -> CpuPoolSize:
        """The pool's VM size and per-zone bounds: what is set, else the environment's."""
        default = CPU_POOL_DEFAULTS[environment]
        return CpuPoolSize(
            instance_type=self.instance_type or default.instance_type,
            min_nodes_per_zone=(
                default.min_nodes_per_zone
                if self.min_nodes_per_zone is None
                else self.min_nodes_per_zone
            ),
            max_nodes_per_zone=self.max_nodes_per_zone or default.max_nodes_per_zone,
        )
