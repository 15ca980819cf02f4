import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from components.aws.bucket import Bucket, BucketArgs
from components.aws.identity import WorkloadIdentity, WorkloadIdentityArgs
from tests.harness import run_components

ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
HOST = ISSUER.removeprefix("https://")
ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/rolePolicy:RolePolicy"


def build(create_service_account=True):
    def body():
        oidc = aws.iam.OpenIdConnectProvider(
            "oidc", url=ISSUER, client_id_lists=["sts.amazonaws.com"]
        )
        provider = k8s.Provider("k8s", kubeconfig="{}")
        models = Bucket("models", BucketArgs(purpose="model weights"))
        snapshots = Bucket("snapshots", BucketArgs(purpose="snapshots"))
        identity = WorkloadIdentity(
            "vllm",
            WorkloadIdentityArgs(
                namespace="serving",
                service_account="vllm",
                create_service_account=create_service_account,
                tags={"team": "ml"},
            ),
            oidc_provider_arn=oidc.arn,
            oidc_issuer_url=pulumi.Output.from_input(ISSUER),
            kubernetes_provider=provider,
        )
        identity.grant_read(models)
        identity.grant_read_write(snapshots)

    return run_components(body)


@pytest.fixture(scope="module")
def plan():
    return build()


def test_trust_is_one_service_account_with_the_sts_audience(plan):
    role = plan.get(ROLE, "vllm-role")
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {
        "Federated": f"arn:aws:iam::123456789012:oidc-provider/{HOST}"
    }
    assert statement["Condition"] == {
        "StringEquals": {
            f"{HOST}:sub": "system:serviceaccount:serving:vllm",
            f"{HOST}:aud": "sts.amazonaws.com",
        }
    }
    assert role.property_dependencies["assumeRolePolicy"] == [
        plan.get("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "oidc").urn
    ]


def test_service_account_is_annotated_with_the_role(plan):
    account = plan.get("kubernetes:core/v1:ServiceAccount", "vllm-service-account")
    metadata = account.inputs["metadata"]
    assert (metadata["name"], metadata["namespace"]) == ("vllm", "serving")
    role_arn = metadata["annotations"]["eks.amazonaws.com/role-arn"]
    assert role_arn.startswith("arn:aws:iam::123456789012:role/vllm-role")
    assert account.provider == plan.get("pulumi:providers:kubernetes", "k8s").urn


def test_no_service_account_when_something_else_owns_it():
    assert build(create_service_account=False).of_type("kubernetes:core/v1:ServiceAccount") == []


def statements(plan, name):
    return json.loads(plan.get(POLICY, name).inputs["policy"])["Statement"]


def test_read_grant_covers_that_bucket_and_key_only(plan):
    grant = statements(plan, "vllm-models-read")
    resources = {s["Resource"] for s in grant}
    bucket = next(
        r for r in resources if r.startswith("arn:aws:s3:::models-bucket-") and "/" not in r
    )
    key = next(r for r in resources if r.startswith("arn:aws:kms:"))
    assert resources == {bucket, f"{bucket}/*", key}
    actions = {a for s in grant for a in s["Action"]}
    assert "s3:PutObject" not in actions and "s3:GetObject" in actions
    assert all("*" not in a for a in actions)


def test_read_write_grant_adds_writes_for_its_bucket(plan):
    grant = statements(plan, "vllm-snapshots-read-write")
    actions = {a for s in grant for a in s["Action"]}
    assert {"s3:PutObject", "s3:DeleteObject", "kms:GenerateDataKey"} <= actions
    assert all(
        s["Resource"].startswith(("arn:aws:s3:::snapshots-bucket-", "arn:aws:kms:")) for s in grant
    )
    policy = plan.get(POLICY, "vllm-snapshots-read-write")
    assert policy.property_dependencies["role"] == [plan.get(ROLE, "vllm-role").urn]
    assert policy.parent == plan.get("llm-infra:aws:WorkloadIdentity", "vllm").urn
