"""The Azure platform as the shipped stack (and its tests-only dev variant) builds it."""

from pathlib import Path

import pytest
import yaml

from infra.config import ConfigError
from infra.offline.plan import plan_stack
from infra.platforms.azure import build_azure
from infra.policy.check import run_check
from tests.harness import load, run_components, shipped_config_values

AKS = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
ROLE = "azure-native:authorization:RoleAssignment"
DEV_PROJECT = Path(__file__).parent / "azure_dev"


@pytest.fixture(scope="module")
def dev():
    return plan_stack("azure-dev", DEV_PROJECT)


def test_one_user_pool_per_gpu_pool_with_the_catalogs_vm_size(shipped_plan):
    pools = {r.name: r.inputs for r in shipped_plan("azure-prod").of_type(POOL)}
    assert set(pools) == {"gpu-standard-pool", "gpu-large-pool"}
    assert pools["gpu-standard-pool"]["vmSize"] == "Standard_NV36ads_A10_v5"  # a10g × 1
    assert pools["gpu-large-pool"]["vmSize"] == "Standard_ND96isr_H100_v5"  # h100 × 8
    assert pools["gpu-large-pool"]["osDiskSizeGB"] == 500
    for pool in pools.values():
        assert pool["availabilityZones"] == ["1", "2", "3"]
        assert pool["scaleSetPriority"] == "Regular"
        assert pool["nodeTaints"] == ["nvidia.com/gpu=present:NoSchedule"]


def test_the_system_pool_defaults_to_standard_d4s_v5_across_the_zones(shipped_plan):
    (system,) = shipped_plan("azure-prod").get(AKS, "cluster-aks").inputs["agentPoolProfiles"]
    assert system["vmSize"] == "Standard_D4s_v5"
    assert (system["minCount"], system["maxCount"]) == (3, 6)
    assert system["availabilityZones"] == ["1", "2", "3"]


def test_pools_join_the_cluster_in_the_node_subnet(shipped_plan):
    plan = shipped_plan("azure-prod")
    cluster = plan.get(AKS, "cluster-aks")
    subnet = plan.get("azure-native:network:Subnet", "network-nodes")
    assert subnet.urn in cluster.property_dependencies["agentPoolProfiles"]
    for pool in plan.of_type(POOL):
        assert pool.property_dependencies["resourceName"] == [cluster.urn]
        assert pool.property_dependencies["vnetSubnetID"] == [subnet.urn]


def test_prod_is_private_with_kms_and_the_standard_tier(shipped_plan):
    aks = shipped_plan("azure-prod").get(AKS, "cluster-aks").inputs
    assert aks["apiServerAccessProfile"]["enablePrivateCluster"] is True
    assert aks["securityProfile"]["azureKeyVaultKms"]["enabled"] is True
    assert aks["sku"]["tier"] == "Standard"
    assert aks["disableLocalAccounts"] is True
    assert aks["networkProfile"]["networkPolicy"] == "cilium"
    assert aks["oidcIssuerProfile"]["enabled"] is True
    assert aks["securityProfile"]["workloadIdentity"]["enabled"] is True


def test_dev_admits_its_authorized_ranges_and_has_no_vault(dev):
    aks = dev.get(AKS, "cluster-aks").inputs
    assert aks["apiServerAccessProfile"] == {
        "enablePrivateCluster": False,
        "authorizedIPRanges": ["198.51.100.0/24", "203.0.113.0/24"],
    }
    assert "azureKeyVaultKms" not in aks["securityProfile"]
    assert dev.of_type("azure-native:keyvault:Vault") == []


def test_dev_gpus_are_spot_deleted_on_eviction_and_scale_to_zero(dev):
    pool = dev.get(POOL, "gpu-standard-pool").inputs
    assert pool["scaleSetPriority"] == "Spot"
    assert pool["scaleSetEvictionPolicy"] == "Delete"
    assert pool["spotMaxPrice"] == -1
    assert (pool["minCount"], pool["maxCount"]) == (0, 2)
    assert pool["availabilityZones"] == ["1", "2"]


STATEFUL = (
    (AKS, "cluster-aks"),
    ("azure-native:keyvault:Vault", "cluster-secrets-vault"),
    ("azure-native:keyvault:Key", "cluster-secrets-key"),
    ("azure-native:storage:StorageAccount", "storage-account"),
    ("azure-native:storage:BlobContainer", "storage-models"),
    ("azure-native:storage:BlobContainer", "storage-vector-snapshots"),
)


@pytest.mark.parametrize(("type_", "name"), STATEFUL)
def test_prod_protects_and_retains_stateful_resources(shipped_plan, type_, name):
    options = shipped_plan("azure-prod").get(type_, name).options
    assert options.protect and options.retain_on_delete


def test_dev_protects_nothing(dev):
    assert not any(r.options.protect for r in dev.resources)


def test_the_device_plugin_runs_on_the_cluster(shipped_plan):
    plan = shipped_plan("azure-prod")
    provider = plan.get("pulumi:providers:kubernetes", "cluster-k8s").urn
    release = plan.get("kubernetes:helm.sh/v3:Release", "nvidia-device-plugin-release")
    assert release.provider == provider
    assert (
        release.parent == plan.get("llm-infra:azure:NvidiaDevicePlugin", "nvidia-device-plugin").urn
    )


def test_outputs_name_the_cluster_issuer_and_storage_and_keep_the_kubeconfig_secret(shipped_plan):
    outputs = shipped_plan("azure-prod").outputs
    assert outputs["kubeconfig"] == "[secret]"
    assert outputs["cluster"]["name"] == "llm-infra-azure-prod"
    assert outputs["cluster"]["fqdn"].endswith(".privatelink.eastus.azmk8s.io")
    assert outputs["cluster"]["oidc_issuer_url"].startswith(
        "https://eastus.oic.prod-aks.azure.com/33333333-3333-4333-8333-333333333333/"
    )
    assert outputs["storage"]["containers"] == {
        "models": "models",
        "vector_snapshots": "vector-snapshots",
    }
    assert "kubelogin" not in shipped_plan("azure-prod").to_json()


def test_role_assignment_names_are_the_same_on_every_plan(shipped_plan, dev):
    prod = {
        r.name: r.inputs["roleAssignmentName"] for r in shipped_plan("azure-prod").of_type(ROLE)
    }
    assert prod == {
        r.name: r.inputs["roleAssignmentName"] for r in plan_stack("azure-prod").of_type(ROLE)
    }
    dev_names = {r.name: r.inputs["roleAssignmentName"] for r in dev.of_type(ROLE)}
    assert not set(prod.values()) & set(dev_names.values())


@pytest.mark.parametrize("stack", ["azure-prod", "azure-dev"])
def test_every_taggable_azure_resource_carries_the_stack_tags(shipped_plan, dev, stack):
    plan = shipped_plan(stack) if stack == "azure-prod" else dev
    untaggable = {
        ROLE,
        "azure-native:managedidentity:FederatedIdentityCredential",
        "azure-native:storage:BlobContainer",
        "azure-native:storage:BlobServiceProperties",
        "azure-native:storage:ManagementPolicy",
        "azure-native:network:Subnet",
    }
    taggable = [
        r for r in plan.resources if r.type.startswith("azure-native:") and r.type not in untaggable
    ]
    assert len(taggable) >= 10
    for resource in taggable:
        tags = resource.inputs.get("tags", {})
        assert tags.get("llm-infra-stack") == stack, resource.name
        assert tags.get("team") == "ml-platform", resource.name
        assert tags.get("cost-center") == "ml-serving", resource.name


def test_the_dev_variant_passes_both_policy_packs():
    report = run_check("azure-dev", DEV_PROJECT)
    assert [d for d in report.diagnostics if d.enforcement == "mandatory"] == []


def test_the_dev_variant_deploys_the_same_models_as_the_shipped_stack(dev):
    prod = shipped_config_values("azure-prod")["llm-infra:platform"]["models"]
    variant = yaml.safe_load((DEV_PROJECT / "Pulumi.azure-dev.yaml").read_text())
    names = [m["name"] for m in variant["config"]["llm-infra:platform"]["models"]]
    assert set(names) <= {m["name"] for m in prod}


def test_l4_on_azure_is_a_config_error_naming_the_pool_and_the_nearest_gpu():
    platform = shipped_config_values("azure-prod")["llm-infra:platform"]
    platform["gpu_pools"][0]["gpu"] = "l4"
    with pytest.raises(ConfigError) as error:
        load(platform, azure_location="eastus")
    rendered = error.value.render()
    assert "llm-infra:platform.gpu_pools[0].gpu: 'l4' is not offered on azure" in rendered
    assert "use a10g, the nearest" in rendered


def test_no_device_plugin_without_gpu_pools_and_no_snapshot_container_without_a_vector_db():
    platform = shipped_config_values("azure-prod")["llm-infra:platform"]
    platform.update(gpu_pools=[], models=[], vector_db={"enabled": False})
    config = load(platform, azure_location="eastus")

    def body():
        build_azure(config, {"team": "ml"})

    plan = run_components(body, region="eastus", cloud="azure")
    assert plan.of_type("llm-infra:azure:NvidiaDevicePlugin") == []
    assert plan.of_type(POOL) == []
    containers = [c.name for c in plan.of_type("azure-native:storage:BlobContainer")]
    assert containers == ["storage-models"]


def test_pods_for_dev_spot_pools_tolerate_the_aks_spot_taint():
    values = yaml.safe_load((DEV_PROJECT / "Pulumi.azure-dev.yaml").read_text())
    config = load(values["config"]["llm-infra:platform"], azure_location="eastus")
    tolerations = []

    def body():
        platform = build_azure(config, {"team": "ml"})
        assert platform.cluster is not None
        tolerations.extend(platform.cluster.gpu_tolerations("standard"))

    run_components(body, region="eastus", cloud="azure")
    assert [t.key for t in tolerations] == [
        "nvidia.com/gpu",
        "kubernetes.azure.com/scalesetpriority",
    ]
