from dataclasses import replace
from ipaddress import IPv4Network

import pulumi
import pytest

from components.azure.cluster import (
    CPU_POOL,
    SPOT_TOLERATION,
    Cluster,
    ClusterArgs,
    api_server_access,
    service_ranges,
)
from components.azure.maintenance import MaintenanceWindow
from components.azure.pool_profile import PoolProfile
from components.azure.storage import Storage, StorageArgs
from components.seam import GPU_TOLERATION, KubernetesCluster
from tests.harness import run_components

AKS = "azure-native:containerservice:ManagedCluster"
ROLE = "azure-native:authorization:RoleAssignment"
# Storage Blob Data Reader and Contributor
READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
SUBNET = (
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/n"
)
SUBSCRIPTION = "00000000-0000-4000-8000-000000000000"
WEEK = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
VAULT = "azure-native:keyvault:Vault"
SLEEP = "time:index/sleep:Sleep"
MAINTENANCE = "azure-native:containerservice:MaintenanceConfiguration"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"


def build(*, prod: bool, extra=None):
    args = ClusterArgs(
        cluster_name="llm-test",
        kubernetes_version="1.34",
        location="eastus",
        vnet_cidr=IPv4Network("10.40.0.0/16"),
        system_pool=PoolProfile(
            pool="system",
            vm_size="Standard_D4s_v5",
            min_nodes=2,
            max_nodes=4,
            disk_size_gib=50,
            system=True,
            zones=("1", "2", "3"),
        ),
        private=prod,
        authorized_ip_ranges=() if prod else ("198.51.100.0/24",),
        spot_pools=("cheap",),
        admin_group_object_ids=("44444444-4444-4444-8444-444444444444",),
        secrets_encryption=prod,
        key_vault_name="kv-test",
        standard_tier=prod,
        disk_encryption=prod,
        disk_vault_name="kvd-test",
        keep=prod,
        tags={"team": "ml"},
    )
    if prod:
        args = replace(
            args, maintenance=MaintenanceWindow(days=WEEK, start_time_utc="22:30", duration_hours=6)
        )

    def body():
        cluster = Cluster(
            "cluster",
            args,
            resource_group_name="rg",
            node_subnet_id=SUBNET,
            subscription_id=SUBSCRIPTION,
            tenant_id="33333333-3333-4333-8333-333333333333",
            deployer_object_id="22222222-2222-4222-8222-222222222222",
        )
        assert isinstance(cluster, KubernetesCluster)
        assert cluster.gpu_tolerations("standard") == [GPU_TOLERATION]
        assert cluster.gpu_tolerations("cheap") == [GPU_TOLERATION, SPOT_TOLERATION]
        assert cluster.default_storage_class == "premium-ssd"
        assert cluster.gpu_node_selector("standard") == {"llm-infra.io/pool": "standard"}
        # The platform's own CPU pods go to the User-mode CPU pools, which carry no taint.
        assert cluster.cpu_node_selector() == {"llm-infra.io/pool": "cpu"}
        assert cluster.cpu_tolerations() == []
        binding = cluster.bind_workload_identity(
            "qdrant", namespace="vector", service_account="qdrant"
        )
        assert binding.labels == {"azure.workload.identity/use": "true"}
        pulumi.export("kubeconfig", cluster.kubeconfig)
        pulumi.export("issuer", cluster.oidc_issuer_url)
        pulumi.export("fqdn", cluster.fqdn)
        if extra is not None:
            extra(cluster)

    return run_components(body, region="eastus", cloud="azure")


@pytest.fixture(scope="module")
def dev():
    return build(prod=False)


@pytest.fixture(scope="module")
def prod():
    return build(prod=True)


def test_children_are_parented_and_named_after_the_component(prod):
    component = prod.get("llm-infra:azure:Cluster", "cluster")
    names = {c.name for c in prod.children(component.urn)}
    assert all(n.startswith("cluster-") for n in names)
    assert names >= {
        "cluster-identity",
        "cluster-identity-network",
        "cluster-secrets-vault",
        "cluster-secrets-key",
        "cluster-identity-secrets-key",
        "cluster-aks",
        "cluster-deployer-admin",
        "cluster-k8s",
        "cluster-premium-ssd",
        "cluster-qdrant",
    }


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_entra_id_with_azure_rbac_and_no_local_accounts(request, env):
    aks = request.getfixturevalue(env).get(AKS, "cluster-aks").inputs
    assert aks["disableLocalAccounts"] is True
    assert aks["enableRBAC"] is True
    assert aks["aadProfile"]["managed"] is True
    assert aks["aadProfile"]["enableAzureRBAC"] is True
    assert aks["aadProfile"]["adminGroupObjectIDs"] == ["44444444-4444-4444-8444-444444444444"]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_oidc_issuer_and_workload_identity_are_on(request, env):
    aks = request.getfixturevalue(env).get(AKS, "cluster-aks").inputs
    assert aks["oidcIssuerProfile"] == {"enabled": True}
    assert aks["securityProfile"]["workloadIdentity"] == {"enabled": True}


def test_overlay_cni_with_cilium_network_policy_egressing_through_the_nat_gateway(dev):
    network = dev.get(AKS, "cluster-aks").inputs["networkProfile"]
    assert network["networkPlugin"] == "azure"
    assert network["networkPluginMode"] == "overlay"
    assert network["networkPolicy"] == "cilium"
    assert network["networkDataplane"] == "cilium"
    assert network["outboundType"] == "userAssignedNATGateway"
    assert network["podCidr"] == "10.244.0.0/16"
    assert network["serviceCidr"] == "10.0.0.0/16"


def test_prod_is_a_private_cluster_dev_admits_only_its_authorized_ranges(dev, prod):
    assert prod.get(AKS, "cluster-aks").inputs["apiServerAccessProfile"] == {
        "enablePrivateCluster": True,
        "enablePrivateClusterPublicFQDN": False,
    }
    assert dev.get(AKS, "cluster-aks").inputs["apiServerAccessProfile"] == {
        "enablePrivateCluster": False,
        "authorizedIPRanges": ["198.51.100.0/24"],
    }
    assert prod.outputs["fqdn"].endswith(".privatelink.eastus.azmk8s.io")
    assert dev.outputs["fqdn"].endswith(".hcp.eastus.azmk8s.io")


def test_patch_and_node_image_upgrades_and_the_standard_tier_in_prod(dev, prod):
    aks = prod.get(AKS, "cluster-aks").inputs
    assert aks["autoUpgradeProfile"] == {
        "upgradeChannel": "patch",
        "nodeOSUpgradeChannel": "NodeImage",
    }
    assert aks["sku"] == {"name": "Base", "tier": "Standard"}
    assert dev.get(AKS, "cluster-aks").inputs["sku"]["tier"] == "Free"


def test_the_system_pool_is_cpu_critical_add_ons_only_in_the_node_subnet(dev):
    (pool,) = dev.get(AKS, "cluster-aks").inputs["agentPoolProfiles"]
    assert pool["name"] == "system"
    assert pool["mode"] == "System"
    assert pool["vmSize"] == "Standard_D4s_v5"
    assert pool["nodeTaints"] == ["CriticalAddonsOnly=true:NoSchedule"]
    assert pool["vnetSubnetID"] == SUBNET
    assert (pool["minCount"], pool["maxCount"]) == (2, 4)


def test_the_control_plane_runs_as_its_own_identity_allowed_onto_the_node_subnet(dev):
    identity = dev.get("azure-native:managedidentity:UserAssignedIdentity", "cluster-identity")
    aks = dev.get(AKS, "cluster-aks")
    assert aks.inputs["identity"]["type"] == "UserAssigned"
    assert identity.urn in aks.property_dependencies["identity"]
    network = dev.get(ROLE, "cluster-identity-network")
    assert network.inputs["scope"] == SUBNET
    assert network.inputs["roleDefinitionId"].endswith("4d97b98b-1d4f-4787-a291-c67834d212e7")
    assert network.inputs["principalType"] == "ServicePrincipal"
    # AKS checks the identity's rights on the subnet when it creates the cluster
    assert network.urn in aks.options.depends_on


def test_prod_encrypts_secrets_with_a_rotating_key_in_a_purge_protected_rbac_vault(prod):
    vault = prod.get("azure-native:keyvault:Vault", "cluster-secrets-vault").inputs["properties"]
    assert vault["enableRbacAuthorization"] is True
    assert vault["enablePurgeProtection"] is True
    key = prod.get("azure-native:keyvault:Key", "cluster-secrets-key")
    assert key.inputs["properties"]["kty"] == "RSA"
    (action,) = key.inputs["properties"]["rotationPolicy"]["lifetimeActions"]
    assert action == {"action": {"type": "rotate"}, "trigger": {"timeAfterCreate": "P180D"}}
    kms = prod.get(AKS, "cluster-aks").inputs["securityProfile"]["azureKeyVaultKms"]
    assert kms["enabled"] is True
    assert kms["keyId"].startswith("https://kv-test.vault.azure.net/keys/kubernetes-secrets/")
    grant = prod.get(ROLE, "cluster-identity-secrets-key")
    assert grant.inputs["roleDefinitionId"].endswith("12338af0-0e69-4776-bea7-57ae8d297424")
    assert grant.inputs["scope"].endswith("/vaults/kv-test")


def test_dev_has_no_vault_and_no_kms(dev):
    assert dev.of_type("azure-native:keyvault:Vault") == []
    assert "azureKeyVaultKms" not in dev.get(AKS, "cluster-aks").inputs["securityProfile"]


@pytest.mark.parametrize(
    ("type_", "name"),
    [
        (AKS, "cluster-aks"),
        ("azure-native:keyvault:Vault", "cluster-secrets-vault"),
        ("azure-native:keyvault:Key", "cluster-secrets-key"),
    ],
)
def test_prod_protects_and_retains_the_cluster_vault_and_key(prod, type_, name):
    options = prod.get(type_, name).options
    assert options.protect and options.retain_on_delete


def test_dev_cluster_is_not_protected(dev):
    assert not dev.get(AKS, "cluster-aks").options.protect


def test_the_deployer_is_cluster_admin_through_azure_rbac_on_this_cluster_only(dev):
    admin = dev.get(ROLE, "cluster-deployer-admin").inputs
    assert admin["principalId"] == "22222222-2222-4222-8222-222222222222"
    assert admin["roleDefinitionId"].endswith("b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b")
    assert admin["scope"].endswith("/managedClusters/llm-test")


def test_a_new_deployer_never_deletes_the_previous_deployers_grant(dev):
    # The grant's principal is whoever runs `pulumi up`; another identity replaces it, and
    # a replaced assignment must not be deleted, or the earlier deployer loses the cluster.
    options = dev.get(ROLE, "cluster-deployer-admin").options
    assert options.retain_on_delete is True


def test_kubeconfig_comes_from_the_user_credentials_and_stays_secret(dev):
    assert dev.outputs["kubeconfig"] == "[secret]"
    assert dev.outputs["issuer"].startswith("https://eastus.oic.prod-aks.azure.com/")
    provider = dev.get("pulumi:providers:kubernetes", "cluster-k8s")
    storage_class = dev.get("kubernetes:storage.k8s.io/v1:StorageClass", "cluster-premium-ssd")
    assert storage_class.provider == provider.urn


def test_the_storage_class_is_premium_azure_disk_and_not_a_second_default(dev):
    storage_class = dev.get(STORAGE_CLASS, "cluster-premium-ssd")
    assert storage_class.inputs["metadata"]["name"] == "premium-ssd"
    assert storage_class.inputs["provisioner"] == "disk.csi.azure.com"
    assert storage_class.inputs["parameters"]["skuName"] == "Premium_LRS"
    # AKS creates its own default class `default` (AKS docs, "Storage options for
    # applications in AKS", storage classes); a second default makes the class of a claim
    # that names none ambiguous. Ours names itself non-default and claims name it.
    annotations = storage_class.inputs["metadata"]["annotations"]
    assert annotations["storageclass.kubernetes.io/is-default-class"] == "false"
    assert "diskEncryptionSetID" not in storage_class.inputs["parameters"]
    # a parameter change replaces the class; its fixed name needs the old one gone first
    assert storage_class.options.delete_before_replace is True


def test_service_ranges_avoid_the_vnet():
    assert service_ranges(IPv4Network("10.40.0.0/16")).service_cidr == "10.0.0.0/16"
    clash = service_ranges(IPv4Network("10.0.0.0/8"))
    assert clash.pod_cidr == "172.20.0.0/16"
    assert clash.service_cidr == "172.21.0.0/16"
    assert clash.dns_service_ip == "172.21.0.10"


def test_api_server_access_never_mixes_private_and_authorized_ranges():
    private = api_server_access(True, ("198.51.100.0/24",))
    assert private.enable_private_cluster is True
    assert private.authorized_ip_ranges is None
    public = api_server_access(False, ("198.51.100.0/24",))
    assert public.enable_private_cluster is False
    assert public.authorized_ip_ranges == ["198.51.100.0/24"]


def test_the_kubeconfig_never_reaches_the_record(dev):
    assert "kubelogin" not in dev.to_json()


def bind_with_containers(cluster, **access):
    storage = Storage(
        "storage",
        StorageArgs(
            account_name="llmtest", location="eastus", containers=["models", "vector-snapshots"]
        ),
        resource_group_name="rg",
    )
    cluster.attach_buckets(
        {key.replace("-", "_"): container for key, container in storage.containers.items()}
    )
    cluster.bind_workload_identity(
        "qdrant-snapshots",
        namespace="llm-data",
        service_account="qdrant-snapshots",
        write_buckets=("vector_snapshots",),
    )
    cluster.bind_workload_identity(
        "llama-weights", namespace="llm-serving", service_account="llama", read_buckets=("models",)
    )
    if access:
        cluster.bind_workload_identity(
            "other", namespace="llm-serving", service_account="other", **access
        )


def test_bound_identities_get_only_the_container_roles_they_ask_for():
    plan = build(prod=False, extra=bind_with_containers)
    grants = {
        r.name: r
        for r in plan.of_type(ROLE)
        if r.parent and "WorkloadIdentity" in r.parent.split("::")[-2]
    }
    assert set(grants) == {
        "cluster-qdrant-snapshots-vector-snapshots-read-write",
        "cluster-llama-weights-models-read",
    }
    for name, container, identity, role in (
        (
            "cluster-qdrant-snapshots-vector-snapshots-read-write",
            "vector-snapshots",
            "cluster-qdrant-snapshots-identity",
            CONTRIBUTOR,
        ),
        ("cluster-llama-weights-models-read", "models", "cluster-llama-weights-identity", READER),
    ):
        grant = grants[name]
        assert grant.inputs["roleDefinitionId"].endswith(f"/roleDefinitions/{role}")
        assert grant.inputs["scope"].endswith(f"/containers/{container}")
        assert grant.property_dependencies["scope"] == [
            plan.get("azure-native:storage:BlobContainer", f"storage-{container}").urn
        ]
        assert grant.property_dependencies["principalId"] == [
            plan.get("azure-native:managedidentity:UserAssignedIdentity", identity).urn
        ]


def test_an_unknown_bucket_key_names_it_and_the_known_ones():
    def ask_for_an_unknown_container(cluster):
        bind_with_containers(cluster, read_buckets=("models", "datasets"))

    with pytest.raises(Exception, match=r"unknown bucket 'datasets'.*models, vector_snapshots"):
        build(prod=False, extra=ask_for_an_unknown_container)


def test_the_kubernetes_provider_waits_for_the_deployers_grant_to_propagate(dev):
    # AKS docs, "Use Azure RBAC for Kubernetes Authorization" (Before you begin): new role
    # assignments take up to five minutes to propagate to the cluster's authorization server.
    admin = dev.get(ROLE, "cluster-deployer-admin")
    sleep = dev.get(SLEEP, "cluster-deployer-admin-propagation")
    assert sleep.inputs["createDuration"] == "5m"
    assert sleep.property_dependencies["triggers"] == [admin.urn]
    provider = dev.get("pulumi:providers:kubernetes", "cluster-k8s")
    assert set(provider.options.depends_on) >= {admin.urn, sleep.urn}
    # so everything on the cluster (the StorageClass here) waits for both
    storage_class = dev.get(STORAGE_CLASS, "cluster-premium-ssd")
    assert storage_class.provider == provider.urn


def test_the_deployers_grant_leaves_its_principal_type_to_arm(dev):
    # ARM refuses a principalType that does not match the principal (a person after
    # `az login` is a User); without one it looks the type up. Identities this component
    # creates stay ServicePrincipal, which spares ARM the lookup a new identity can fail.
    admin = dev.get(ROLE, "cluster-deployer-admin")
    assert "principalType" not in admin.inputs
    assert admin.options.ignore_changes == ["principalType"]
    assert dev.get(ROLE, "cluster-identity-network").inputs["principalType"] == "ServicePrincipal"


def test_the_inline_system_pool_is_never_touched_after_the_cluster_exists(dev, prod):
    # pulumi/pulumi-azure-native#4264: changing an inline agentPoolProfiles entry puts every
    # pool of the cluster, separate AgentPools included, into Scaling (closed: won't fix).
    # #2719: the inline profile the cluster's PUT keeps carrying must name a pool that exists,
    # so the System pool keeps its name and is never removed.
    for plan in (dev, prod):
        aks = plan.get(AKS, "cluster-aks")
        assert "agentPoolProfiles" in aks.options.ignore_changes
        (pool,) = aks.inputs["agentPoolProfiles"]
        assert pool["name"] == "system"


def test_the_autoscaler_balances_the_per_zone_pools(dev):
    # AKS docs, "Cluster autoscaling in AKS overview": per-zone node pools for workloads on
    # zonal volumes, with balance-similar-node-groups so that the zones grow alike.
    profile = dev.get(AKS, "cluster-aks").inputs["autoScalerProfile"]
    assert profile == {"balanceSimilarNodeGroups": "true"}


def test_upgrades_keep_to_the_maintenance_windows(dev, prod):
    # AKS docs, "Use planned maintenance": AKS reads these two configuration names, for the
    # upgrade channel and the node OS channel; a window lasts at least four hours.
    windows = {r.inputs["configName"]: r for r in dev.of_type(MAINTENANCE)}
    assert set(windows) == {"aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"}
    for window in windows.values():
        assert window.inputs["resourceName"] == "llm-test"
        assert window.parent == dev.get("llm-infra:azure:Cluster", "cluster").urn
        assert window.inputs["maintenanceWindow"] == {
            "schedule": {"weekly": {"dayOfWeek": "Sunday", "intervalWeeks": 1}},
            "durationHours": 4,
            "startTime": "02:00",
            "utcOffset": "+00:00",
        }
    daily = prod.get(MAINTENANCE, "cluster-maintenance-node-os").inputs["maintenanceWindow"]
    assert daily["schedule"] == {"daily": {"intervalDays": 1}}
    assert (daily["startTime"], daily["durationHours"]) == ("22:30", 6)


def test_prod_disks_use_a_customer_key_from_a_firewalled_vault(prod):
    # AKS docs, "Bring your own keys (BYOK) with Azure managed disks": a Disk Encryption Set
    # whose identity may use the key, in a vault with soft delete and purge protection.
    vault = prod.get(VAULT, "cluster-disks-vault").inputs["properties"]
    assert vault["enablePurgeProtection"] is True
    assert vault["networkAcls"] == {"bypass": "AzureServices", "defaultAction": "Deny"}
    key = prod.get("azure-native:keyvault:Key", "cluster-disks-key")
    assert key.inputs["keyName"] == "managed-disks"
    encryption_set = prod.get("azure-native:compute:DiskEncryptionSet", "cluster-disks-set")
    assert encryption_set.inputs["encryptionType"] == "EncryptionAtRestWithCustomerKey"
    assert encryption_set.inputs["rotationToLatestKeyVersionEnabled"] is True
    assert encryption_set.inputs["identity"] == {"type": "SystemAssigned"}
    assert set(encryption_set.property_dependencies["activeKey"]) == {
        key.urn,
        prod.get(VAULT, "cluster-disks-vault").urn,
    }
    grant = prod.get(ROLE, "cluster-disks-set-key")
    # Key Vault Crypto Service Encryption User, on the disks vault
    assert grant.inputs["roleDefinitionId"].endswith("e147488a-f6f5-4113-8e2d-b22465e65bf6")
    assert grant.inputs["scope"].endswith("/vaults/kvd-test")
    assert grant.property_dependencies["principalId"] == [encryption_set.urn]
    reader = prod.get(ROLE, "cluster-identity-disks")
    assert reader.inputs["roleDefinitionId"].endswith("acdd72a7-3385-48ef-bd42-f606fba81ae7")
    aks = prod.get(AKS, "cluster-aks")
    assert aks.property_dependencies["diskEncryptionSetID"] == [encryption_set.urn]
    assert {grant.urn, reader.urn} <= set(aks.options.depends_on)
    # AKS sets an OS disk key only at cluster creation: an existing cluster is not replaced
    assert "diskEncryptionSetID" in aks.options.ignore_changes
    storage_class = prod.get(STORAGE_CLASS, "cluster-premium-ssd")
    assert (
        storage_class.inputs["parameters"]["diskEncryptionSetID"]
        == aks.inputs["diskEncryptionSetID"]
    )


def test_the_kms_vault_stays_reachable_for_the_kms_plugin(prod):
    # AKS docs, "Add KMS etcd encryption" (Limitations): a public key vault behind a
    # firewall that admits selected networks is not supported (it blocks the KMS plugin);
    # a private vault needs API Server VNet Integration and KMS switched off and on again.
    vault = prod.get(VAULT, "cluster-secrets-vault").inputs["properties"]
    assert "networkAcls" not in vault
    kms = prod.get(AKS, "cluster-aks").inputs["securityProfile"]["azureKeyVaultKms"]
    assert kms["keyVaultNetworkAccess"] == "Public"


def test_dev_has_no_disk_encryption_set(dev):
    assert dev.of_type("azure-native:compute:DiskEncryptionSet") == []
    assert "diskEncryptionSetID" not in dev.get(AKS, "cluster-aks").inputs


def test_the_cpu_pool_is_the_user_pool_label():
    assert CPU_POOL == "cpu"
