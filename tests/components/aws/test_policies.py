import pytest

from components.aws.policies import (
    bucket_access_statements,
    cluster_autoscaler_policy,
    irsa_trust_policy,
    service_trust_policy,
    tls_only_bucket_policy,
)

ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
PROVIDER = "arn:aws:iam::123456789012:oidc-provider/" + ISSUER.removeprefix("https://")
BUCKET = "arn:aws:s3:::models-abc"
KEY = "arn:aws:kms:us-east-1:123456789012:key/k"


def test_irsa_trust_admits_exactly_one_service_account_for_sts():
    (statement,) = irsa_trust_policy(PROVIDER, ISSUER, "serving", "vllm")["Statement"]
    host = ISSUER.removeprefix("https://")
    assert statement["Principal"] == {"Federated": PROVIDER}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {
            f"{host}:sub": "system:serviceaccount:serving:vllm",
            f"{host}:aud": "sts.amazonaws.com",
        }
    }


def test_service_trust_names_the_service():
    (statement,) = service_trust_policy("eks.amazonaws.com")["Statement"]
    assert statement["Principal"] == {"Service": "eks.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"


@pytest.mark.parametrize("write", [False, True])
def test_bucket_access_is_scoped_to_the_bucket_its_objects_and_its_key(write):
    statements = bucket_access_statements(BUCKET, KEY, write=write, sid="Models")
    resources = {s["Resource"] for s in statements}
    assert resources == {BUCKET, f"{BUCKET}/*", KEY}
    for statement in statements:
        assert all("*" not in action for action in statement["Action"])
        assert statement["Effect"] == "Allow"
    actions = {a for s in statements for a in s["Action"]}
    assert ("s3:PutObject" in actions) is write
    assert ("kms:GenerateDataKey" in actions) is write
    assert {"s3:GetObject", "s3:ListBucket", "kms:Decrypt"} <= actions


def test_tls_only_policy_denies_plain_http_to_bucket_and_objects():
    (statement,) = tls_only_bucket_policy(BUCKET)["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Resource"] == [BUCKET, f"{BUCKET}/*"]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_autoscaler_changes_only_this_clusters_groups():
    discover, scale = cluster_autoscaler_policy("llm")["Statement"]
    assert all(a.split(":")[1].startswith(("Describe", "Get")) for a in discover["Action"])
    assert scale["Condition"] == {
        "StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/llm": "owned"}
    }
    assert set(scale["Action"]) == {
        "autoscaling:SetDesiredCapacity",
        "autoscaling:TerminateInstanceInAutoScalingGroup",
    }
