"""`deploy` and `cluster.dns_endpoint`: what config alone refuses, each with path and fix."""

import pytest

from components.enums import DeployRunner
from infra.config import ConfigError
from tests.harness import load, minimal_platform

P = "llm-infra:platform"
ARN = (
    "arn:aws:codeconnections:us-east-1:111122223333:connection/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
)


def issues_of(platform):
    keys = {"gcp_project": "p"} if platform.get("cloud") == "gcp" else {}
    with pytest.raises(ConfigError) as error:
        load(platform, **keys)
    return [str(issue) for issue in error.value.issues]


def path(issue: str) -> str:
    return issue.split(": ", 1)[0].removeprefix(f"{P}.")


def on(cloud: str, **deploy):
    platform = minimal_platform(deploy=deploy)
    platform["cloud"] = cloud
    platform["region"] = {"aws": "us-east-1", "gcp": "us-central1", "azure": "eastus"}[cloud]
    platform["network"]["availability_zones"] = {
        "aws": ["us-east-1a", "us-east-1b"],
        "gcp": ["us-central1-a", "us-central1-b"],
        "azure": ["1", "2"],
    }[cloud]
    platform["gpu_pools"] = [{"name": "standard", "gpu": "l4" if cloud != "azure" else "a10g"}]
    return platform


def test_the_default_is_a_github_hosted_runner():
    assert load(minimal_platform()).deploy.runner is DeployRunner.GITHUB_HOSTED


def test_an_aws_in_network_runner_loads_with_its_repository_and_connection():
    config = load(on("aws", runner="in-network", github_repository="o/r", aws_connection_arn=ARN))
    assert config.deploy.runner is DeployRunner.IN_NETWORK


def test_an_aws_in_network_runner_names_what_it_is_missing():
    issues = issues_of(on("aws", runner="in-network"))
    assert len(issues) == 2
    assert issues[0].startswith(f"{P}.deploy.github_repository: is missing, but runner is")
    assert issues[1].startswith(f"{P}.deploy.aws_connection_arn: is missing")
    assert all('docs/CI.md, "Deploy paths"' in issue for issue in issues)


def test_a_connection_arn_that_is_not_one_is_refused_with_where_to_copy_it():
    (issue,) = issues_of(
        on("aws", runner="in-network", github_repository="o/r", aws_connection_arn="arn:x")
    )
    assert issue.startswith(f"{P}.deploy.aws_connection_arn: 'arn:x' is not a CodeConnections")
    assert "Developer Tools → Settings → Connections" in issue


def test_in_network_is_not_offered_on_gcp_and_the_fix_is_the_dns_endpoint():
    (issue,) = issues_of(on("gcp", runner="in-network"))
    assert issue.startswith(f"{P}.deploy.runner: 'in-network' is not offered on GCP")
    assert issue.endswith("set deploy.runner: github-hosted and cluster.dns_endpoint: true")


def test_an_azure_in_network_runner_needs_its_subnet_and_organization():
    issues = issues_of(on("azure", runner="in-network"))
    assert sorted(path(i) for i in issues) == [
        "deploy.github_organization_id",
        "deploy.runner_subnet_cidr",
    ]
    config = load(
        on("azure", runner="in-network", runner_subnet_cidr="10.1.0.0/26", github_organization_id=9)
    )
    assert str(config.deploy.runner_subnet_cidr) == "10.1.0.0/26"


@pytest.mark.parametrize(
    ("cidr", "why"),
    [
        ("10.0.8.0/24", "overlaps 10.0.0.0/16"),  # the VNet (minimal_platform's default range)
        ("10.244.1.0/24", "overlaps 10.244.0.0/16"),  # AKS's overlay pods
        ("10.1.0.0/29", "is a /29"),  # smaller than a /28
        ("10.1.0.0/23", "is a /23"),
    ],
)
def test_an_azure_runner_subnet_outside_the_vnets_ranges_and_sized(cidr, why):
    platform = on("azure", runner="in-network", runner_subnet_cidr=cidr, github_organization_id=9)
    (issue,) = issues_of(platform)
    assert issue.startswith(f"{P}.deploy.runner_subnet_cidr: {cidr} {why}")


def test_keys_of_another_cloud_or_runner_are_refused():
    issues = issues_of(on("azure", github_repository="o/r", aws_connection_arn=ARN))
    assert [path(i) for i in issues] == [
        "deploy.github_repository",
        "deploy.aws_connection_arn",
    ]
    assert all(i.endswith("remove it") for i in issues)


def test_runner_cidrs_belong_to_a_self_hosted_runner_only():
    (issue,) = issues_of(on("aws", runner="self-hosted"))
    assert issue.startswith(f"{P}.deploy.runner_cidrs: is empty, but runner is 'self-hosted'")
    (issue,) = issues_of(on("aws", runner_cidrs=["198.51.100.0/24"]))
    assert issue.endswith("remove it, or set deploy.runner: self-hosted")
    config = load(on("aws", runner="self-hosted", runner_cidrs=["198.51.100.0/24"]))
    assert [str(c) for c in config.deploy.runner_cidrs] == ["198.51.100.0/24"]


@pytest.mark.parametrize("cloud", ["aws", "azure"])
def test_the_dns_endpoint_is_gkes_only(cloud):
    platform = on(cloud)
    platform["cluster"]["dns_endpoint"] = True
    (issue,) = issues_of(platform)
    assert issue.startswith(f"{P}.cluster.dns_endpoint: is true, but only GKE has")


def test_an_unknown_runner_is_a_validation_error_naming_the_choices():
    (issue,) = issues_of(on("aws", runner="laptop"))
    assert issue.startswith(f"{P}.deploy.runner:")
    assert "github-hosted" in issue and "in-network" in issue and "self-hosted" in issue


def test_azure_runners_need_the_nat_gateway_to_reach_github():
    platform = on(
        "azure", runner="in-network", runner_subnet_cidr="10.1.0.0/26", github_organization_id=9
    )
    platform["network"]["nat"] = "none"
    (issue,) = issues_of(platform)
    assert issue.startswith(f"{P}.network.nat: is 'none', but runner is 'in-network' on azure")
    assert issue.endswith("set network.nat: single (or one_per_az)")
