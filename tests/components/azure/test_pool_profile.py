from components.azure.pool_profile import (
    PoolProfile,
    capacity_settings,
    node_labels,
    node_taints,
    pool_settings,
)
from components.enums import CapacityType, GpuType

GPU = PoolProfile(
    pool="standard",
    vm_size="Standard_NV36ads_A10_v5",
    min_nodes=0,
    max_nodes=2,
    disk_size_gib=200,
    capacity_type=CapacityType.SPOT,
    gpu=GpuType.A10G,
    zones=("1", "2"),
)
SYSTEM = PoolProfile(
    pool="system",
    vm_size="Standard_D4s_v5",
    min_nodes=2,
    max_nodes=4,
    disk_size_gib=50,
    system=True,
)


def test_gpu_pools_carry_the_seams_taint_and_labels():
    assert node_taints(GPU) == ["nvidia.com/gpu=present:NoSchedule"]
    assert node_labels(GPU) == {"llm-infra.io/pool": "standard", "llm-infra.io/gpu": "a10g"}


def test_the_system_pool_admits_critical_add_ons_only_and_has_no_gpu_label():
    assert node_taints(SYSTEM) == ["CriticalAddonsOnly=true:NoSchedule"]
    assert node_labels(SYSTEM) == {"llm-infra.io/pool": "system"}
    settings = pool_settings(SYSTEM, "subnet")
    assert settings["mode"] == "System"
    assert "gpu_profile" not in settings


def test_spot_is_evicted_with_delete_at_up_to_the_on_demand_price():
    assert capacity_settings(CapacityType.SPOT) == {
        "scale_set_priority": "Spot",
        "scale_set_eviction_policy": "Delete",
        "spot_max_price": -1.0,
    }
    assert capacity_settings(CapacityType.ON_DEMAND) == {"scale_set_priority": "Regular"}


def test_gpu_pools_autoscale_from_zero_in_their_zones_with_the_nvidia_driver():
    settings = pool_settings(GPU, "subnet-id")
    assert settings["mode"] == "User"
    assert settings["enable_auto_scaling"] is True
    assert (settings["min_count"], settings["max_count"], settings["count"]) == (0, 2, 0)
    assert settings["availability_zones"] == ["1", "2"]
    assert settings["vnet_subnet_id"] == "subnet-id"
    assert settings["gpu_profile"] == {"driver": "Install"}
    assert settings["enable_node_public_ip"] is False


def test_a_pool_without_zones_leaves_zone_placement_to_azure():
    settings = pool_settings(SYSTEM, "subnet")
    assert "availability_zones" not in settings
    assert settings["count"] == 2


def test_a_pool_whose_vm_holds_another_variant_is_labelled_with_that_gpu():
    # Azure's NVadsA10 v5 VMs hold an NVIDIA A10 (Azure docs, "NVadsA10 v5-series"), which
    # configs name a10g: the node label says what the node has.
    a10 = PoolProfile(**{**GPU.__dict__, "gpu_label": "a10"})
    assert node_labels(a10) == {"llm-infra.io/pool": "standard", "llm-infra.io/gpu": "a10"}
    assert node_labels(GPU)["llm-infra.io/gpu"] == "a10g"


def test_a_cpu_user_pool_has_no_taint_and_no_gpu_label():
    cpu = PoolProfile(
        pool="cpu",
        agent_pool="cpu1",
        vm_size="Standard_D4s_v5",
        min_nodes=1,
        max_nodes=2,
        disk_size_gib=100,
        zones=("1",),
    )
    settings = pool_settings(cpu, "subnet-id")
    assert settings["mode"] == "User"
    assert settings["node_taints"] == []
    assert settings["node_labels"] == {"llm-infra.io/pool": "cpu"}
    assert settings["availability_zones"] == ["1"]
    assert "gpu_profile" not in settings
