import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.aws.cloudwatch import RETENTION_DAYS, nearest_retention
from infra.config import ConfigError
from tests.harness import load, minimal_platform

P = "llm-infra:platform"


def issues_of(platform):
    with pytest.raises(ConfigError) as error:
        load(platform)
    return [str(issue) for issue in error.value.issues]


def test_a_retention_cloudwatch_rejects_is_an_error_naming_the_nearest():
    platform = minimal_platform()
    platform["cluster"]["log_retention_days"] = 40
    (issue,) = issues_of(platform)
    assert issue.startswith(f"{P}.cluster.log_retention_days: 40 is not a retention CloudWatch")
    assert issue.endswith("use 30, the nearest")


@pytest.mark.parametrize("days", [1, 30, 365, 3653])
def test_accepted_retentions_load(days):
    platform = minimal_platform()
    platform["cluster"]["log_retention_days"] = days
    assert load(platform).cluster.log_retention_days == days


def test_other_clouds_keep_any_retention():
    platform = minimal_platform(cloud="gcp", region="us-central1")
    platform["network"] = {"availability_zones": ["us-central1-a"]}
    platform["cluster"]["log_retention_days"] = 45
    platform["gpu_pools"] = [{"name": "standard", "gpu": "l4"}]
    assert load(platform, gcp_project="p").cluster.log_retention_days == 45


def test_pool_zones_need_the_network_zones_named():
    platform = minimal_platform()
    platform["network"] = {"zone_count": 2}
    platform["gpu_pools"][0]["zones"] = ["us-east-1a"]
    (issue,) = issues_of(platform)
    assert issue.startswith(f"{P}.gpu_pools[0].zones: is set, but network.availability_zones")


@given(st.integers(min_value=1, max_value=3653))
def test_the_nearest_retention_is_accepted_and_no_other_is_closer(days):
    nearest = nearest_retention(days)
    assert nearest in RETENTION_DAYS
    assert all(abs(other - days) >= abs(nearest - days) for other in RETENTION_DAYS)


def test_a_tie_takes_the_longer_retention():
    assert nearest_retention(45) == 60


def test_no_gpu_pool_may_take_the_system_pools_name():
    platform = minimal_platform()
    platform["gpu_pools"][0]["name"] = "system"
    platform["models"][0]["pool"] = "system"
    (issue,) = issues_of(platform)
    assert issue.startswith(f"{P}.gpu_pools[0].name: 'system' is the name of the cluster's CPU")


def azure_platform(pool_name):
    return minimal_platform(
        cloud="azure",
        region="eastus",
        network={"availability_zones": ["1", "2"]},
        gpu_pools=[{"name": pool_name, "gpu": "a10g"}],
        models=[
            {
                "name": "llama",
                "hf_model_id": "meta-llama/Llama-3.1-8B-Instruct",
                "pool": pool_name,
                "max_model_len_tokens": 8192,
            }
        ],
    )


@pytest.mark.parametrize("name", ["gpu-a10", "averylongpoolname"])
def test_an_azure_pool_name_aks_rejects_is_an_error_with_a_suggestion(name):
    (issue,) = issues_of(azure_platform(name))
    assert issue.startswith(f"{P}.gpu_pools[0].name: '{name}' cannot name an AKS node pool")
    suggestion = issue.rsplit("'", 2)[1]
    assert load(azure_platform(suggestion)).gpu_pools[0].name == suggestion


def test_the_same_pool_name_is_fine_on_aws():
    platform = minimal_platform()
    platform["gpu_pools"][0]["name"] = "gpu-a10"
    platform["models"][0]["pool"] = "gpu-a10"
    assert load(platform).gpu_pools[0].name == "gpu-a10"


@pytest.mark.parametrize("name", ["cpu", "cpu1", "cpu3"])
def test_an_azure_gpu_pool_may_not_take_the_cpu_pools_names(name):
    (issue,) = issues_of(azure_platform(name))
    assert issue.startswith(f"{P}.gpu_pools[0].name: '{name}' is the name of the cluster's CPU")
    assert issue.endswith("give the GPU pool another name")


def test_cpu_pool_bounds_must_be_ordered_on_azure():
    platform = azure_platform("standard")
    platform["cluster"]["cpu_pool"] = {"min_nodes_per_zone": 3, "max_nodes_per_zone": 2}
    (issue,) = issues_of(platform)
    assert issue == (
        f"{P}.cluster.cpu_pool.min_nodes_per_zone: 3 is above max_nodes_per_zone (2); "
        "lower min_nodes_per_zone or raise max_nodes_per_zone"
    )


def test_an_aks_maintenance_window_is_one_day_or_every_day():
    # AKS docs, "Use planned maintenance": a window recurs daily, weekly (one day) or monthly.
    platform = azure_platform("standard")
    platform["cluster"]["maintenance_window"] = {"days": ["saturday", "sunday"]}
    (issue,) = issues_of(platform)
    assert issue.startswith(
        f'{P}.cluster.maintenance_window.days: ["saturday", "sunday"] is neither one day'
    )
    assert issue.endswith("keep one day (e.g. [saturday]) or list all seven")
    week = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    platform["cluster"]["maintenance_window"] = {"days": week}
    assert len(load(platform).cluster.maintenance_window.days) == 7


def test_a_window_shorter_than_aks_takes_is_a_config_error():
    platform = azure_platform("standard")
    platform["cluster"]["maintenance_window"] = {"duration_hours": 2}
    (issue,) = issues_of(platform)
    assert issue.startswith(f"{P}.cluster.maintenance_window.duration_hours:")


def test_private_access_ranges_are_refused_on_azure_with_the_way_there():
    # AKS docs, "Create a private AKS cluster": the private API is reached from networks
    # peered with the cluster's and linked to its private DNS zone, not by source range
    platform = minimal_platform(cloud="azure", region="eastus")
    platform["network"] = {"availability_zones": ["1", "2"]}
    platform["gpu_pools"] = [{"name": "standard", "gpu": "a10g"}]
    platform["cluster"] = {"private_access_cidrs": ["192.168.8.0/24"]}
    issues = issues_of(platform)
    assert any(
        i.startswith(f"{P}.cluster.private_access_cidrs: is not used on Azure") and "peer" in i
        for i in issues
    ), issues
