"""The Azure platform as the shipped stack (and its tests-only dev variant) builds it."""

from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from infra.config import ConfigError
from infra.offline.plan import plan_stack
from infra.platforms.azure import build_azure
from infra.policy.check import run_check
from tests.harness import load, plan_document, run_components, shipped_config_values
from tests.infra.platforms.test_aws import with_a_multi_node_replica

AKS = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
ROLE = "azure-native:authorization:RoleAssignment"
DEV_PROJECT = Path(__file__).parent / "azure_dev"


@pytest.fixture(scope="module")
def dev():
    return plan_stack("azure-dev", DEV_PROJECT)


def test_one_user_pool_per_gpu_pool_with_the_catalogs_vm_size(shipped_plan):
    pools = {
        r.name: r.inputs
        for r in shipped_plan("azure-prod").of_type(POOL)
        if r.name.startswith("gpu-")
    }
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
    ("azure-native:keyvault:Vault", "cluster-disks-vault"),
    ("azure-native:keyvault:Key", "cluster-disks-key"),
    ("azure-native:compute:DiskEncryptionSet", "cluster-disks-set"),
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
        "azure-native:containerservice:MaintenanceConfiguration",
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
    assert [p.name for p in plan.of_type(POOL)] == ["cpu-1-pool", "cpu-2-pool", "cpu-3-pool"]
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


CPU_POOLS = ("cpu-1-pool", "cpu-2-pool", "cpu-3-pool")


def test_the_platforms_cpu_pods_get_one_untainted_user_pool_per_zone(shipped_plan):
    # AKS docs, "Manage system node pools": the System pool (CriticalAddonsOnly) is for
    # critical add-ons, application pods go to User pools. AKS docs, "Cluster autoscaling in
    # AKS overview": one pool per zone for workloads on zonal volumes (Qdrant, Prometheus),
    # so that a volume's zone always has a node to come back to.
    plan = shipped_plan("azure-prod")
    pools = {name: plan.get(POOL, name).inputs for name in CPU_POOLS}
    for zone, (name, pool) in enumerate(sorted(pools.items()), start=1):
        assert pool["agentPoolName"] == f"cpu{zone}", name
        assert pool["availabilityZones"] == [str(zone)]
        assert pool["mode"] == "User"
        assert pool["nodeTaints"] == []
        assert pool["nodeLabels"] == {"llm-infra.io/pool": "cpu"}
        assert pool["vmSize"] == "Standard_D4s_v5"
        # prod default: two nodes a zone (Qdrant × 3, embeddings × 2, monitoring, KEDA)
        assert (pool["minCount"], pool["maxCount"]) == (2, 4)
        assert pool["enableAutoScaling"] is True
    aks = plan.get(AKS, "cluster-aks").inputs
    assert aks["autoScalerProfile"]["balanceSimilarNodeGroups"] == "true"


def test_dev_cpu_pools_keep_one_node_a_zone(dev):
    pools = [r for r in dev.of_type(POOL) if r.name.startswith("cpu-")]
    assert [p.inputs["agentPoolName"] for p in pools] == ["cpu1", "cpu2", "cpu3"]
    assert {(p.inputs["minCount"], p.inputs["maxCount"]) for p in pools} == {(1, 2)}


def test_the_cpu_pools_are_what_cpu_workloads_select_and_wait_for():
    platform_raw = shipped_config_values("azure-prod")["llm-infra:platform"]
    config = load(platform_raw, azure_location="eastus")
    seen: dict[str, Any] = {}

    def record(key: str):
        def store(urns: list[str]) -> None:
            seen[key] = set(urns)

        return store

    def body():
        platform = build_azure(config, {"team": "ml"})
        cluster = platform.cluster
        assert cluster is not None
        seen["selector"] = dict(cluster.cpu_node_selector())
        seen["tolerations"] = cluster.cpu_tolerations()
        for key, resources in (
            ("ready", cluster.cpu_nodes_ready()),
            ("storage", cluster.storage_ready()),
            ("standard", cluster.gpu_nodes_ready("standard")),
        ):
            pulumi.Output.all(*(r.urn for r in resources)).apply(record(key))

    plan = run_components(body, region="eastus", cloud="azure")
    assert seen["selector"] == {"llm-infra.io/pool": "cpu"}
    assert seen["tolerations"] == []
    ready = seen["ready"]
    assert ready == {plan.get(POOL, name).urn for name in CPU_POOLS}
    # a claim waits for the StorageClass and for the CPU nodes its pod lands on
    storage = seen["storage"]
    assert (
        plan.get("kubernetes:storage.k8s.io/v1:StorageClass", "cluster-premium-ssd").urn in storage
    )
    assert ready <= storage
    # a model server waits for its own pool and the device plugin, not for the CPU pools
    assert seen["standard"] == {
        plan.get(POOL, "gpu-standard-pool").urn,
        plan.get("kubernetes:helm.sh/v3:Release", "nvidia-device-plugin-release").urn,
    }


def test_the_device_plugin_runs_on_gpu_nodes_so_it_waits_for_no_cpu_pool(shipped_plan):
    plan = shipped_plan("azure-prod")
    release = plan.get("kubernetes:helm.sh/v3:Release", "nvidia-device-plugin-release")
    values = release.inputs["values"]
    terms = values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms["nodeSelectorTerms"] == [
        {"matchExpressions": [{"key": "llm-infra.io/gpu", "operator": "Exists"}]}
    ]
    cpu = {plan.get(POOL, name).urn for name in CPU_POOLS}
    assert not cpu & set(release.options.depends_on)


def test_a10_nodes_are_labelled_a10_while_config_says_a10g(shipped_plan):
    # The shipped stack asks for gpu: a10g; Azure's NVadsA10 v5 VMs hold an NVIDIA A10
    # (Azure docs, "NVadsA10 v5-series"), so the node label is the GPU the node has.
    plan = shipped_plan("azure-prod")
    platform = shipped_config_values("azure-prod")["llm-infra:platform"]
    assert platform["gpu_pools"][0]["gpu"] == "a10g"
    labels = plan.get(POOL, "gpu-standard-pool").inputs["nodeLabels"]
    assert labels == {"llm-infra.io/pool": "standard", "llm-infra.io/gpu": "a10"}
    assert plan.get(POOL, "gpu-large-pool").inputs["nodeLabels"]["llm-infra.io/gpu"] == "h100"


def test_without_zones_one_cpu_pool_spans_the_region():
    platform = shipped_config_values("azure-prod")["llm-infra:platform"]
    del platform["network"]["availability_zones"]
    config = load(platform, azure_location="eastus")

    def body():
        build_azure(config, {"team": "ml"})

    plan = run_components(body, region="eastus", cloud="azure")
    (pool,) = [r for r in plan.of_type(POOL) if r.name.startswith("cpu")]
    assert pool.name == "cpu-pool"
    assert pool.inputs["agentPoolName"] == "cpu"
    assert "availabilityZones" not in pool.inputs


def test_config_sizes_the_cpu_pools_and_the_maintenance_window():
    platform = shipped_config_values("azure-prod")["llm-infra:platform"]
    platform["cluster"]["cpu_pool"] = {
        "instance_type": "Standard_D8s_v5",
        "min_nodes_per_zone": 0,
        "max_nodes_per_zone": 6,
        "disk_size_gib": 128,
    }
    platform["cluster"]["maintenance_window"] = {
        "days": ["saturday"],
        "start_time_utc": "21:00",
        "duration_hours": 8,
    }
    config = load(platform, azure_location="eastus")

    def body():
        build_azure(config, {"team": "ml"})

    plan = run_components(body, region="eastus", cloud="azure")
    pool = plan.get(POOL, "cpu-2-pool").inputs
    assert (pool["vmSize"], pool["minCount"], pool["maxCount"]) == ("Standard_D8s_v5", 0, 6)
    assert pool["osDiskSizeGB"] == 128
    window = plan.get(
        "azure-native:containerservice:MaintenanceConfiguration", "cluster-maintenance-auto-upgrade"
    ).inputs["maintenanceWindow"]
    assert window["schedule"] == {"weekly": {"dayOfWeek": "Saturday", "intervalWeeks": 1}}
    assert (window["startTime"], window["durationHours"]) == ("21:00", 8)


def test_the_kubernetes_provider_waits_for_the_deployers_admin_grant(shipped_plan):
    plan = shipped_plan("azure-prod")
    provider = plan.get("pulumi:providers:kubernetes", "cluster-k8s")
    assert plan.get(ROLE, "cluster-deployer-admin").urn in provider.options.depends_on
    assert (
        plan.get("time:index/sleep:Sleep", "cluster-deployer-admin-propagation").urn
        in provider.options.depends_on
    )
    assert "principalType" not in plan.get(ROLE, "cluster-deployer-admin").inputs


def test_prod_encrypts_node_and_volume_disks_with_its_own_key(shipped_plan):
    plan = shipped_plan("azure-prod")
    encryption_set = plan.get("azure-native:compute:DiskEncryptionSet", "cluster-disks-set")
    aks = plan.get(AKS, "cluster-aks")
    assert aks.property_dependencies["diskEncryptionSetID"] == [encryption_set.urn]
    storage_class = plan.get("kubernetes:storage.k8s.io/v1:StorageClass", "cluster-premium-ssd")
    assert (
        storage_class.inputs["parameters"]["diskEncryptionSetID"]
        == aks.inputs["diskEncryptionSetID"]
    )
    vault = plan.get("azure-native:keyvault:Vault", "cluster-disks-vault").inputs["properties"]
    assert vault["networkAcls"]["defaultAction"] == "Deny"


PPG = "azure-native:compute:ProximityPlacementGroup"


def test_a_pool_holding_a_multi_node_replica_gets_a_proximity_placement_group_alone(
    shipped_plan, tmp_path
):
    plan = plan_document(tmp_path, with_a_multi_node_replica("azure-prod", "2"), stack="azure-prod")
    (ppg,) = plan.of_type(PPG)
    assert ppg.name == "gpu-group-ppg"
    assert ppg.parent == plan.get("llm-infra:azure:NodePool", "gpu-group").urn
    # in the platform's resource group, in the pool's one zone, for its VM size
    # (reduce-latency-ppg.md; co-location.md "Use intent")
    group = plan.get("azure-native:resources:ResourceGroup", "resource-group")
    assert ppg.property_dependencies["resourceGroupName"] == [group.urn]
    assert ppg.inputs["location"] == "eastus"
    assert ppg.inputs["proximityPlacementGroupType"] == "Standard"
    assert ppg.inputs["zones"] == ["2"]
    assert ppg.inputs["intent"] == {"vmSizes": ["Standard_ND96isr_H100_v5"]}
    after = {r.name: r for r in plan.of_type(POOL)}
    pool = after.pop("gpu-group-pool")
    assert pool.property_dependencies["proximityPlacementGroupID"] == [ppg.urn]
    assert pool.inputs["availabilityZones"] == ["2"]
    assert pool.inputs["vmSize"] == "Standard_ND96isr_H100_v5"
    # every other pool as the shipped stack has it
    shipped = shipped_plan("azure-prod")
    before = {r.name: r.inputs for r in shipped.of_type(POOL)}
    assert {name: r.inputs for name, r in after.items()} == before
    assert all("proximityPlacementGroupID" not in inputs for inputs in before.values())
    assert shipped.of_type(PPG) == []
