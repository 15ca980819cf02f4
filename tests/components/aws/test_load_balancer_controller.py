"""The AWS Load Balancer Controller that builds the gateway's NLB."""

import json

import pytest

from components.aws.load_balancer_controller import CHART_VERSION, controller_policy

LBC = "llm-infra:aws:LoadBalancerController"


@pytest.fixture(scope="module")
def prod(shipped_plan):
    return shipped_plan("prod")


def test_the_published_policy_is_the_roles_whole_policy(prod):
    """kubernetes-sigs/aws-load-balancer-controller@v3.5.0 docs/install/iam_policy.json: 16
    statements, under IAM's 10,240-character limit for a role's inline policies (IAM user
    guide, "reference_iam-quotas": role policy size)."""
    assert CHART_VERSION == "3.5.0"
    document = controller_policy()
    assert len(document["Statement"]) == 16
    (policy,) = [r for r in prod.of_type("aws:iam/rolePolicy:RolePolicy") if LBC in r.urn]
    assert json.loads(policy.inputs["policy"]) == document
    assert len(policy.inputs["policy"]) < 10_240


def test_only_the_controllers_service_account_assumes_its_role(prod):
    (role,) = [r for r in prod.of_type("aws:iam/role:Role") if LBC in r.urn]
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    (subject,) = [
        v for k, v in statement["Condition"]["StringEquals"].items() if k.endswith(":sub")
    ]
    assert subject == "system:serviceaccount:kube-system:aws-load-balancer-controller"


def test_the_release_never_blocks_other_services_and_runs_on_the_cpu_pool(prod):
    release = prod.get("kubernetes:helm.sh/v3:Release", "load-balancer-controller-release")
    values = release.inputs["values"]
    # its Service mutator webhook fails closed on every Service (templates/webhook.yaml)
    assert values["enableServiceMutatorWebhook"] is False
    assert values["nodeSelector"] == {"llm-infra.io/pool": "system"}
    assert values["clusterName"] == "llm-infra-prod"
    assert values["vpcId"] == prod.outputs["network"]["vpc_id"]
    assert release.inputs["version"] == "3.5.0"


def test_the_gateway_waits_for_the_controller_that_builds_its_load_balancer(prod):
    from infra.truth.waits import closure

    (gateway,) = prod.of_type("kubernetes:gateway.networking.k8s.io/v1:Gateway")
    release = prod.get("kubernetes:helm.sh/v3:Release", "load-balancer-controller-release")
    assert release.urn in closure(prod, gateway)
