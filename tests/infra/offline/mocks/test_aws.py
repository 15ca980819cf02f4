import re

import pulumi
import pytest

from infra.offline.mocks import MockCallError, MockContext, PlanMocks, aws

CTX = MockContext(project="llm-infra", stack="t", region="eu-west-1")


def test_iam_arns_are_global():
    rid, state = aws.resource(CTX, "aws:iam/role:Role", "node-role", {})
    assert re.fullmatch(r"node-role-[0-9a-f]{7}", rid)
    assert state["arn"] == f"arn:aws:iam::123456789012:role/{rid}"
    _, attachment = aws.resource(
        CTX, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", {"role": rid}
    )
    assert attachment["arn"].startswith("arn:aws:iam::123456789012:")


def test_a_given_role_name_is_kept():
    rid, state = aws.resource(CTX, "aws:iam/role:Role", "r", {"name": "exact"})
    assert rid == "exact" and state["arn"] == "arn:aws:iam::123456789012:role/exact"


def test_s3_arns_carry_neither_region_nor_account():
    rid, state = aws.resource(CTX, "aws:s3/bucket:Bucket", "models-bucket", {})
    assert state["arn"] == f"arn:aws:s3:::{rid}" and state["bucket"] == rid


def test_kms_keys_have_uuid_ids_and_regional_arns():
    rid, state = aws.resource(CTX, "aws:kms/key:Key", "k", {})
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}", rid)
    assert state["arn"] == f"arn:aws:kms:eu-west-1:123456789012:key/{rid}"


def test_eks_cluster_looks_like_eks():
    rid, state = aws.resource(CTX, "aws:eks/cluster:Cluster", "c", {"name": "llm-t"})
    assert rid == "llm-t"
    issuer = state["identities"][0]["oidcs"][0]["issuer"]
    assert re.fullmatch(r"https://oidc\.eks\.eu-west-1\.amazonaws\.com/id/[0-9A-F]{32}", issuer)
    assert state["endpoint"].endswith(".gr7.eu-west-1.eks.amazonaws.com")
    assert state["certificateAuthority"]["data"]
    assert state["arn"] == "arn:aws:eks:eu-west-1:123456789012:cluster/llm-t"


def test_oidc_provider_arn_names_the_issuer_host():
    url = "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC"
    rid, state = aws.resource(
        CTX, "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "o", {"url": url}
    )
    expected = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
    assert rid == expected and state["arn"] == expected


def test_launch_templates_have_an_id_and_a_first_version():
    rid, state = aws.resource(CTX, "aws:ec2/launchTemplate:LaunchTemplate", "lt", {})
    assert rid.startswith("lt-") and state["latestVersion"] == 1


def test_node_groups_report_their_auto_scaling_group():
    rid, state = aws.resource(CTX, "aws:eks/nodeGroup:NodeGroup", "ng", {"clusterName": "llm-t"})
    assert rid.startswith("llm-t:ng-")
    (resources,) = state["resources"]
    assert resources["autoscalingGroups"][0]["name"].startswith("eks-ng-")


def test_unknown_data_sources_still_fail_loudly():
    assert aws.call(CTX, "aws:ec2/getVpc:getVpc", {}) is None
    mocks = PlanMocks(CTX)
    with pytest.raises(
        MockCallError, match="no answer for the data source 'aws:ec2/getVpc:getVpc'"
    ):
        mocks.call(pulumi.runtime.MockCallArgs("aws:ec2/getVpc:getVpc", {}, ""))
