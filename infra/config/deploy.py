"""`deploy`: where `pulumi up` runs, so that the cluster's API server is reachable from it."""

import re
from typing import Annotated

from pydantic import Field, StringConstraints

from components.enums import DeployRunner
from infra.config.base import Cidr, Section

GithubRepository = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
]
"""`owner/name`, as GitHub spells it."""

CONNECTION_ARN = re.compile(
    r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection/[0-9a-f-]{36}$"
)


class DeployConfig(Section):
    runner: DeployRunner = Field(
        DeployRunner.GITHUB_HOSTED,
        description="Where `pulumi up` runs. `github-hosted`: a GitHub-hosted runner, "
        "anywhere on the internet (the API server must be public to 0.0.0.0/0, or on GCP "
        "reached through `cluster.dns_endpoint`). `in-network`: the platform stage runs on a "
        "GitHub-hosted runner and the in-cluster stage on a runner this stack creates inside "
        "its network (AWS: a CodeBuild-hosted GitHub Actions runner in the private subnets; "
        "Azure: GitHub-hosted runners with Azure private networking in a delegated subnet; "
        "not offered on GCP, where the DNS endpoint needs no runner). `self-hosted`: a machine "
        'of yours whose egress ranges are `runner_cidrs` (docs/CI.md, "Deploy paths").',
    )
    runner_cidrs: tuple[Cidr, ...] = Field(
        (),
        description="Egress ranges of the `self-hosted` runner: each must be inside "
        "`cluster.public_access_cidrs` (public endpoint) or `cluster.private_access_cidrs` "
        "(private endpoint, over your VPN or peering). Only with `runner: self-hosted`.",
    )
    github_repository: GithubRepository | None = Field(
        None,
        description="The repository whose workflows deploy this stack, `owner/name`. "
        "Required with `runner: in-network` on AWS (the CodeBuild runner serves its jobs).",
    )
    aws_connection_arn: str | None = Field(
        None,
        description="ARN of the AWS CodeConnections (or CodeStar Connections) connection to "
        "GitHub that the CodeBuild runner registers through; created once in the console "
        "(docs/CI.md). Required with `runner: in-network` on AWS.",
    )
    runner_subnet_cidr: Cidr | None = Field(
        None,
        description="Azure, `runner: in-network`: the address range (/28 to /24, outside "
        "`network.cidr`) added to the VNet for the runners' subnet, delegated to "
        "GitHub.Network/networkSettings. GitHub sizes it as the most runners at once plus "
        "30%; Azure keeps 5 addresses of every subnet.",
    )
    github_organization_id: int | None = Field(
        None,
        ge=1,
        description="The GitHub organization's database id (`gh api orgs/<org> --jq .id`), "
        "the `businessId` of the Azure `GitHub.Network/networkSettings` resource. Required "
        "with `runner: in-network` on Azure.",
    )
