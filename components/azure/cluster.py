"""An AKS cluster: Entra ID with Azure RBAC, workload identity, overlay CNI with network policy."""

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Network

import pulumi
import pulumi_kubernetes as k8s
from pulumi_azure_native import containerservice, managedidentity

from components.azure.identity import WorkloadIdentity, WorkloadIdentityArgs
from components.azure.kms import secrets_key
from components.azure.pool_profile import PoolProfile, pool_settings
from components.azure.roles import (
    AKS_RBAC_CLUSTER_ADMIN,
    KEY_VAULT_CRYPTO_USER,
    NETWORK_CONTRIBUTOR,
    role_assignment,
)
from components.azure.storage import Container
from components.seam import (
    GPU_TOLERATION,
    SeamCluster,
    Toleration,
)

STORAGE_CLASS = "premium-ssd"
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
    auto-upgrades, and the System pool (CPU, `CriticalAddonsOnly=true:NoSchedule`);
    cluster-admin through Azure RBAC for whoever deploys (`-deployer-admin`); a Kubernetes
    provider (`-k8s`) from the user kubeconfig; the default StorageClass, encrypted
    Premium SSD (`-premium-ssd`). `bind_workload_identity` / `workload_identity` add
    user-assigned identities federated to one service account (`-<name>`); with
    `read_buckets` / `write_buckets`, `bind_workload_identity` adds Storage Blob Data
    Reader / Contributor role assignments scoped to the containers given to
    `attach_buckets` (`-<name>-<container>-read`, `-<name>-<container>-read-write`).
    """

    cluster_name: pulumi.Output[str]
    cluster_id: pulumi.Output[str]
    fqdn: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]

    STORAGE_CLASS = STORAGE_CLASS

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
            auto_upgrade_profile=containerservice.ManagedClusterAutoUpgradeProfileArgs(
                # Patch releases of the configured minor only; minors move with the config.
                upgrade_channel="patch",
                node_os_upgrade_channel="NodeImage",
            ),
            # AKS creates a cluster only together with its System pool.
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
                # The autoscaler owns the System pool's node count.
                ignore_changes=["agentPoolProfiles[0].count"],
            ),
        )
        # Whoever runs `pulumi up` installs the in-cluster parts, so it needs admin at once;
        # that is the pipeline's service principal (people join admin_group_object_ids).
        role_assignment(
            f"{name}-deployer-admin",
            role=AKS_RBAC_CLUSTER_ADMIN,
            principal_id=deployer_object_id,
            scope=cluster.id,
            subscription_id=subscription_id,
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
        provider = k8s.Provider(f"{name}-k8s", kubeconfig=kubeconfig, opts=child)
        storage_class = k8s.storage.v1.StorageClass(
            f"{name}-premium-ssd",
            metadata={
                "name": STORAGE_CLASS,
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            },
            provisioner="disk.csi.azure.com",
            # Managed disks are always encrypted at rest (platform-managed keys); a volume is
            # created in the zone of its first pod, so locally redundant disks suffice.
            parameters={"skuName": "Premium_LRS", "cachingMode": "ReadOnly", "fsType": "ext4"},
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            reclaim_policy="Delete",
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
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
