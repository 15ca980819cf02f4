"""Every cost rule, passing and failing, through the real analyzer gRPC protocol."""

from typing import Any

import pytest

from tests.policies.conftest import resource

DEV = {"llm-infra-environment": "dev", "team": "ml", "cost-center": "cc"}
PROD = {**DEV, "llm-infra-environment": "prod"}
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


def group(
    instance: str,
    low: int,
    high: int,
    tags: dict[str, str],
    capacity: str = "SPOT",
    name: str = "gpu",
) -> dict[str, Any]:
    return resource(
        NODE_GROUP,
        {
            "instanceTypes": [instance],
            "capacityType": capacity,
            "scalingConfig": {"minSize": low, "maxSize": high},
            "tags": tags,
        },
        name=name,
    )


def nat(index: int, tags: dict[str, str]) -> dict[str, Any]:
    return resource("aws:ec2/natGateway:NatGateway", {"tags": tags}, name=f"nat-{index}")


BUCKET_URN = "urn:pulumi:t::llm-infra::aws:s3/bucket:Bucket::models"
LIFECYCLE = resource(
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    {"bucket": "b", "rules": [{"id": "x", "status": "Enabled"}]},
    name="models-lifecycle",
    property_dependencies={"bucket": [BUCKET_URN]},
)

CASES: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any] | None]] = {
    "cost-allowed-gpus": (
        [group("g6.2xlarge", 0, 2, DEV)],
        [group("p5.48xlarge", 0, 1, DEV)],
        None,
    ),
    "cost-max-gpus": ([group("g6.12xlarge", 0, 2, DEV)], [group("g6.48xlarge", 0, 2, DEV)], None),
    "cost-max-nodes-per-pool": (
        [group("g6.2xlarge", 0, 20, DEV)],
        [group("g6.2xlarge", 0, 21, DEV)],
        None,
    ),
    "cost-gpu-spot-and-scale-to-zero-outside-prod": (
        [
            group("g6.2xlarge", 0, 2, DEV),
            group("p5.48xlarge", 1, 2, PROD, capacity="ON_DEMAND", name="prod"),
        ],
        [group("g6.2xlarge", 1, 2, DEV, capacity="ON_DEMAND")],
        None,
    ),
    "cost-monthly-budget": (
        [group("p5.48xlarge", 0, 1, PROD, capacity="ON_DEMAND")],
        [group("p5.48xlarge", 0, 2, PROD, capacity="ON_DEMAND")],
        {"cost-monthly-budget": {"monthly_budget_usd": 50000}},  # 1 node ≈ $40k, 2 ≈ $80k
    ),
    "cost-single-nat-outside-prod": ([nat(0, DEV)], [nat(0, DEV), nat(1, DEV)], None),
    "cost-no-load-balancer-services": (
        [
            resource(
                "kubernetes:core/v1:Service",
                {"metadata": {"name": "llama"}, "spec": {"type": "ClusterIP"}},
            )
        ],
        [
            resource(
                "kubernetes:core/v1:Service",
                {"metadata": {"name": "llama"}, "spec": {"type": "LoadBalancer"}},
            )
        ],
        None,
    ),
    "cost-gp3-not-gp2": (
        [
            resource(
                "aws:ec2/launchTemplate:LaunchTemplate",
                {"blockDeviceMappings": [{"ebs": {"volumeType": "gp3"}}]},
            )
        ],
        [
            resource(
                "kubernetes:storage.k8s.io/v1:StorageClass",
                {"provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp2"}},
            )
        ],
        None,
    ),
    "cost-log-retention-bounded": (
        [resource("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 30, "tags": DEV})],
        [resource("aws:cloudwatch/logGroup:LogGroup", {"tags": DEV})],
        None,
    ),
    "cost-bucket-lifecycle": (
        [resource("aws:s3/bucket:Bucket", {}, name="models"), LIFECYCLE],
        [
            resource("aws:s3/bucket:Bucket", {}, name="models"),
            resource("gcp:storage/bucket:Bucket", {"lifecycleRules": []}, name="g"),
        ],
        None,
    ),
    "cost-required-tags": (
        [resource("aws:ec2/vpc:Vpc", {"tags": DEV}), resource("aws:ec2/route:Route", {})],
        [resource("gcp:storage/bucket:Bucket", {"labels": {"team": "ml"}})],
        None,
    ),
}


def test_every_rule_has_a_passing_and_a_failing_case(cost):
    names = {p.name for p in cost.run([]).policies}
    assert len(names) >= 10
    assert names == set(CASES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule(cost, rule):
    passing, failing, config = CASES[rule]
    assert rule not in cost.violations(passing, config), f"{rule} flags a compliant stack"
    assert rule in cost.violations(failing, config), f"{rule} misses a violation"


def test_limits_are_configurable(cost):
    big = [group("g6.2xlarge", 0, 30, DEV)]
    assert "cost-max-nodes-per-pool" in cost.violations(big)
    assert "cost-max-nodes-per-pool" not in cost.violations(
        big, {"cost-max-nodes-per-pool": {"max_nodes": 40}}
    )
    allowed = {"cost-allowed-gpus": {"allowed": {"dev": ["h100"]}}}
    assert "cost-allowed-gpus" not in cost.violations([group("p5.48xlarge", 0, 1, DEV)], allowed)


def test_the_budget_message_names_cost_and_budget(cost):
    found = cost.violations(
        [group("p5.48xlarge", 0, 2, PROD, capacity="ON_DEMAND")],
        {"cost-monthly-budget": {"monthly_budget_usd": 50000}},
    )
    [message] = found["cost-monthly-budget"]
    assert message.startswith("node pools cost $80,358 a month at max scale; the budget is $50,000")
