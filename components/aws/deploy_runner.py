"""A CodeBuild-hosted GitHub Actions runner in the VPC, for the in-cluster deploy stage.

A private EKS endpoint answers only the VPC and networks connected to it (EKS user guide,
"cluster-endpoint"). CodeBuild runs a GitHub Actions job on an ephemeral runner when the
webhook reports a queued job whose `runs-on` names the project (CodeBuild user guide,
"action-runner": label `codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}`,
webhook filter `WORKFLOW_JOB_QUEUED`); with a VPC configuration the build's network
interface sits in the private subnets (CodeBuild user guide, "vpc-support").

The runner's role only writes its logs and manages its network interfaces: the deploy
itself assumes the deploy role by GitHub OIDC, as on a GitHub-hosted runner, so a job
that is not the deploy gets network reach and nothing else.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws.logs import encrypted_log_group
from components.aws.policies import service_trust_policy

# CodeBuild's Ubuntu 22.04 standard image: Python 3.11 by default (pyenv), AWS CLI v2 and
# Node.js (CodeBuild user guide, "build-env-ref-available", aws/codebuild/standard:7.0), so
# the deploy job needs no setup-python and `aws eks get-token` works as on GitHub's images.
IMAGE = "aws/codebuild/standard:7.0"
# 4 vCPUs, 7 GB (CodeBuild user guide, "build-env-ref-compute-types": general1.medium):
# pulumi up of the whole program, three policy packs beside it.
COMPUTE_TYPE = "BUILD_GENERAL1_MEDIUM"
# A deploy waits for GPU nodes and model loads (the workflow's job allows 120 minutes).
BUILD_TIMEOUT_MINUTES = 180
HTTPS = 443
TYPE = "llm-infra:aws:CodeBuildRunner"


def runner_label(project_name: str) -> str:
    """The `runs-on` of a job this runner takes (the run's id and attempt follow it)."""
    return f"codebuild-{project_name}"


def vpc_statements(
    region: str, account: str, partition: str, subnet_ids: Sequence[str]
) -> list[dict[str, Any]]:
    """What CodeBuild needs to place a build in the VPC's subnets (CodeBuild user guide,
    "auth-and-access-control-iam-identity-based-access-control": VPC access)."""
    subnet_arns = [f"arn:{partition}:ec2:{region}:{account}:subnet/{s}" for s in subnet_ids]
    return [
        {
            "Effect": "Allow",
            "Action": [
                "ec2:CreateNetworkInterface",
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DeleteNetworkInterface",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeVpcs",
            ],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": "ec2:CreateNetworkInterfacePermission",
            "Resource": f"arn:{partition}:ec2:{region}:{account}:network-interface/*",
            "Condition": {
                "StringEquals": {"ec2:AuthorizedService": "codebuild.amazonaws.com"},
                "ArnEquals": {"ec2:Subnet": list(subnet_arns)},
            },
        },
    ]


@dataclass(frozen=True)
class CodeBuildRunnerArgs:
    project_name: str
    github_repository: str
    """`owner/name`: the repository whose queued jobs the webhook reports."""
    connection_arn: str
    """The CodeConnections connection to GitHub, completed once in the console."""
    workflow_name: str
    """Only jobs of this workflow start a build (the webhook's WORKFLOW_NAME filter)."""
    region: str
    log_retention_days: int
    keep: bool
    tags: Mapping[str, str]


class CodeBuildRunner(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        args: CodeBuildRunnerArgs,
        *,
        vpc_id: pulumi.Input[str],
        subnet_ids: Sequence[pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # `inNetwork` is both an input and a registered output: the deploy pack reads it
        # the same from the offline plan and from the engine (which hands stack policies
        # a component's registered outputs).
        super().__init__(TYPE, name, {"inNetwork": True}, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)

        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=vpc_id,
            description="CodeBuild deploy runner: HTTPS out only (GitHub, Pulumi, AWS APIs, "
            "the EKS endpoint)",
            tags={**tags, "Name": f"{name}-sg"},
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-https-out",
            security_group_id=security_group.id,
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            cidr_ipv4="0.0.0.0/0",
            description="HTTPS to GitHub, PyPI, Pulumi Cloud, AWS APIs and the EKS endpoint",
            tags={**tags, "Name": f"{name}-https-out"},
            opts=child,
        )

        logs = encrypted_log_group(
            f"{name}-logs",
            log_group_name=f"/aws/codebuild/{args.project_name}",
            retention_days=args.log_retention_days,
            region=args.region,
            keep=args.keep,
            tags=tags,
            parent=self,
        )

        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=json.dumps(service_trust_policy("codebuild.amazonaws.com")),
            description="CodeBuild deploy runner: its logs, its network interfaces, the "
            "GitHub connection; the deploy's own permissions come by GitHub OIDC",
            tags=tags,
            opts=child,
        )
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
        policy = pulumi.Output.all(
            identity.account_id, partition.partition, logs.log_group.arn, *subnet_ids
        ).apply(
            lambda v: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": [v[2], f"{v[2]}:*"],
                        },
                        {
                            "Effect": "Allow",
                            "Action": [
                                "codeconnections:GetConnectionToken",
                                "codeconnections:GetConnection",
                                "codestar-connections:GetConnectionToken",
                                "codestar-connections:GetConnection",
                            ],
                            "Resource": args.connection_arn,
                        },
                        *vpc_statements(args.region, v[0], v[1], v[3:]),
                    ],
                },
                sort_keys=True,
            )
        )
        role_policy = aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=policy, opts=child)

        project = aws.codebuild.Project(
            f"{name}-project",
            name=args.project_name,
            description="GitHub Actions runner in the VPC for the in-cluster deploy stage",
            service_role=role.arn,
            build_timeout=BUILD_TIMEOUT_MINUTES,
            artifacts=aws.codebuild.ProjectArtifactsArgs(type="NO_ARTIFACTS"),
            environment=aws.codebuild.ProjectEnvironmentArgs(
                compute_type=COMPUTE_TYPE,
                image=IMAGE,
                type="LINUX_CONTAINER",
                image_pull_credentials_type="CODEBUILD",
            ),
            source=aws.codebuild.ProjectSourceArgs(
                type="GITHUB",
                location=f"https://github.com/{args.github_repository}.git",
                auth=aws.codebuild.ProjectSourceAuthArgs(
                    type="CODECONNECTIONS", resource=args.connection_arn
                ),
            ),
            vpc_config=aws.codebuild.ProjectVpcConfigArgs(
                vpc_id=vpc_id,
                subnets=list(subnet_ids),
                security_group_ids=[security_group.id],
            ),
            logs_config=aws.codebuild.ProjectLogsConfigArgs(
                cloudwatch_logs=aws.codebuild.ProjectLogsConfigCloudwatchLogsArgs(
                    group_name=logs.log_group.name, status="ENABLED"
                ),
                s3_logs=aws.codebuild.ProjectLogsConfigS3LogsArgs(status="DISABLED"),
            ),
            tags=tags,
            # CodeBuild checks the role's permissions (the VPC ones included) on creation.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
        )
        # (a webhook takes no tags)
        aws.codebuild.Webhook(
            f"{name}-webhook",
            project_name=project.name,
            build_type="BUILD",
            filter_groups=[
                aws.codebuild.WebhookFilterGroupArgs(
                    filters=[
                        aws.codebuild.WebhookFilterGroupFilterArgs(
                            type="EVENT", pattern="WORKFLOW_JOB_QUEUED"
                        ),
                        aws.codebuild.WebhookFilterGroupFilterArgs(
                            type="WORKFLOW_NAME", pattern=f"^{args.workflow_name}$"
                        ),
                    ]
                )
            ],
            opts=child,
        )

        self.project_name = project.name
        self.label = runner_label(args.project_name)
        self.security_group_id = security_group.id
        self.register_outputs({"inNetwork": True, "projectName": project.name, "label": self.label})
