"""An AKS cluster: Entra ID with Azure RBAC, workload identity, overlay CNI with network policy."""

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Network

import pulumi
import pulumi_kubernetes as k8s
import pulumiverse_time
from pulumi_azure_native import containerservice, managedidentity

from components.azure.disk_encryption import disk_encryption
from components.azure.identity import WorkloadIdentity, WorkloadIdentityArgs
from components.azure.kms import secrets_key
from components.azure.maintenance import (
    AUTO_UPGRADE_SCHEDULE,
    NODE_OS_UPGRADE_SCHEDULE,
    MaintenanceWindow,
    maintenance_window,
)
from components.azure.pool_profile import PoolProfile, pool_settings
from components.azure.roles import (
    AKS_RBAC_CLUSTER_ADMIN,
    KEY_VAULT_CRYPTO_USER,
    NETWORK_CONTRIBUTOR,
    READER,
    role_assignment,
)
from components.azure.storage import Container
from components.seam import (
    GPU_TOLERATION,
    SeamCluster,
    Toleration,
)

STORAGE_CLASS = "premium-ssd"
# The pool label of the User-mode CPU pools the platform's own workloads run on: the System
# pool is tainted CriticalAddonsOnly and is for AKS's critical add-ons (AKS docs, "Manage
# system node pools": application pods belong on user node pools).
CPU_POOL = "cpu"
# "New role assignments can take up to five minutes to propagate and be updated by the
# authorization server" (AKS docs, "Use Azure RBAC for Kubernetes Authorization", Before you
# begin): the Kubernetes provider waits that long after the deployer's cluster-admin grant.
RBAC_PROPAGATION = "5m"
# Every CPU pool is one zone's (a zonal disk needs a node in its zone); the autoscaler keeps
# them level (AKS docs, "Cluster autoscaling in AKS overview": one node pool per zone with
# balance-similar-node-groups for workloads on zonal volumes).
AUTOSCALER_PROFILE = containerservice.ManagedClusterPropertiesAutoScalerProfileArgs(
    balance_similar_node_groups="true"
)
DEFAULT_MAINTENANCE = MaintenanceWindow(days=("Sunday",), start_time_utc="02:00", duration_hours=4)
# AKS taints every spot node with this itself; pods bound for a spot pool tolerate it.
SPOT_TOLERATION = Toleration(
    key="kubernetes.azure.com/scalesetpriority",
    operator="Equal",
    value="spot",
    effect="NoSchedule",
)
# Candidate ranges for pod overlay and services; neither may overlap the VNet.
POD_CIDRS = ("10.244.0.0/16", "172.20.0.0/16", "192.168.0.0/17")
SERVICE_CIDRS = ("10.0.0.0/16", "172.21.0.0/16", "192.168.128.0/17")


@dataclass(frozen=True)
class ServiceRanges:
    pod_cidr: str
    service_cidr: str
    dns_service_ip: str


def service_ranges(vnet_cidr: IPv4Network) -> ServiceRanges:
    """Pod and service ranges outside the VNet (overlay pods never take VNet addresses)."""
    pods = next(c for c in POD_CIDRS if not IPv4Network(c).overlaps(vnet_cidr))
    services = next(c for c in SERVICE_CIDRS if not IPv4Network(c).overlaps(vnet_cidr))
    return ServiceRanges(
        pod_cidr=pods,
        service_cidr=services,
        dns_service_ip=str(IPv4Network(services).network_address + 10),
    )


def api_server_access(
    private: bool, authorized_ranges: Sequence[str]
) -> containerservice.ManagedClusterAPIServerAccessProfileArgs:
    """Private clusters have no public endpoint at all; public ones admit only the ranges."""
    if private:
        return containerservice.ManagedClusterAPIServerAccessProfileArgs(
            enable_private_cluster=True, enable_private_cluster_public_fqdn=False
        )
    return containerservice.ManagedClusterAPIServerAccessProfileArgs(
        enable_private_cluster=False, authorized_ip_ranges=list(authorized_ranges)
    )


@dataclass(frozen=True)
class ClusterArgs:
    cluster_name: str
    """The AKS cluster's name, also its DNS prefix."""
    kubernetes_version: str
    location: str
    vnet_cidr: IPv4Network
    system_pool: PoolProfile
    private: bool
    """A private cluster (no public API endpoint); otherwise `authorized_ip_ranges`."""
    authorized_ip_ranges: tuple[str, ...] = ()
    spot_pools: tuple[str, ...] = ()
    """GPU pools on spot capacity: their pods also tolerate AKS's spot taint."""
    admin_group_object_ids: tuple[str, ...] = ()
    """Entra ID groups given cluster-admin."""
    nat_gateway_egress: bool = True
    """Nodes leave through the node subnet's NAT gateway (else a load balancer)."""
    secrets_encryption: bool = False
    """KMS envelope encryption of Kubernetes secrets with a key in the cluster's own vault."""
    key_vault_name: str = ""
    standard_tier: bool = False
    """The Standard SKU tier: a financially backed API server SLA."""
    disk_encryption: bool = False
    """Managed disks (node OS disks of a new cluster, every volume of the StorageClass)
    encrypted with a customer-managed key in a firewalled vault of their own."""
    disk_vault_name: str = ""
    maintenance: MaintenanceWindow = DEFAULT_MAINTENANCE
    """When AKS may run the cluster's and the node images' automatic upgrades."""
    keep: bool = False
    """Protect and retain the cluster, its vault and key."""
    tags: Mapping[str, str] = field(default_factory=dict)


class Cluster(pulumi.ComponentResource, SeamCluster[Container]):
    """An AKS cluster in the node subnet; implements the KubernetesCluster seam.

    Creates: the control plane's user-assigned identity (`-identity`) with Network
    Contributor on the node subnet (`-identity-network`); with `secrets_encryption` a Key
    Vault (`-secrets-vault`) and rotating key (`-secrets-key`) the identity may use
    (`-identity-secrets-key`); the managed cluster (`-aks`): Entra ID with Azure RBAC,
    local accounts off, OIDC issuer and workload identity on, Azure CNI overlay with
    Cilium network policy, private API server or authorized ranges, patch and node-image
    auto-upgrades, the autoscaler balancing similar pools, and the System pool (CPU,
    `CriticalAddonsOnly=true:NoSchedule`); with `disk_encryption` a firewalled vault, key
    and Disk Encryption Set (`-disks-vault`, `-disks-key`, `-disks-set`, `-disks-set-key`)
    the control plane may read (`-identity-disks`); the maintenance windows of the upgrade
    and node OS channels (`-maintenance-auto-upgrade`, `-maintenance-node-os`);
    cluster-admin through Azure RBAC for whoever deploys (`-deployer-admin`) and the wait
    for it to propagate (`-deployer-admin-propagation`); a Kubernetes provider (`-k8s`) from
    the user kubeconfig that waits for both; the StorageClass workloads name, encrypted
    Premium SSD (`-premium-ssd`, not the cluster default: AKS keeps its own).
    `bind_workload_identity` / `workload_identity` add user-assigned identities federated
    to one service account (`-<name>`); with `read_buckets` / `write_buckets`,
    `bind_workload_identity` adds Storage Blob Data Reader / Contributor role assignments
    scoped to the containers given to `attach_buckets` (`-<name>-<container>-read`,
    `-<name>-<container>-read-write`).
    """

    cluster_name: pulumi.Output[str]
    cluster_id: pulumi.Output[str]
    fqdn: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]

    STORAGE_CLASS = STORAGE_CLASS
    # an internal Standard Load Balancer in the node subnet (AKS docs, "Use an internal
    # load balancer")
    INTERNAL_LB_ANNOTATIONS = {"service.beta.kubernetes.io/azure-load-balancer-internal": "true"}
    CPU_POOL = CPU_POOL

    def __init__(
        self,
        name: str,
        args: ClusterArgs,
        *,
        resource_group_name: pulumi.Input[str],
        node_subnet_id: pulumi.Input[str],
        subscription_id: pulumi.Input[str],
        tenant_id: pulumi.Input[str],
        deployer_object_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:azure:Cluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(
            parent=self, protect=args.keep, retain_on_delete=args.keep
        )
        self._component_name = name
        self._buckets: dict[str, Container] = {}
        self._resource_group_name = resource_group_name
        self._location = args.location
        self._tags = dict(args.tags)
        self._spot_pools = frozenset(args.spot_pools)
        self._subscription_id = subscription_id
        tags = dict(args.tags)

        def assign(role_name: str, role: str, scope: pulumi.Input[str]) -> pulumi.Resource:
            return role_assignment(
                f"{name}-{role_name}",
                role=role,
                principal_id=identity.principal_id,
                scope=scope,
                subscription_id=subscription_id,
                opts=child,
            )

        identity = managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_group_name=resource_group_name,
            location=args.location,
            tags=tags,
            opts=child,
        )
        # The control plane attaches nodes to our subnet and its NAT gateway.
        cluster_deps: list[pulumi.Resource] = [
            assign("identity-network", NETWORK_CONTRIBUTOR, node_subnet_id)
        ]
        security_profile = containerservice.ManagedClusterSecurityProfileArgs(
            workload_identity=containerservice.ManagedClusterSecurityProfileWorkloadIdentityArgs(
                enabled=True
            ),
        )
        self.secrets_key_id: pulumi.Output[str] | None = None
        if args.secrets_encryption:
            secrets = secrets_key(
                f"{name}-secrets",
                vault_name=args.key_vault_name,
                resource_group_name=resource_group_name,
                location=args.location,
                tenant_id=tenant_id,
                tags=tags,
                opts=stateful,
            )
            cluster_deps.append(
                assign("identity-secrets-key", KEY_VAULT_CRYPTO_USER, secrets.vault.id)
            )
            security_profile.azure_key_vault_kms = containerservice.AzureKeyVaultKmsArgs(
                enabled=True,
                key_id=secrets.key.key_uri_with_version,
                key_vault_network_access="Public",
            )
            self.secrets_key_id = secrets.key.key_uri_with_version

        self.disk_encryption_set_id: pulumi.Output[str] | None = None
        if args.disk_encryption:
            disks = disk_encryption(
                f"{name}-disks",
                vault_name=args.disk_vault_name,
                resource_group_name=resource_group_name,
                location=args.location,
                tenant_id=tenant_id,
                subscription_id=subscription_id,
                tags=tags,
                opts=stateful,
            )
            self.disk_encryption_set_id = disks.encryption_set.id
            # Node OS disks and the CSI driver's volumes reference the set.
            cluster_deps += [
                disks.access,
                assign("identity-disks", READER, disks.encryption_set.id),
            ]

        ranges = service_ranges(args.vnet_cidr)
        cluster = containerservice.ManagedCluster(
            f"{name}-aks",
            resource_name_=args.cluster_name,
            resource_group_name=resource_group_name,
            location=args.location,
            dns_prefix=args.cluster_name,
            kubernetes_version=args.kubernetes_version,
            sku=containerservice.ManagedClusterSKUArgs(
                name="Base", tier="Standard" if args.standard_tier else "Free"
            ),
            identity=containerservice.ManagedClusterIdentityArgs(
                type=containerservice.ResourceIdentityType.USER_ASSIGNED,
                user_assigned_identities=[identity.id],
            ),
            enable_rbac=True,
            aad_profile=containerservice.ManagedClusterAADProfileArgs(
                managed=True,
                enable_azure_rbac=True,
                tenant_id=tenant_id,
                admin_group_object_ids=list(args.admin_group_object_ids),
            ),
            disable_local_accounts=True,
            oidc_issuer_profile=containerservice.ManagedClusterOIDCIssuerProfileArgs(enabled=True),
            security_profile=security_profile,
            network_profile=containerservice.ContainerServiceNetworkProfileArgs(
                network_plugin="azure",
                network_plugin_mode="overlay",
                network_dataplane="cilium",
                network_policy="cilium",
                pod_cidr=ranges.pod_cidr,
                service_cidr=ranges.service_cidr,
                dns_service_ip=ranges.dns_service_ip,
                load_balancer_sku="standard",
                outbound_type=(
                    "userAssignedNATGateway" if args.nat_gateway_egress else "loadBalancer"
                ),
            ),
            api_server_access_profile=api_server_access(args.private, args.authorized_ip_ranges),
            auto_scaler_profile=AUTOSCALER_PROFILE,
            disk_encryption_set_id=self.disk_encryption_set_id,
            auto_upgrade_profile=containerservice.ManagedClusterAutoUpgradeProfileArgs(
                # Patch releases of the configured minor only; minors move with the config.
                upgrade_channel="patch",
                node_os_upgrade_channel="NodeImage",
            ),
            # AKS creates a cluster only together with its System pool, and that inline profile
            # is left alone afterwards (ignore_changes below): a PUT of the cluster with a
            # changed inline pool puts every pool of the cluster, the separate CPU and GPU
            # AgentPools too, into Scaling (pulumi/pulumi-azure-native#4264, closed won't
            # fix). It keeps its name and is never removed, so the inline profile the cluster
            # PUT still carries always names a pool that exists (with a removed one, AKS
            # refuses every later cluster change: "A new agent pool was introduced",
            # pulumi/pulumi-azure-native#2719). A same-named AgentPool resource cannot adopt
            # it: azure-native refuses to create a resource that already exists ("cannot create
            # already existing resource", provider/pkg/provider/crud). The autoscaler owns its
            # node count; other System pool changes are made with `az aks nodepool update`
            # (docs/RUNBOOK.md).
            agent_pool_profiles=[
                containerservice.ManagedClusterAgentPoolProfileArgs(
                    name=args.system_pool.pool,
                    **pool_settings(args.system_pool, node_subnet_id),
                )
            ],
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.keep,
                retain_on_delete=args.keep,
                depends_on=cluster_deps,
                # AKS sets a customer-managed key on OS disks only when it creates a cluster
                # (AKS docs, "Bring your own keys (BYOK) with Azure managed disks",
                # Limitations): an existing cluster keeps its disks rather than being replaced.
                ignore_changes=["agentPoolProfiles", "diskEncryptionSetID"],
            ),
        )
        for role, config_name in (
            ("auto-upgrade", AUTO_UPGRADE_SCHEDULE),
            ("node-os", NODE_OS_UPGRADE_SCHEDULE),
        ):
            containerservice.MaintenanceConfiguration(
                f"{name}-maintenance-{role}",
                resource_group_name=resource_group_name,
                resource_name_=cluster.name,
                config_name=config_name,
                maintenance_window=maintenance_window(args.maintenance),
                opts=child,
            )
        # Whoever runs `pulumi up` installs the in-cluster parts, so it needs admin at once: a
        # pipeline's service principal or a person after `az login`, so its type is not
        # given (components.azure.roles).
        deployer_admin = role_assignment(
            f"{name}-deployer-admin",
            role=AKS_RBAC_CLUSTER_ADMIN,
            principal_id=deployer_object_id,
            scope=cluster.id,
            subscription_id=subscription_id,
            principal_type=None,
            # A stack deployed before keeps the type it was created with: an assignment's
            # properties cannot change in place, and that one was accepted. When another
            # identity runs `pulumi up` (a pipeline after a person), its grant replaces this
            # one: the earlier deployer's grant stays in Azure rather than being deleted, so a
            # pipeline's run never locks out the people (or pipeline) that deployed before.
            opts=pulumi.ResourceOptions(
                parent=self, ignore_changes=["principalType"], retain_on_delete=True
            ),
        )
        propagation = pulumiverse_time.Sleep(
            f"{name}-deployer-admin-propagation",
            create_duration=RBAC_PROPAGATION,
            # A new grant (a new deployer) waits again.
            triggers={"assignment": deployer_admin.id},
            opts=child,
        )

        credentials = containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=resource_group_name,
            resource_name=cluster.name,
            format="exec",
        )
        kubeconfig: pulumi.Output[str] = pulumi.Output.secret(
            credentials.kubeconfigs.apply(
                lambda configs: base64.b64decode(configs[0].value).decode()
            )
        )
        provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=kubeconfig,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[deployer_admin, propagation]),
        )
        parameters: dict[str, pulumi.Input[str]] = {
            "skuName": "Premium_LRS",
            "cachingMode": "ReadOnly",
            "fsType": "ext4",
        }
        if self.disk_encryption_set_id is not None:
            # Azure Disk CSI driver parameter (driver-parameters.md, kubernetes-sigs/
            # azuredisk-csi-driver): the set that encrypts each new volume.
            parameters["diskEncryptionSetID"] = self.disk_encryption_set_id
        storage_class = k8s.storage.v1.StorageClass(
            f"{name}-premium-ssd",
            metadata={
                "name": STORAGE_CLASS,
                # AKS ships its own default class (`default`, AKS docs, "Storage options for
                # applications in AKS": storage classes) and reconciles it; two defaults make
                # an unnamed claim ambiguous. Ours is not default: every claim names it.
                "annotations": {"storageclass.kubernetes.io/is-default-class": "false"},
            },
            provisioner="disk.csi.azure.com",
            # Without a set, managed disks are encrypted with platform-managed keys; a volume is
            # created in the zone of its first pod, so locally redundant disks suffice.
            parameters=parameters,
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            reclaim_policy="Delete",
            # Its parameters are immutable and its name fixed: a change replaces it in place
            # (volumes already provisioned keep their disks).
            opts=pulumi.ResourceOptions(parent=self, provider=provider, delete_before_replace=True),
        )

        self._k8s_provider = provider
        # Claims name this class: they wait for it (and, per cloud, for the driver).
        self.attach_storage_driver(storage_class)
        issuer = cluster.oidc_issuer_profile.apply(
            lambda profile: str(profile.issuer_url) if profile else ""
        )
        self._issuer = issuer
        self.cluster_name = cluster.name
        self.cluster_id = cluster.id
        self.fqdn = cluster.private_fqdn if args.private else cluster.fqdn
        self.kubeconfig = kubeconfig
        self.control_plane_principal_id = identity.principal_id
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "fqdn": self.fqdn,
                "oidc_issuer_url": self._issuer,
                "kubeconfig": self.kubeconfig,
            }
        )

    # The KubernetesCluster seam (components.seam): shared parts in SeamCluster.
    def gpu_tolerations(self, pool: str) -> list[Toleration]:
        if pool in self._spot_pools:
            return [GPU_TOLERATION, SPOT_TOLERATION]
        return [GPU_TOLERATION]

    def workload_identity(
        self,
        name: str,
        *,
        namespace: str,
        service_account: str,
        create_service_account: bool = False,
    ) -> WorkloadIdentity:
        """A user-assigned identity (`<cluster>-<name>`) federated to `namespace`/
        `service_account` on this cluster; Azure-specific, as it has the `grant_*` methods."""
        return WorkloadIdentity(
            f"{self._component_name}-{name}",
            WorkloadIdentityArgs(
                location=self._location,
                namespace=namespace,
                service_account=service_account,
                create_service_account=create_service_account,
                tags=self._tags,
            ),
            resource_group_name=self._resource_group_name,
            subscription_id=self._subscription_id,
            oidc_issuer_url=self._issuer,
            kubernetes_provider=self._k8s_provider,
            opts=pulumi.ResourceOptions(parent=self),
        )
