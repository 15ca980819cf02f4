"""Passing and failing input sets for every cost rule, with the node pools of every cloud."""

from typing import Any

from tests.policies.conftest import resource

DEV = {"llm-infra-environment": "dev", "team": "ml", "cost-center": "cc"}
PROD = {**DEV, "llm-infra-environment": "prod"}
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
NODE_POOL = "gcp:container/nodePool:NodePool"
AGENT_POOL = "azure-native:containerservice:AgentPool"
AKS = "azure-native:containerservice:ManagedCluster"
# A GKE node pool has no top-level labels, so its environment comes from the pack setting
# (as `llm-infra check` passes it); the other clouds' pools carry the environment tag.
IN_DEV = {"*": {"environment": "dev"}}


def group(
    instance: str,
    low: int,
    high: int,
    tags: dict[str, str],
    capacity: str = "SPOT",
    name: str = "gpu",
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An EKS managed node group (aws.eks.NodeGroup inputs)."""
    return resource(
        NODE_GROUP,
        {
            "instanceTypes": [instance],
            "capacityType": capacity,
            "scalingConfig": {"minSize": low, "maxSize": high},
            "tags": tags,
            "labels": labels or {},
        },
        name=name,
    )


def gke_pool(
    machine: str,
    low: int,
    high: int,
    spot: bool = True,
    name: str = "gpu",
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A GKE node pool (gcp.container.NodePool inputs)."""
    return resource(
        NODE_POOL,
        {
            "nodeConfig": {"machineType": machine, "spot": spot, "labels": labels or {}},
            "autoscaling": {"minNodeCount": low, "maxNodeCount": high},
        },
        name=name,
    )


def _aks_profile(
    vm: str, low: int, high: int, spot: bool, labels: dict[str, str] | None
) -> dict[str, Any]:
    return {
        "vmSize": vm,
        "minCount": low,
        "maxCount": high,
        "enableAutoScaling": True,
        "scaleSetPriority": "Spot" if spot else "Regular",
        "nodeLabels": labels or {},
    }


def agent_pool(
    vm: str,
    low: int,
    high: int,
    tags: dict[str, str],
    spot: bool = True,
    name: str = "gpu",
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An AKS agent pool resource (azure-native.containerservice.AgentPool inputs)."""
    return resource(
        AGENT_POOL, {**_aks_profile(vm, low, high, spot, labels), "tags": tags}, name=name
    )


def aks_cluster(
    vm: str,
    low: int,
    high: int,
    tags: dict[str, str],
    spot: bool = False,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An AKS cluster whose one inline agent pool profile (its System pool) is `vm`."""
    profile = {"name": "system", "mode": "System", **_aks_profile(vm, low, high, spot, labels)}
    return resource(AKS, {"tags": tags, "agentPoolProfiles": [profile]}, name="cluster-aks")


def every_cloud(
    aws: str, gcp: str, azure: str, low: int, high: int, tags: dict[str, str], spot: bool
) -> list[dict[str, Any]]:
    """The same pool on every cloud: an EKS node group, a GKE node pool, an AKS agent pool
    and an AKS cluster's inline pool."""
    return [
        group(aws, low, high, tags, capacity="SPOT" if spot else "ON_DEMAND"),
        gke_pool(gcp, low, high, spot=spot),
        agent_pool(azure, low, high, tags, spot=spot),
        aks_cluster(azure, low, high, tags, spot=spot),
    ]


def nat(index: int, tags: dict[str, str]) -> dict[str, Any]:
    return resource("aws:ec2/natGateway:NatGateway", {"tags": tags}, name=f"nat-{index}")


BUCKET_URN = "urn:pulumi:t::llm-infra::aws:s3/bucket:Bucket::models"
LIFECYCLE = resource(
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    {"bucket": "b", "rules": [{"id": "x", "status": "Enabled"}]},
    name="models-lifecycle",
    property_dependencies={"bucket": [BUCKET_URN]},
)
H100 = ("p5.48xlarge", "a3-highgpu-8g", "Standard_ND96isr_H100_v5")  # 8 × H100 per node
L4_A10 = ("g6.2xlarge", "g2-standard-8", "Standard_NV36ads_A10_v5")  # 1 GPU per node
EIGHT_GPUS = ("g6.48xlarge", "g2-standard-96", "Standard_ND96isr_H100_v5")  # 8 GPUs per node
BUDGET = {"cost-monthly-budget": {"monthly_budget_usd": 50000}}


# rule name -> (passing resources, failing resources, pack config or None)
CASES: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any] | None]] = {
    "cost-allowed-gpus": (
        every_cloud(*L4_A10, 0, 2, DEV, spot=True),
        every_cloud(*H100, 0, 1, DEV, spot=True),
        IN_DEV,
    ),
    "cost-max-gpus": (
        [group("g6.12xlarge", 0, 2, DEV)],
        [group("g6.48xlarge", 0, 2, DEV)],
        IN_DEV,
    ),
    "cost-max-nodes-per-pool": (
        every_cloud(*L4_A10, 0, 20, DEV, spot=True),
        every_cloud(*L4_A10, 0, 21, DEV, spot=True),
        IN_DEV,
    ),
    "cost-gpu-spot-and-scale-to-zero-outside-prod": (
        [
            *every_cloud(*L4_A10, 0, 2, DEV, spot=True),
            group("p5.48xlarge", 1, 2, PROD, capacity="ON_DEMAND", name="prod"),
            # a CPU System pool on demand is fine: the rule is about GPUs
            resource(
                AKS,
                {
                    "tags": DEV,
                    "agentPoolProfiles": [
                        {"name": "system", "vmSize": "Standard_D4s_v5", "minCount": 1}
                    ],
                },
                name="cpu-aks",
            ),
        ],
        every_cloud(*L4_A10, 1, 2, DEV, spot=False),
        IN_DEV,
    ),
    "cost-monthly-budget": (
        [group("p5.48xlarge", 0, 1, PROD, capacity="ON_DEMAND")],
        [group("p5.48xlarge", 0, 2, PROD, capacity="ON_DEMAND")],
        BUDGET,  # 1 node ≈ $40k, 2 ≈ $80k
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
            ),
            resource("aws:ebs/volume:Volume", {"type": "gp3"}),
            resource(
                "kubernetes:storage.k8s.io/v1:StorageClass",
                {"provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3"}},
            ),
        ],
        [
            resource(
                "aws:ec2/launchTemplate:LaunchTemplate",
                {"blockDeviceMappings": [{"ebs": {"volumeType": "gp2"}}]},
            ),
            # a volume without a type is gp2 (the provider's default)
            resource("aws:ebs/volume:Volume", {"encrypted": True}),
            resource(
                "kubernetes:storage.k8s.io/v1:StorageClass",
                {"provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp2"}},
            ),
        ],
        None,
    ),
    "cost-log-retention-bounded": (
        [resource("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 30, "tags": DEV})],
        [resource("aws:cloudwatch/logGroup:LogGroup", {"tags": DEV})],
        None,
    ),
    "cost-bucket-lifecycle": (
        [
            resource("aws:s3/bucket:Bucket", {}, name="models"),
            LIFECYCLE,
            resource("gcp:storage/bucket:Bucket", {"lifecycleRules": [{"action": {}}]}, name="g"),
        ],
        [
            resource("aws:s3/bucket:Bucket", {}, name="models"),
            resource("aws:s3/bucket:Bucket", {}, name="logs"),
            resource("aws:s3/bucketV2:BucketV2", {}, name="models-v2"),
            resource("gcp:storage/bucket:Bucket", {"lifecycleRules": []}, name="g"),
        ],
        None,
    ),
    "cost-required-tags": (
        [resource("aws:ec2/vpc:Vpc", {"tags": DEV}), resource("aws:ec2/route:Route", {})],
        [
            resource("aws:ec2/vpc:Vpc", {"tags": {"team": "ml"}}),
            resource("gcp:storage/bucket:Bucket", {"labels": {"team": "ml"}}),
            resource("azure-native:storage:StorageAccount", {"tags": {"cost-center": "cc"}}),
        ],
        None,
    ),
}

# More failing sets, for stack rules whose one finding cannot say which resource type
# caused it: one set per resource type, each holding only that type's pool.
MORE_FAILING: dict[str, list[list[dict[str, Any]]]] = {
    "cost-max-gpus": [
        [pool] for pool in every_cloud(*EIGHT_GPUS, 0, 2, DEV, spot=True)
    ],  # 2 × 8 GPUs > the dev limit of 8
    "cost-monthly-budget": [
        [pool] for pool in every_cloud(*H100, 0, 1, PROD, spot=False)[1:]
    ],  # one H100 node on demand: GCP ≈ $64.6k, Azure ≈ $71.8k a month
}
