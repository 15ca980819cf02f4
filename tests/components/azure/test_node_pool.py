import pytest

from components.azure.node_pool import NodePool
from components.azure.pool_profile import PoolProfile
from components.enums import CapacityType, GpuType
from tests.harness import run_components

POOL = "azure-native:containerservice:AgentPool"


def build(capacity):
    def body():
        NodePool(
            "gpu-standard",
            PoolProfile(
                pool="standard",
                vm_size="Standard_NV36ads_A10_v5",
                min_nodes=0,
                max_nodes=3,
                disk_size_gib=200,
                capacity_type=capacity,
                gpu=GpuType.A10G,
                zones=("1", "2"),
                tags={"team": "ml"},
            ),
            resource_group_name="rg",
            cluster_name="llm-test",
            subnet_id="subnet-id",
        )

    return run_components(body, region="eastus", cloud="azure")


@pytest.fixture(scope="module")
def spot():
    return build(CapacityType.SPOT)


def test_a_user_pool_on_the_cluster_named_after_the_config_pool(spot):
    pool = spot.get(POOL, "gpu-standard-pool")
    assert pool.parent == spot.get("llm-infra:azure:NodePool", "gpu-standard").urn
    assert pool.inputs["agentPoolName"] == "standard"
    assert pool.inputs["resourceName"] == "llm-test"
    assert pool.inputs["mode"] == "User"
    assert pool.inputs["vnetSubnetID"] == "subnet-id"
    assert pool.inputs["tags"] == {"team": "ml"}


def test_gpu_taint_labels_and_autoscaling_from_zero(spot):
    pool = spot.get(POOL, "gpu-standard-pool").inputs
    assert pool["nodeTaints"] == ["nvidia.com/gpu=present:NoSchedule"]
    assert pool["nodeLabels"] == {"llm-infra.io/pool": "standard", "llm-infra.io/gpu": "a10g"}
    assert pool["enableAutoScaling"] is True
    assert (pool["minCount"], pool["maxCount"]) == (0, 3)
    assert pool["availabilityZones"] == ["1", "2"]
    assert pool["vmSize"] == "Standard_NV36ads_A10_v5"


def test_the_autoscaler_owns_the_node_count(spot):
    assert spot.get(POOL, "gpu-standard-pool").options.ignore_changes == ["count"]


def test_spot_pools_are_deleted_on_eviction(spot):
    pool = spot.get(POOL, "gpu-standard-pool").inputs
    assert pool["scaleSetPriority"] == "Spot"
    assert pool["scaleSetEvictionPolicy"] == "Delete"
    assert pool["spotMaxPrice"] == -1


def test_on_demand_pools_have_regular_priority_and_no_spot_settings():
    pool = build(CapacityType.ON_DEMAND).get(POOL, "gpu-standard-pool").inputs
    assert pool["scaleSetPriority"] == "Regular"
    assert "scaleSetEvictionPolicy" not in pool
    assert "spotMaxPrice" not in pool


def test_a_pool_can_carry_a_pool_label_other_than_its_aks_name():
    def body():
        NodePool(
            "cpu-1",
            PoolProfile(
                pool="cpu",
                agent_pool="cpu1",
                vm_size="Standard_D4s_v5",
                min_nodes=1,
                max_nodes=2,
                disk_size_gib=100,
                zones=("1",),
            ),
            resource_group_name="rg",
            cluster_name="llm-test",
            subnet_id="subnet-id",
        )

    pool = run_components(body, region="eastus", cloud="azure").get(POOL, "cpu-1-pool").inputs
    assert pool["agentPoolName"] == "cpu1"
    assert pool["nodeLabels"] == {"llm-infra.io/pool": "cpu"}


PPG = "azure-native:compute:ProximityPlacementGroup"


def build_compact(**overrides):
    profile = {
        "pool": "big",
        "vm_size": "Standard_ND96isr_H100_v5",
        "min_nodes": 0,
        "max_nodes": 2,
        "disk_size_gib": 500,
        "gpu": GpuType.H100,
        "zones": ("2",),
        "tags": {"team": "ml"},
        "proximity_placement": True,
        **overrides,
    }

    def body():
        NodePool(
            "gpu-big",
            PoolProfile(**profile),
            resource_group_name="rg",
            cluster_name="llm-test",
            subnet_id="subnet-id",
            location="eastus",
        )

    return run_components(body, region="eastus", cloud="azure")


def test_a_compact_pool_joins_its_own_proximity_placement_group_in_its_zone():
    # reduce-latency-ppg.md "Limitations": one zone, a scale-set pool; co-location.md
    # "Use intent": a zone in the PPG only together with the VM sizes it is for.
    plan = build_compact()
    ppg = plan.get(PPG, "gpu-big-ppg")
    assert ppg.parent == plan.get("llm-infra:azure:NodePool", "gpu-big").urn
    assert ppg.inputs["resourceGroupName"] == "rg"
    assert ppg.inputs["location"] == "eastus"
    assert ppg.inputs["proximityPlacementGroupType"] == "Standard"
    assert ppg.inputs["zones"] == ["2"]
    assert ppg.inputs["intent"] == {"vmSizes": ["Standard_ND96isr_H100_v5"]}
    assert ppg.inputs["tags"] == {"team": "ml"}
    pool = plan.get(POOL, "gpu-big-pool")
    assert (
        "/resourceGroups/rg/providers/Microsoft.Compute/proximityPlacementGroups/gpu-big-ppg"
        in (pool.inputs["proximityPlacementGroupID"])
    )
    assert pool.property_dependencies["proximityPlacementGroupID"] == [ppg.urn]
    assert pool.inputs["availabilityZones"] == ["2"]
    assert pool.inputs["type"] == "VirtualMachineScaleSets"


def test_pools_have_no_proximity_placement_group_unless_asked(spot):
    assert spot.of_type(PPG) == []
    assert "proximityPlacementGroupID" not in spot.get(POOL, "gpu-standard-pool").inputs


def test_a_gpu_pool_is_replaced_delete_first_when_its_placement_group_changes(spot):
    # A pool joins a PPG "at node pool create time only" (reduce-latency-ppg.md), so turning
    # it on or off replaces the pool; its AKS name is fixed, so the old one goes first.
    for plan, name in ((spot, "gpu-standard-pool"), (build_compact(), "gpu-big-pool")):
        options = plan.get(POOL, name).options
        assert options.replace_on_changes == ["proximityPlacementGroupID"]
        assert options.delete_before_replace is True
        assert options.ignore_changes == ["count"]


def test_cpu_pools_keep_their_options():
    def body():
        NodePool(
            "cpu-1",
            PoolProfile(
                pool="cpu",
                agent_pool="cpu1",
                vm_size="Standard_D4s_v5",
                min_nodes=1,
                max_nodes=2,
                disk_size_gib=100,
                zones=("1",),
            ),
            resource_group_name="rg",
            cluster_name="llm-test",
            subnet_id="subnet-id",
        )

    options = run_components(body, region="eastus", cloud="azure").get(POOL, "cpu-1-pool").options
    assert options.replace_on_changes == []
    assert options.delete_before_replace is False


def test_a_proximity_placement_group_needs_exactly_one_zone():
    with pytest.raises(Exception, match="exactly one"):
        build_compact(zones=("1", "2"))
    with pytest.raises(Exception, match="exactly one"):
        build_compact(zones=())
