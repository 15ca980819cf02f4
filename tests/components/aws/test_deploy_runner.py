"""The CodeBuild-hosted runner in the VPC that runs prod's in-cluster deploy stage."""

import json

import pytest

from components.aws.deploy_runner import vpc_statements

RUNNER = "llm-infra:deploy:DeployPath$llm-infra:aws:CodeBuildRunner"


@pytest.fixture(scope="module")
def prod(shipped_plan):
    return shipped_plan("prod")


def one(plan, type_):
    (found,) = [r for r in plan.of_type(type_) if RUNNER in r.urn]
    return found


def test_the_runner_sits_in_the_private_subnets_with_its_own_security_group(prod):
    """Private subnets route through NAT: CodeBuild builds in a VPC reach the internet only
    so (CodeBuild user guide, "vpc-support")."""
    vpc = one(prod, "aws:codebuild/project:Project").inputs["vpcConfig"]
    network = prod.outputs["network"]
    assert vpc["vpcId"] == network["vpc_id"]
    assert vpc["subnets"] == network["private_subnet_ids"]
    assert not set(vpc["subnets"]) & set(network["public_subnet_ids"])
    egress = one(prod, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    assert vpc["securityGroupIds"] == [egress.inputs["securityGroupId"]]
    assert one(prod, "aws:ec2/securityGroup:SecurityGroup").inputs["vpcId"] == network["vpc_id"]


def test_it_sends_https_only_and_the_cluster_admits_https_from_the_vpc(prod):
    egress = one(prod, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    assert (egress.inputs["ipProtocol"], egress.inputs["fromPort"], egress.inputs["toPort"]) == (
        "tcp",
        443,
        443,
    )
    ingress = prod.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert any(
        r.inputs["cidrIpv4"] == "10.20.0.0/16" and r.inputs["fromPort"] == 443 for r in ingress
    )
    assert not [
        r
        for r in prod.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if RUNNER in r.urn
    ], "nothing reaches the runner"


def test_jobs_of_the_deploy_workflow_only_start_it(prod):
    """CodeBuild user guide, "action-runner": a WORKFLOW_JOB_QUEUED webhook; the workflow
    name filter keeps other workflows' jobs (a pull request's) off the runner."""
    webhook = one(prod, "aws:codebuild/webhook:Webhook")
    assert webhook.inputs["buildType"] == "BUILD"
    (group,) = webhook.inputs["filterGroups"]
    assert group["filters"] == [
        {"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"},
        {"type": "WORKFLOW_NAME", "pattern": "^deploy$"},
    ]
    project = one(prod, "aws:codebuild/project:Project")
    assert webhook.inputs["projectName"] == project.inputs["name"] == "llm-infra-prod-deploy"


def test_the_project_reads_the_repository_through_the_configured_connection(prod):
    project = one(prod, "aws:codebuild/project:Project").inputs
    assert project["source"]["type"] == "GITHUB"
    assert project["source"]["location"] == "https://github.com/example-org/llm-infra.git"
    assert project["source"]["auth"]["type"] == "CODECONNECTIONS"
    assert project["source"]["auth"]["resource"].startswith("arn:aws:codeconnections:")
    assert project["environment"]["image"] == "aws/codebuild/standard:7.0"
    assert project["environment"]["type"] == "LINUX_CONTAINER"
    # a deploy may wait for GPU nodes and model loads; CodeBuild allows 5 to 2160 minutes
    assert 120 <= project["buildTimeout"] <= 2160
    logs = project["logsConfig"]
    assert logs["cloudwatchLogs"]["status"] == "ENABLED"
    assert logs["s3Logs"]["status"] == "DISABLED"


def test_the_runners_role_has_its_logs_its_interfaces_and_the_connection_only(prod):
    role = one(prod, "aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "codebuild.amazonaws.com"}
    policy = json.loads(one(prod, "aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    actions = {
        a
        for s in policy["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert not any(a.startswith(("eks:", "iam:", "s3:", "kms:")) for a in actions)
    assert not any(a.endswith("*") for a in actions)
    connection = [
        s for s in policy["Statement"] if "codeconnections:GetConnectionToken" in s["Action"]
    ]
    assert connection[0]["Resource"].startswith("arn:aws:codeconnections:")
    logs = one(prod, "aws:cloudwatch/logGroup:LogGroup")
    assert logs.inputs["name"] == "/aws/codebuild/llm-infra-prod-deploy"
    assert logs.inputs["kmsKeyId"].startswith("arn:aws:kms:")


def test_creating_interfaces_is_limited_to_codebuild_in_the_given_subnets():
    """CodeBuild user guide, VPC access: CreateNetworkInterfacePermission conditioned on the
    subnets and the CodeBuild service."""
    _, permission = vpc_statements("us-east-1", "111122223333", "aws", ["subnet-a", "subnet-b"])
    assert permission["Action"] == "ec2:CreateNetworkInterfacePermission"
    assert permission["Resource"] == "arn:aws:ec2:us-east-1:111122223333:network-interface/*"
    assert permission["Condition"] == {
        "StringEquals": {"ec2:AuthorizedService": "codebuild.amazonaws.com"},
        "ArnEquals": {
            "ec2:Subnet": [
                "arn:aws:ec2:us-east-1:111122223333:subnet/subnet-a",
                "arn:aws:ec2:us-east-1:111122223333:subnet/subnet-b",
            ]
        },
    }


def test_dev_has_no_runner(shipped_plan):
    assert not [r for r in shipped_plan("dev").resources if RUNNER in r.urn]
