"""Checks of the deploy path (`deploy`, `cluster.dns_endpoint`) that config alone can decide.

Whether the chosen path reaches the API server is decided on the plan, by the deploy
pack's `deploy-reaches-the-api` rule (infra/truth/reach.py): a stack may be written one way
and fixed another, and the check says how. These refuse what could not be built at all.
Same contract as infra.config.checks: each names the config path, the value and the fix.
"""

from collections.abc import Iterator
from ipaddress import IPv4Network

from components.azure.cluster import service_ranges
from components.enums import Cloud, DeployRunner, NatStrategy
from infra.config.checks import Check, ConfigView
from infra.config.deploy import CONNECTION_ARN
from infra.config.errors import PLATFORM_KEY, ConfigIssue, show

P = PLATFORM_KEY
# Azure subnets are /29 at the smallest; GitHub asks for room to spare (a /28 holds 11
# runners after Azure's 5 reserved addresses).
MIN_RUNNER_PREFIX, MAX_RUNNER_PREFIX = 24, 28


def _aks_ranges(vnet: IPv4Network) -> tuple[str, str]:
    ranges = service_ranges(vnet)
    return ranges.pod_cidr, ranges.service_cidr


IN_NETWORK = DeployRunner.IN_NETWORK.value


def check_runner_cidrs(view: ConfigView) -> Iterator[ConfigIssue]:
    deploy = view.deploy
    if deploy is None:
        return
    if deploy.runner is DeployRunner.SELF_HOSTED and not deploy.runner_cidrs:
        yield ConfigIssue(
            f"{P}.deploy.runner_cidrs",
            "is empty, but runner is 'self-hosted', so nothing says where `pulumi up` runs",
            "list the runner's egress ranges (its NAT or VPN addresses)",
        )
    if deploy.runner is not DeployRunner.SELF_HOSTED and deploy.runner_cidrs:
        yield ConfigIssue(
            f"{P}.deploy.runner_cidrs",
            f"is set, but runner is '{deploy.runner.value}', whose addresses the stack "
            "already knows",
            "remove it, or set deploy.runner: self-hosted",
        )


def check_in_network_runner(view: ConfigView) -> Iterator[ConfigIssue]:
    """What each cloud's in-network runner is built from (infra/platforms/*.py)."""
    deploy, cloud = view.deploy, view.cloud
    if deploy is None or cloud is None:
        return
    in_network = deploy.runner is DeployRunner.IN_NETWORK
    if in_network and cloud is Cloud.GCP:
        yield ConfigIssue(
            f"{P}.deploy.runner",
            f"'{IN_NETWORK}' is not offered on GCP: GKE's DNS-based endpoint lets a "
            "GitHub-hosted runner reach a private cluster, authorized by IAM",
            "set deploy.runner: github-hosted and cluster.dns_endpoint: true",
        )
    wanted = {
        "github_repository": in_network and cloud is Cloud.AWS,
        "aws_connection_arn": in_network and cloud is Cloud.AWS,
        "github_organization_id": in_network and cloud is Cloud.AZURE,
        "runner_subnet_cidr": in_network and cloud is Cloud.AZURE,
    }
    why = {
        "github_repository": "the CodeBuild runner serves this repository's jobs",
        "aws_connection_arn": "the CodeBuild runner registers with GitHub through it",
        "github_organization_id": "the Azure network settings are bound to the organization",
        "runner_subnet_cidr": "the runners take their addresses from a subnet of their own",
    }
    for key, needed in wanted.items():
        value = getattr(deploy, key)
        if needed and value is None:
            yield ConfigIssue(
                f"{P}.deploy.{key}",
                f"is missing, but runner is '{IN_NETWORK}' on {cloud.value}: {why[key]}",
                'set it (docs/CI.md, "Deploy paths"), or choose another deploy.runner',
            )
        if not needed and value is not None:
            yield ConfigIssue(
                f"{P}.deploy.{key}",
                f"is set, but only an {IN_NETWORK} runner on "
                f"{'AWS' if key.startswith(('github_repository', 'aws_')) else 'Azure'} uses it",
                "remove it",
            )
    network = view.network
    if in_network and cloud is Cloud.AZURE and network and network.nat is NatStrategy.NONE:
        yield ConfigIssue(
            f"{P}.network.nat",
            f"is 'none', but runner is '{IN_NETWORK}' on azure: the runners' subnet "
            "egresses through the VNet's NAT gateway (default outbound access is off), "
            "so a runner could never reach GitHub",
            "set network.nat: single (or one_per_az)",
        )
    subnet = deploy.runner_subnet_cidr
    if subnet is not None and not MIN_RUNNER_PREFIX <= subnet.prefixlen <= MAX_RUNNER_PREFIX:
        yield ConfigIssue(
            f"{P}.deploy.runner_subnet_cidr",
            f"{subnet} is a /{subnet.prefixlen}; the runners' subnet is a /{MIN_RUNNER_PREFIX} "
            f"to a /{MAX_RUNNER_PREFIX}",
            f"use a /{MAX_RUNNER_PREFIX} (11 runners at once) up to a /{MIN_RUNNER_PREFIX}",
        )
    if subnet is not None and view.network is not None:
        taken = [view.network.cidr, *map(IPv4Network, _aks_ranges(view.network.cidr))]
        clash = next((t for t in taken if t.overlaps(subnet)), None)
        if clash is not None:
            yield ConfigIssue(
                f"{P}.deploy.runner_subnet_cidr",
                f"{subnet} overlaps {clash} (the VNet's range or the cluster's pod and "
                "service ranges)",
                "choose a range outside all of them, e.g. the /24 after network.cidr",
            )
    arn = deploy.aws_connection_arn
    if arn is not None and not CONNECTION_ARN.match(arn):
        yield ConfigIssue(
            f"{P}.deploy.aws_connection_arn",
            f"{show(arn)} is not a CodeConnections connection ARN",
            "copy the ARN from Developer Tools → Settings → Connections "
            "(arn:aws:codeconnections:<region>:<account>:connection/<id>)",
        )


def check_dns_endpoint(view: ConfigView) -> Iterator[ConfigIssue]:
    if view.cluster is None or not view.cluster.dns_endpoint or view.cloud in (None, Cloud.GCP):
        return
    assert view.cloud is not None
    yield ConfigIssue(
        f"{P}.cluster.dns_endpoint",
        f"is true, but only GKE has a DNS-based control-plane endpoint ({view.cloud.value} "
        "does not)",
        "remove it; reach a private cluster with deploy.runner: in-network",
    )


DEPLOY_CHECKS: tuple[Check, ...] = (check_runner_cidrs, check_in_network_runner, check_dns_endpoint)
