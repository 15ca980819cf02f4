"""What EKS and the AWS platform cannot run is refused with the path and the fix."""

import pytest

from infra.config import ConfigError
from tests.harness import load, minimal_platform

P = "llm-infra:platform"


def issues_of(platform):
    with pytest.raises(ConfigError) as error:
        load(platform)
    return [str(issue) for issue in error.value.issues]


def test_no_nat_is_refused_on_aws():
    # Private subnets without NAT reach only the S3/ECR/STS endpoints the network creates:
    # no EC2, Auto Scaling, EKS or CloudWatch Logs API and no public registry.
    platform = minimal_platform()
    platform["network"]["nat"] = "none"
    (issue,) = issues_of(platform)
    assert issue.startswith(f"{P}.network.nat: 'none' leaves the nodes no way")
    assert issue.endswith("use 'single' or 'one_per_az'")


def test_other_clouds_keep_their_own_nat_verdicts():
    platform = minimal_platform(cloud="gcp", region="us-central1")
    platform["network"] = {"availability_zones": ["us-central1-a"], "nat": "none"}
    assert load(platform, gcp_project="p").network.nat.value == "none"


def test_a_minor_without_a_pinned_autoscaler_is_refused():
    platform = minimal_platform()
    platform["cluster"]["kubernetes_version"] = "1.29"
    (issue,) = issues_of(platform)
    assert issue.startswith(f"{P}.cluster.kubernetes_version: '1.29' has no pinned Cluster")
    assert "pinned: 1.31, 1.32, 1.33, 1.34, 1.35" in issue


@pytest.mark.parametrize("version", ["1.31", "1.32", "1.33", "1.34", "1.35"])
def test_pinned_minors_load(version):
    platform = minimal_platform()
    platform["cluster"]["kubernetes_version"] = version
    assert load(platform).cluster.kubernetes_version == version


def test_a_cpu_pool_type_too_small_for_cpu_embeddings_is_refused():
    platform = minimal_platform(embeddings={"enabled": True})
    platform["cluster"]["system_pool"] = {"instance_type": "m6i.large"}
    (issue,) = issues_of(platform)
    assert issue.startswith(f"{P}.cluster.system_pool.instance_type: 'm6i.large' has 1730m CPU")
    assert "embeddings requests 2000m" in issue
    platform["embeddings"]["pool"] = "standard"  # on the GPU pool, the small type is enough
    assert load(platform).cluster.system_pool.instance_type == "m6i.large"


def test_a_type_without_sizing_facts_needs_counts():
    platform = minimal_platform()
    platform["cluster"]["system_pool"] = {"instance_type": "c7i.xlarge"}
    (issue,) = issues_of(platform)
    assert issue.startswith(f"{P}.cluster.system_pool.instance_type: 'c7i.xlarge' has no sizing")
    platform["cluster"]["system_pool"].update(min_nodes=2, max_nodes=4)
    assert load(platform).cluster.system_pool.instance_type == "c7i.xlarge"
