"""A GKE cluster: private nodes, Workload Identity, Dataplane V2, KMS-encrypted secrets."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.enums import ControlPlaneLog, EndpointAccess
from components.gcp.bucket import Bucket
from components.gcp.identity import WorkloadIdentity, WorkloadIdentityArgs, account_id
from components.gcp.kms import allow_key_use, key_ring, rotated_key, stateful
from components.gcp.kubeconfig import render_kubeconfig
from components.gcp.labels import gcp_labels
from components.gcp.maintenance import MaintenanceWindow, recurring_window
from components.gcp.network import PODS_RANGE, SERVICES_RANGE
from components.gcp.node_pool import DISK_TYPE, OAUTH_SCOPES
from components.seam import (
    SeamCluster,
)

RELEASE_CHANNEL = "REGULAR"
# Control-plane log streams by config name. Audit logs always go to Cloud Audit Logs and
# GKE has no separate authenticator stream, so those two map to nothing here.
GKE_LOG_COMPONENTS = {
    ControlPlaneLog.API: "APISERVER",
    ControlPlaneLog.CONTROLLER_MANAGER: "CONTROLLER_MANAGER",
    ControlPlaneLog.SCHEDULER: "SCHEDULER",
}
ALWAYS_LOGGED = ("SYSTEM_COMPONENTS", "WORKLOADS")
MONITORED = (
    "SYSTEM_COMPONENTS",
    "APISERVER",
    "SCHEDULER",
    "CONTROLLER_MANAGER",
    "STORAGE",
    "POD",
    "DEPLOYMENT",
    "STATEFULSET",
    "DAEMONSET",
    "HPA",
)
# What nodes need and nothing more: write logs and metrics, read monitoring config, write
# resource metadata, pull images from Artifact Registry. Never the Compute Engine default
# service account, which has Editor on the project.
NODE_ROLES = {
    "log-writer": "roles/logging.logWriter",
    "metric-writer": "roles/monitoring.metricWriter",
    "monitoring-viewer": "roles/monitoring.viewer",
    "metadata-writer": "roles/stackdriver.resourceMetadata.writer",
    "artifact-reader": "roles/artifactregistry.reader",
}
# GKE's IAM is project-wide; this is the role that reaches the Kubernetes API as an admin.
ADMIN_ROLE = "roles/container.admin"
STORAGE_CLASS = "pd-balanced-encrypted"
CSI_DRIVER = "pd.csi.storage.gke.io"
# GKE installs and manages its own default StorageClass (`standard-rwo`); marking ours
# default too leaves two, and a claim without a class then gets whichever is newest
# (kubernetes pkg/volume/util/storageclass.go, GetDefaultClass). Ours is not the default:
# every claim the platform makes names it (the seam's `default_storage_class`), so its
# volumes are encrypted with the disks key, and GKE's own class is left as GKE keeps it.
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
ISSUER_BASE = "https://container.googleapis.com/v1"
# A private cluster's control plane may open connections to nodes only on 443 and 10250
# (GKE's own firewall rule, which terraform-google-kubernetes-engine firewall.tf mirrors
# as `shadow_allow_master`, tcp 10250 and 443; its `master_webhooks` rule opens webhook
# ports beside it), and GKE's API server calls webhooks and aggregated APIs on the pod's
# own port, not the Service's (kubernetes/kubernetes#79739). The platform serves these on
# other ports:
CONTROL_PLANE_PORTS = {
    # KEDA chart 2.18.1, values.yaml service.portHttpsTarget: the metrics server's
    # --secure-port behind the external.metrics.k8s.io APIService.
    "keda-metrics-api": 6443,
    # KEDA chart 2.18.1, templates/webhooks/deployment.yaml: containerPort
    # `webhooks.port | default 9443` (the admission webhooks).
    "keda-webhooks": 9443,
    # kube-prometheus-stack 78.3.2 needs none: prometheusOperator.tls.internalPort and
    # admissionWebhooks.deployment.tls.internalPort are 10250, "to work out-of-the-box in
    # GKE private clusters" (values.yaml), so 8443 stays closed.
    # Envoy AI Gateway v1.1.0: the controller's mutating webhook, which injects the
    # external processor into every new proxy and fails closed, listens on
    # controller.mutatingWebhook.port 9443 (manifests/charts/ai-gateway-helm/values.yaml:235,
    # templates/deployment.yaml: --webhookPort).
    "ai-gateway-webhook": 9443,
    # Envoy Gateway v1.8.3: its topology injector webhook (failurePolicy Ignore) on the
    # controller's containerPort 9443 (templates/envoy-gateway-deployment.yaml,
    # envoy-proxy-topology-injector-webhook.yaml).
    "envoy-gateway-topology-injector": 9443,
    # cert-manager v1.21.1 needs none: webhook.securePort is 10250 for GKE private
    # clusters (deploy/charts/cert-manager/values.yaml:1088-1092).
}


def service_agent(project_number: str, service: str) -> str:
    """The member of a Google-managed service agent of the project: `container-engine-robot`
    (GKE), `compute-system` (Compute Engine), …"""
    return f"serviceAccount:service-{project_number}@{service}.iam.gserviceaccount.com"


def control_plane_source_ranges(
    master_ipv4_cidr_block: str | None, endpoint_subnet_cidr: str
) -> list[str]:
    """Where the control plane's connections to nodes come from: the /28 a VPC-peered
    control plane sits in, or else (Private Service Connect, GKE's model when no
    `master_ipv4_cidr_block` is set) the subnet holding its private endpoint, here the node
    subnet (terraform-google-kubernetes-engine modules/private-cluster: main.tf
    `cluster_endpoint_for_nodes`, firewall.tf `master_webhooks`)."""
    return [master_ipv4_cidr_block or endpoint_subnet_cidr]


def issuer_url(project: str, location: str, cluster_name: str) -> str:
    """The cluster's service-account token issuer (also its OIDC discovery base)."""
    return f"{ISSUER_BASE}/projects/{project}/locations/{location}/clusters/{cluster_name}"


def authorized_networks(
    access: EndpointAccess,
    nodes_cidr: str,
    public_access_cidrs: Sequence[str],
    private_access_cidrs: Sequence[str] = (),
) -> gcp.container.ClusterMasterAuthorizedNetworksConfigArgs:
    """Who reaches the API server: the node subnet always; the networks where `pulumi up`
    runs (`private_access_cidrs`: the VPC's range, a VPN, a peered runner network);
    `public_access_cidrs` only when the endpoint is public. Google's own public ranges
    never. With authorized networks on, a private endpoint admits only these ranges (GKE
    docs, "Access to cluster endpoints": authorized networks apply to the private endpoint)."""
    blocks = [
        gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
            cidr_block=nodes_cidr, display_name="nodes"
        )
    ]
    blocks += [
        gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
            cidr_block=cidr, display_name=f"deploy-{index}"
        )
        for index, cidr in enumerate(c for c in private_access_cidrs if c != nodes_cidr)
    ]
    if access.is_public:
        blocks += [
            gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
                cidr_block=cidr, display_name=f"public-{index}"
            )
            for index, cidr in enumerate(public_access_cidrs)
        ]
    return gcp.container.ClusterMasterAuthorizedNetworksConfigArgs(
        cidr_blocks=blocks, gcp_public_cidrs_access_enabled=False
    )


def dns_endpoint_config(
    enabled: bool,
) -> gcp.container.ClusterControlPlaneEndpointsConfigArgs | None:
    """GKE's DNS-based control-plane endpoint, reachable from outside the VPC: every call is
    authorized by IAM (`container.clusters.connect`), and master authorized networks keep
    applying to the IP endpoints only (GKE docs, "About network isolation": DNS-based
    endpoint). None leaves the cluster as GKE made it."""
    if not enabled:
        return None
    return gcp.container.ClusterControlPlaneEndpointsConfigArgs(
        dns_endpoint_config=gcp.container.ClusterControlPlaneEndpointsConfigDnsEndpointConfigArgs(
            allow_external_traffic=True
        )
    )


def dns_name(config: Any) -> str:
    """The DNS endpoint's name GKE reports, or '' while it has not."""
    dns = config.dns_endpoint_config if config is not None else None
    return str(dns.endpoint or "") if dns is not None else ""


def api_server(dns: str, ip_endpoint: str, ca: str) -> tuple[str, str]:
    """Where the Kubernetes provider connects, and the CA it trusts there: the DNS endpoint
    (whose certificate is publicly trusted: google-github-actions/get-gke-credentials
    drops the CA for `*.gke.goog`), or the IP endpoint with the cluster's CA while GKE has
    not reported a DNS name yet (a preview of the update that turns it on)."""
    return (dns, "") if dns else (ip_endpoint, ca)


@dataclass(frozen=True)
class ClusterArgs:
    cluster_name: str
    """The GKE cluster's name: lower-case letters, digits and hyphens, at most 40."""
    kubernetes_version: str
    """Minimum control-plane minor (`1.34`); the release channel upgrades from there."""
    region: str
    zones: Sequence[pulumi.Input[str]]
    """The network's zones. A regional cluster runs nodes in all of them; a zonal one sits in
    the first."""
    regional: bool
    """Regional control plane (replicated over the region's zones) or zonal (dev)."""
    endpoint_access: EndpointAccess
    nodes_cidr: str
    """The node subnet's primary range, always an authorized network."""
    public_access_cidrs: tuple[str, ...] = ()
    private_access_cidrs: tuple[str, ...] = ()
    """Networks where `pulumi up` runs that reach the private endpoint (the VPC's range, a
    VPN, a peered runner network)."""
    dns_endpoint: bool = False
    """GKE's DNS-based endpoint, open to traffic from outside the VPC and authorized by IAM;
    the Kubernetes provider then connects through it."""
    control_plane_logs: tuple[ControlPlaneLog, ...] = tuple(ControlPlaneLog)
    admin_principals: tuple[str, ...] = ()
    """IAM members (`user:…`, `group:…`, `serviceAccount:…`) given Kubernetes Engine Admin."""
    keep: bool = False
    """Protect and retain the key ring and keys; turn on deletion protection."""
    maintenance_window: MaintenanceWindow = field(default_factory=MaintenanceWindow)
    """When GKE may upgrade the control plane and nodes (auto-upgrades, node reimages)."""
    labels: Mapping[str, str] = field(default_factory=dict)


class Cluster(pulumi.ComponentResource, SeamCluster[Bucket]):
    """A VPC-native GKE cluster in the network's node subnet; implements the KubernetesCluster
    seam.

    Creates: a key ring (`-key-ring`) with two keys rotated every 90 days, one for
    application-layer encryption of Kubernetes secrets (`-secrets-key`, usable by the GKE
    service agent: `-secrets-key-gke`) and one for node boot disks and persistent volumes
    (`-disks-key`, usable by the Compute Engine service agent: `-disks-key-compute`); the
    nodes' least-privilege service account (`-nodes`) with log, metric, monitoring-read,
    metadata and Artifact Registry read roles (`-nodes-<role>`); the cluster (`-gke`):
    regional (or zonal), release channel REGULAR, pods and services on the subnet's
    secondary ranges, Dataplane V2 (which enforces network policy), private nodes, a
    private endpoint unless config makes it public, master authorized networks (the node
    subnet, plus `public_access_cidrs` when public), Workload Identity, shielded nodes,
    secrets encrypted with the secrets key, system/workload and control-plane logging and
    monitoring, the Persistent Disk and Cloud Storage FUSE CSI drivers, cost allocation,
    the maintenance policy (a weekly recurring window), the default node pool removed,
    deletion protection with `keep`; a firewall rule (`-control-plane-ingress`) letting the
    control plane reach the nodes on the platform's webhook and aggregated-API ports
    (`CONTROL_PLANE_PORTS`); for each admin
    principal Kubernetes Engine Admin on the project (`-admin-<i>`); a Kubernetes provider
    (`-k8s`) from a kubeconfig that uses `gke-gcloud-auth-plugin`; the StorageClass
    `pd-balanced-encrypted`, `pd-balanced` encrypted with the disks key (`-pd-balanced`),
    not marked default (GKE's own class is), which every claim of the platform names.
    Every GCP resource is created in `project_id`, so given the project of `ProjectApis`
    they wait for the APIs they call.
    `bind_workload_identity` / `workload_identity` add Google service accounts (`-<name>`);
    with `read_buckets` / `write_buckets`, `bind_workload_identity` adds bucket-level IAM
    members on the buckets given to `attach_buckets` (`-<name>-<bucket>-read`,
    `-<name>-<bucket>-read-write`).
    """

    cluster_name: pulumi.Output[str]
    project_id: pulumi.Output[str]
    """The project the cluster's resources (and its node pools') are created in."""
    location: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    workload_pool: pulumi.Output[str]
    node_service_account: pulumi.Output[str]
    """The nodes' service account email, resolved once its roles are granted."""
    disks_key_id: pulumi.Output[str]
    """The boot-disk and volume key, resolved once Compute Engine may use it."""
    secrets_key_id: pulumi.Output[str]
    control_plane_firewall: gcp.compute.Firewall
    """The rule that opens the nodes to the control plane on `CONTROL_PLANE_PORTS`: Kubernetes
    resources that call a webhook or the metrics API wait for it (with the CPU nodes)."""
    node_zones: list[pulumi.Input[str]]
    """Where node pools go unless they name zones: every network zone of a regional
    cluster, the one zone of a zonal cluster."""

    STORAGE_CLASS = STORAGE_CLASS
    # an internal passthrough Network Load Balancer, reachable from other regions of the
    # VPC too (GKE docs, "LoadBalancer Service parameters")
    INTERNAL_LB_ANNOTATIONS = {
        "networking.gke.io/load-balancer-type": "Internal",
        "networking.gke.io/internal-load-balancer-allow-global-access": "true",
    }

    def __init__(
        self,
        name: str,
        args: ClusterArgs,
        *,
        network_id: pulumi.Input[str],
        subnet_id: pulumi.Input[str],
        project_id: pulumi.Input[str],
        project_number: pulumi.Input[str],
        gke_service_agent: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`gke_service_agent` is the IAM member of the GKE service agent, resolved once it
        exists (`ProjectApis.gke_service_agent`); `project_number` names the Compute Engine
        service agent, which exists once the Compute Engine API is on."""
        super().__init__("llm-infra:gcp:Cluster", name, None, opts)
        if not args.zones:
            raise ValueError(f"Cluster '{name}': zones is empty")
        child = pulumi.ResourceOptions(parent=self)
        self._component_name = name
        self._buckets: dict[str, Bucket] = {}
        self._cluster_name = args.cluster_name
        labels = gcp_labels(args.labels)
        number = pulumi.Output.from_input(project_number)
        project = pulumi.Output.from_input(project_id)
        self.project_id = project

        ring = key_ring(
            f"{name}-key-ring",
            location=args.region,
            project=project,
            opts=stateful(self, args.keep),
        )
        secrets_key = rotated_key(
            f"{name}-secrets-key", key_ring=ring, labels=labels, opts=stateful(self, args.keep)
        )
        secrets_key_use = allow_key_use(
            f"{name}-secrets-key-gke",
            key=secrets_key,
            # GKE checks at cluster creation that its agent may use this key; the agent is
            # made on the container API's enablement (ProjectApis) before the grant.
            member=gke_service_agent,
            opts=child,
        )
        disks_key = rotated_key(
            f"{name}-disks-key", key_ring=ring, labels=labels, opts=stateful(self, args.keep)
        )
        disks_key_use = allow_key_use(
            f"{name}-disks-key-compute",
            key=disks_key,
            member=number.apply(lambda n: service_agent(n, "compute-system")),
            opts=child,
        )

        nodes = gcp.serviceaccount.Account(
            f"{name}-nodes",
            project=project,
            account_id=account_id(f"{args.cluster_name}-nodes"),
            display_name=f"GKE nodes of {args.cluster_name}",
            description="Least-privilege node service account: logs, metrics, image pulls",
            opts=child,
        )
        node_roles = [
            gcp.projects.IAMMember(
                f"{name}-nodes-{short}",
                project=project,
                role=role,
                member=nodes.email.apply(lambda email: f"serviceAccount:{email}"),
                opts=child,
            )
            for short, role in NODE_ROLES.items()
        ]
        # Node pools read these through outputs, so they also wait for the grants: nodes
        # without them cannot pull images or write logs.
        self.node_service_account = pulumi.Output.all(
            nodes.email, *[r.id for r in node_roles]
        ).apply(lambda values: str(values[0]))
        self.disks_key_id = pulumi.Output.all(disks_key.id, disks_key_use.id).apply(
            lambda values: str(values[0])
        )
        self.secrets_key_id = secrets_key.id

        location: pulumi.Input[str] = args.region if args.regional else args.zones[0]
        self.node_zones = list(args.zones) if args.regional else [args.zones[0]]
        workload_pool = project.apply(lambda p: f"{p}.svc.id.goog")
        window = recurring_window(args.maintenance_window)
        gke = gcp.container.Cluster(
            f"{name}-gke",
            project=project,
            name=args.cluster_name,
            location=location,
            # A zonal cluster's node locations would name zones besides its own.
            node_locations=list(args.zones) if args.regional else None,
            min_master_version=args.kubernetes_version,
            release_channel=gcp.container.ClusterReleaseChannelArgs(channel=RELEASE_CHANNEL),
            network=network_id,
            subnetwork=subnet_id,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy=gcp.container.ClusterIpAllocationPolicyArgs(
                cluster_secondary_range_name=PODS_RANGE,
                services_secondary_range_name=SERVICES_RANGE,
            ),
            datapath_provider="ADVANCED_DATAPATH",
            private_cluster_config=gcp.container.ClusterPrivateClusterConfigArgs(
                enable_private_nodes=True,
                enable_private_endpoint=not args.endpoint_access.is_public,
                # Without global access the private endpoint answers only clients in the
                # cluster's region; a runner or VPN elsewhere in the VPC needs it (GKE docs,
                # "Access to cluster endpoints": private endpoint global access).
                master_global_access_config=gcp.container.ClusterPrivateClusterConfigMasterGlobalAccessConfigArgs(
                    enabled=True
                ),
            ),
            master_authorized_networks_config=authorized_networks(
                args.endpoint_access,
                args.nodes_cidr,
                args.public_access_cidrs,
                args.private_access_cidrs,
            ),
            control_plane_endpoints_config=dns_endpoint_config(args.dns_endpoint),
            workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(
                workload_pool=workload_pool
            ),
            enable_shielded_nodes=True,
            enable_legacy_abac=False,
            database_encryption=gcp.container.ClusterDatabaseEncryptionArgs(
                state="ENCRYPTED", key_name=secrets_key.id
            ),
            logging_config=gcp.container.ClusterLoggingConfigArgs(
                enable_components=[
                    *ALWAYS_LOGGED,
                    *(
                        GKE_LOG_COMPONENTS[log]
                        for log in args.control_plane_logs
                        if log in GKE_LOG_COMPONENTS
                    ),
                ]
            ),
            monitoring_config=gcp.container.ClusterMonitoringConfigArgs(
                enable_components=list(MONITORED)
            ),
            addons_config=gcp.container.ClusterAddonsConfigArgs(
                gce_persistent_disk_csi_driver_config=(
                    gcp.container.ClusterAddonsConfigGcePersistentDiskCsiDriverConfigArgs(
                        enabled=True
                    )
                ),
                # Model servers can mount the models bucket read-only.
                gcs_fuse_csi_driver_config=(
                    gcp.container.ClusterAddonsConfigGcsFuseCsiDriverConfigArgs(enabled=True)
                ),
                http_load_balancing=gcp.container.ClusterAddonsConfigHttpLoadBalancingArgs(
                    disabled=False
                ),
                horizontal_pod_autoscaling=(
                    gcp.container.ClusterAddonsConfigHorizontalPodAutoscalingArgs(disabled=False)
                ),
            ),
            cost_management_config=gcp.container.ClusterCostManagementConfigArgs(enabled=True),
            # The REGULAR channel upgrades the control plane and every pool (and reimages GPU
            # nodes) whenever GKE chooses, unless a window says when (GKE docs, "Maintenance
            # windows and exclusions"): upgrades wait for this weekly window.
            maintenance_policy=gcp.container.ClusterMaintenancePolicyArgs(
                recurring_window=gcp.container.ClusterMaintenancePolicyRecurringWindowArgs(
                    start_time=window.start_time,
                    end_time=window.end_time,
                    recurrence=window.recurrence,
                )
            ),
            # GKE cannot start without a node pool; it removes this one right after creation.
            # Its nodes still run hardened, as the nodes' account, never the default one.
            remove_default_node_pool=True,
            initial_node_count=1,
            node_config=gcp.container.ClusterNodeConfigArgs(
                service_account=self.node_service_account,
                oauth_scopes=list(OAUTH_SCOPES),
                disk_type=DISK_TYPE,
                shielded_instance_config=gcp.container.ClusterNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True
                ),
                workload_metadata_config=(
                    gcp.container.ClusterNodeConfigWorkloadMetadataConfigArgs(mode="GKE_METADATA")
                ),
            ),
            deletion_protection=args.keep,
            resource_labels=labels,
            # GKE checks at creation that its service agent may use the secrets key. The
            # default pool's settings only matter for those first minutes; changing them
            # later would replace the cluster.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[secrets_key_use], ignore_changes=["nodeConfig"]
            ),
        )

        # Admission webhooks and aggregated APIs (KEDA's) are called by the API server on
        # their pods' ports, which GKE's own rule does not open.
        self.control_plane_firewall = gcp.compute.Firewall(
            f"{name}-control-plane-ingress",
            project=project,
            network=network_id,
            description="Control plane to the platform's webhooks and KEDA's metrics API",
            direction="INGRESS",
            priority=1000,
            source_ranges=control_plane_source_ranges(None, args.nodes_cidr),
            target_service_accounts=[self.node_service_account],
            allows=[
                gcp.compute.FirewallAllowArgs(
                    protocol="tcp",
                    ports=[str(port) for port in sorted(set(CONTROL_PLANE_PORTS.values()))],
                )
            ],
            opts=child,
        )

        for index, principal in enumerate(args.admin_principals):
            gcp.projects.IAMMember(
                f"{name}-admin-{index}",
                project=project,
                role=ADMIN_ROLE,
                member=principal,
                opts=child,
            )

        ca = gke.master_auth.apply(lambda auth: str(auth.cluster_ca_certificate))
        server = pulumi.Output.all(gke.endpoint, ca).apply(lambda v: (str(v[0]), str(v[1])))
        if args.dns_endpoint:
            dns = gke.control_plane_endpoints_config.apply(dns_name)
            server = pulumi.Output.all(dns, gke.endpoint, ca).apply(
                lambda v: api_server(str(v[0]), str(v[1]), str(v[2]))
            )
        rendered: pulumi.Output[str] = pulumi.Output.all(
            project,
            gke.location,
            gke.name,
            server.apply(lambda v: v[0]),
            server.apply(lambda v: v[1]),
        ).apply(
            lambda values: render_kubeconfig(
                project=values[0],
                location=values[1],
                cluster_name=values[2],
                endpoint=values[3],
                certificate_authority=values[4],
            )
        )
        kubeconfig: pulumi.Output[str] = pulumi.Output.secret(rendered)
        provider = k8s.Provider(f"{name}-k8s", kubeconfig=kubeconfig, opts=child)
        storage_class = k8s.storage.v1.StorageClass(
            f"{name}-pd-balanced",
            metadata={"name": STORAGE_CLASS, "annotations": {DEFAULT_CLASS_ANNOTATION: "false"}},
            provisioner=CSI_DRIVER,
            parameters={"type": "pd-balanced", "disk-encryption-kms-key": self.disks_key_id},
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            reclaim_policy="Delete",
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )

        self._k8s_provider = provider
        # Claims name this class; the Persistent Disk CSI driver that provisions them is a
        # GKE add-on (addons_config above), up once the cluster is.
        self.attach_storage_driver(gke, storage_class)
        self._issuer = pulumi.Output.all(project, gke.location, gke.name).apply(
            lambda values: issuer_url(values[0], values[1], values[2])
        )
        self.cluster_name = gke.name
        self.location = gke.location
        self.endpoint = gke.endpoint
        self.kubeconfig = kubeconfig
        self.workload_pool = gke.workload_identity_config.apply(
            lambda config: str(config.workload_pool) if config else ""
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "location": self.location,
                "endpoint": self.endpoint,
                "oidc_issuer_url": self._issuer,
                "workload_pool": self.workload_pool,
                "kubeconfig": self.kubeconfig,
            }
        )

    # The KubernetesCluster seam (components.seam): shared parts in SeamCluster.
    def workload_identity(
        self,
        name: str,
        *,
        namespace: str,
        service_account: str,
        create_service_account: bool = False,
    ) -> WorkloadIdentity:
        """A Google service account (`<cluster>-<name>`) for `namespace`/`service_account` on
        this cluster; GCP-specific, as the returned identity has the `grant_*` methods."""
        return WorkloadIdentity(
            f"{self._component_name}-{name}",
            WorkloadIdentityArgs(
                namespace=namespace,
                service_account=service_account,
                account_id=account_id(f"{self._cluster_name}-{name}"),
                create_service_account=create_service_account,
            ),
            workload_pool=self.workload_pool,
            kubernetes_provider=self._k8s_provider,
            project=self.project_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
