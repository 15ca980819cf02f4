"""`cluster`: the managed Kubernetes control plane and its system node pool."""

from pydantic import Field

from components.enums import ControlPlaneLog, EndpointAccess
from infra.config.base import Cidr, KubernetesVersion, Section
from infra.config.cpu_pool import CpuPoolConfig
from infra.config.maintenance import MaintenanceWindowConfig


class SystemPoolConfig(Section):
    instance_type: str | None = Field(
        None,
        description="CPU instance type / machine type / VM size for cluster add-ons. "
        "Default: the cloud's small general-purpose type (e2-standard-4, Standard_D4s_v5); on "
        "AWS the m6i type sized from what the platform runs on CPU (docs/RUNBOOK.md).",
    )
    min_nodes: int = Field(
        2,
        ge=1,
        le=100,
        description="Lower autoscaling bound. On AWS: all zones' node groups together, "
        "sized from what the platform runs on CPU when unset.",
    )
    max_nodes: int = Field(
        4,
        ge=1,
        le=100,
        description="Upper autoscaling bound. On AWS: all zones' node groups together, at "
        "least one per zone, twice the sized minimum when unset.",
    )
    disk_size_gib: int = Field(50, ge=20, le=2048, description="Root disk per node, GiB.")


class ClusterConfig(Section):
    kubernetes_version: KubernetesVersion = Field(
        "1.34", description="Kubernetes minor version, e.g. `1.34`."
    )
    endpoint_access: EndpointAccess = Field(description="Reachability of the API server.")
    public_access_cidrs: tuple[Cidr, ...] = Field(
        (),
        description="Source ranges allowed to reach a public API endpoint. Required when "
        "`endpoint_access` is public; not allowed when it is private.",
    )
    private_access_cidrs: tuple[Cidr, ...] = Field(
        (),
        description="Networks beside the stack's own that reach the private API endpoint: "
        "where `pulumi up` runs for a private cluster (a VPN range, a peered CI runner "
        "network). AWS: HTTPS to the cluster security group, which otherwise admits only the "
        "VPC; GCP: master authorized networks (with global access), which otherwise admit "
        "only the VPC.",
    )
    dns_endpoint: bool = Field(
        False,
        description="GCP: turn on GKE's DNS-based control-plane endpoint and let traffic "
        "from outside the VPC use it. Every request is authorized by Google Cloud IAM "
        "(`container.clusters.connect`), not by source range, so a GitHub-hosted runner "
        "deploys a private cluster without a runner in the VPC; the Kubernetes provider "
        "then connects through it. The IP endpoints keep their private access.",
    )
    control_plane_logs: tuple[ControlPlaneLog, ...] = Field(
        tuple(ControlPlaneLog),
        description="Control-plane log streams to ship to the cloud's log service.",
    )
    log_retention_days: int = Field(
        ge=1,
        le=3653,
        description="Retention of control-plane (and flow) logs, days. On AWS one of the "
        "retentions CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, "
        "400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653.",
    )
    admin_principals: tuple[str, ...] = Field(
        (),
        description="Cluster administrators: IAM role ARNs (AWS), `group:`/`user:` members "
        "(GCP), Entra ID group object ids (Azure).",
    )
    system_pool: SystemPoolConfig = Field(
        default_factory=SystemPoolConfig, description="CPU pool for cluster add-ons."
    )
    cpu_pool: CpuPoolConfig = Field(
        default_factory=CpuPoolConfig,
        description="CPU pool for the platform's own workloads where it is not the system "
        "pool (Azure).",
    )
    maintenance_window: MaintenanceWindowConfig = Field(
        default_factory=MaintenanceWindowConfig,
        description="Weekly window (UTC) in which the cloud may upgrade the control plane "
        "and nodes and reimage nodes (GKE's maintenance policy; AKS's auto-upgrade and "
        "node-OS schedules; EKS has none). Default: Sunday, 01:00 for 12 hours.",
    )
