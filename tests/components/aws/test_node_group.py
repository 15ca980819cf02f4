import pulumi_aws as aws
import pytest

from components.aws.node_group import NodeGroup, NodeGroupArgs
from components.enums import CapacityType, GpuType
from tests.harness import run_components

NG = "aws:eks/nodeGroup:NodeGroup"
LT = "aws:ec2/launchTemplate:LaunchTemplate"


def build(**overrides):
    args = {
        "pool": "standard",
        "cluster_name": "llm-test",
        "instance_type": "g6.xlarge",
        "capacity_type": CapacityType.SPOT,
        "min_nodes": 0,
        "max_nodes": 2,
        "disk_size_gib": 200,
        "gpu": GpuType.L4,
        "gpus_per_node": 1,
        "tags": {"team": "ml"},
        **overrides,
    }

    def body():
        # stand-ins for the cluster's outputs, as resources so dependencies are visible
        cluster = aws.eks.Cluster(
            "eks",
            role_arn="arn:aws:iam::123456789012:role/eks",
            vpc_config={"subnet_ids": ["subnet-a"]},
        )
        role = aws.iam.Role("node-role", assume_role_policy="{}")
        NodeGroup(
            "gpu-standard",
            NodeGroupArgs(**args),
            cluster_name=cluster.name,
            node_role_arn=role.arn,
            subnet_ids=["subnet-a", "subnet-b"],
            cluster_security_group_id=cluster.vpc_config.apply(
                lambda v: str(v.cluster_security_group_id)
            ),
        )

    return run_components(body)


@pytest.fixture(scope="module")
def gpu():
    return build()


def test_gpu_group_uses_the_nvidia_ami_instance_type_and_capacity(gpu):
    group = gpu.get(NG, "gpu-standard-ng").inputs
    assert group["amiType"] == "AL2023_x86_64_NVIDIA"
    assert group["instanceTypes"] == ["g6.xlarge"]
    assert group["capacityType"] == "SPOT"


def test_gpu_group_scales_from_zero_and_the_autoscaler_owns_its_size(gpu):
    group = gpu.get(NG, "gpu-standard-ng")
    assert group.inputs["scalingConfig"] == {"minSize": 0, "maxSize": 2, "desiredSize": 0}
    assert group.options.ignore_changes == ["scalingConfig.desiredSize"]


def test_gpu_nodes_are_labelled_and_tainted(gpu):
    group = gpu.get(NG, "gpu-standard-ng").inputs
    assert group["labels"] == {"llm-infra.io/gpu": "l4", "llm-infra.io/pool": "standard"}
    assert group["taints"] == [
        {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}
    ]


def test_launch_template_requires_imdsv2_with_one_hop(gpu):
    metadata = gpu.get(LT, "gpu-standard-lt").inputs["metadataOptions"]
    assert metadata["httpTokens"] == "required"
    assert metadata["httpPutResponseHopLimit"] == 1
    assert metadata["httpEndpoint"] == "enabled"


def test_root_volume_is_encrypted_gp3_of_the_pools_size_and_no_public_ip(gpu):
    template = gpu.get(LT, "gpu-standard-lt").inputs
    (device,) = template["blockDeviceMappings"]
    assert device["ebs"] == {
        "volumeSize": 200,
        "volumeType": "gp3",
        "encrypted": "true",
        "deleteOnTermination": "true",
    }
    (interface,) = template["networkInterfaces"]
    assert interface["associatePublicIpAddress"] == "false"
    assert interface["securityGroups"][0].startswith("sg-")


def test_group_uses_its_launch_template_and_only_the_given_subnets(gpu):
    template = gpu.get(LT, "gpu-standard-lt")
    group = gpu.get(NG, "gpu-standard-ng")
    assert group.inputs["launchTemplate"]["version"] == "1"  # its latest version
    assert group.inputs["launchTemplate"]["id"].startswith("lt-")
    assert group.property_dependencies["launchTemplate"] == [template.urn]
    assert group.inputs["subnetIds"] == ["subnet-a", "subnet-b"]


def test_group_depends_on_the_cluster_and_role_and_nothing_else(gpu):
    group = gpu.get(NG, "gpu-standard-ng")
    cluster = gpu.get("aws:eks/cluster:Cluster", "eks")
    role = gpu.get("aws:iam/role:Role", "node-role")
    template = gpu.get(LT, "gpu-standard-lt")
    assert group.property_dependencies["clusterName"] == [cluster.urn]
    assert group.property_dependencies["nodeRoleArn"] == [role.urn]
    assert set(group.dependencies) == {cluster.urn, role.urn, template.urn}
    assert group.options.depends_on == []


def test_autoscaler_can_build_a_node_from_tags_on_the_auto_scaling_group(gpu):
    group = gpu.get(NG, "gpu-standard-ng")
    tags = {
        t.inputs["tag"]["key"]: t.inputs["tag"]["value"]
        for t in gpu.of_type("aws:autoscaling/tag:Tag")
    }
    prefix = "k8s.io/cluster-autoscaler"
    assert tags == {
        f"{prefix}/enabled": "true",
        f"{prefix}/llm-test": "owned",
        f"{prefix}/node-template/label/llm-infra.io/gpu": "l4",
        f"{prefix}/node-template/label/llm-infra.io/pool": "standard",
        f"{prefix}/node-template/taint/nvidia.com/gpu": "present:NoSchedule",
        f"{prefix}/node-template/resources/nvidia.com/gpu": "1",
    }
    for tag in gpu.of_type("aws:autoscaling/tag:Tag"):
        assert tag.inputs["autoscalingGroupName"].startswith("eks-")
        assert tag.property_dependencies["autoscalingGroupName"] == [group.urn]
    assert all(group.inputs["tags"][k] == v for k, v in tags.items())


def test_on_demand_capacity_and_a_floor_in_prod():
    plan = build(capacity_type=CapacityType.ON_DEMAND, min_nodes=1, max_nodes=4)
    group = plan.get(NG, "gpu-standard-ng").inputs
    assert group["capacityType"] == "ON_DEMAND"
    assert group["scalingConfig"] == {"minSize": 1, "maxSize": 4, "desiredSize": 1}


def test_cpu_group_has_no_gpu_label_taint_or_nvidia_ami():
    plan = build(
        pool="system",
        instance_type="m6i.large",
        gpu=None,
        gpus_per_node=0,
        capacity_type=CapacityType.ON_DEMAND,
        min_nodes=2,
        max_nodes=4,
        disk_size_gib=50,
    )
    group = plan.get(NG, "gpu-standard-ng").inputs
    assert group["amiType"] == "AL2023_x86_64_STANDARD"
    assert group["labels"] == {"llm-infra.io/pool": "system"}
    assert group.get("taints", []) == []
    keys = {t.inputs["tag"]["key"] for t in plan.of_type("aws:autoscaling/tag:Tag")}
    assert not any("taint" in k or "nvidia" in k for k in keys)


def test_instances_and_volumes_carry_the_tags(gpu):
    specs = gpu.get(LT, "gpu-standard-lt").inputs["tagSpecifications"]
    assert {s["resourceType"] for s in specs} == {"instance", "volume"}
    assert all(s["tags"]["team"] == "ml" for s in specs)
