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
            version="1.34",
            vpc_config={"subnet_ids": ["subnet-a"]},
        )
        role = aws.iam.Role("node-role", assume_role_policy="{}")
        NodeGroup(
            "gpu-standard",
            NodeGroupArgs(**args),
            cluster_name=cluster.name,
            kubernetes_version=cluster.version,
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
    # k8s.amazonaws.com/accelerator: the autoscaler's AWS GPU label (kubernetes/autoscaler
    # cluster-autoscaler/cloudprovider/aws/aws_cloud_provider.go `GPULabel`, README "Special
    # note on GPU instances"), so it waits for the device plugin instead of scaling again
    assert group["labels"] == {
        "llm-infra.io/gpu": "l4",
        "llm-infra.io/pool": "standard",
        "k8s.amazonaws.com/accelerator": "l4",
    }
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
    assert group.property_dependencies["version"] == [cluster.urn]
    assert set(group.dependencies) == {cluster.urn, role.urn, template.urn}
    assert group.options.depends_on == []


def asg_tags(plan):
    return {t.name: t for t in plan.of_type("aws:autoscaling/tag:Tag")}


def test_autoscaler_can_build_a_node_from_tags_on_the_auto_scaling_group(gpu):
    group = gpu.get(NG, "gpu-standard-ng")
    tags = {t.inputs["tag"]["key"]: t.inputs["tag"]["value"] for t in asg_tags(gpu).values()}
    prefix = "k8s.io/cluster-autoscaler/node-template"
    assert tags == {
        f"{prefix}/label/llm-infra.io/gpu": "l4",
        f"{prefix}/label/llm-infra.io/pool": "standard",
        f"{prefix}/label/k8s.amazonaws.com/accelerator": "l4",
        f"{prefix}/taint/nvidia.com/gpu": "present:NoSchedule",
        f"{prefix}/resources/nvidia.com/gpu": "1",
    }
    for tag in asg_tags(gpu).values():
        assert tag.inputs["autoscalingGroupName"].startswith("eks-")
        assert tag.property_dependencies["autoscalingGroupName"] == [group.urn]
    assert all(group.inputs["tags"][k] == v for k, v in tags.items())


def test_eks_discovery_tags_are_on_the_group_but_never_managed_on_its_asg(gpu):
    # EKS tags a managed node group's Auto Scaling group for the autoscaler's discovery itself
    # (EKS user guide, "managed-node-groups"); a Tag resource for them would delete EKS's tag
    # when it is replaced or removed.
    keys = {t.inputs["tag"]["key"] for t in asg_tags(gpu).values()}
    assert keys and not keys & {
        "k8s.io/cluster-autoscaler/enabled",
        "k8s.io/cluster-autoscaler/llm-test",
    }
    group = gpu.get(NG, "gpu-standard-ng").inputs["tags"]
    assert group["k8s.io/cluster-autoscaler/enabled"] == "true"


def test_asg_tags_are_named_by_key_not_by_position(gpu):
    # `tag.key` forces replacement of an aws.autoscaling.Tag (terraform-provider-aws
    # internal/service/autoscaling/group_tag.go): named by position, adding one key renamed
    # every later tag, and the replace deleted a key another resource then owned.
    names = {name: t.inputs["tag"]["key"] for name, t in asg_tags(gpu).items()}
    assert names == {
        "gpu-standard-asg-tag-label-llm-infra-io-gpu": (
            "k8s.io/cluster-autoscaler/node-template/label/llm-infra.io/gpu"
        ),
        "gpu-standard-asg-tag-label-llm-infra-io-pool": (
            "k8s.io/cluster-autoscaler/node-template/label/llm-infra.io/pool"
        ),
        "gpu-standard-asg-tag-label-k8s-amazonaws-com-accelerator": (
            "k8s.io/cluster-autoscaler/node-template/label/k8s.amazonaws.com/accelerator"
        ),
        "gpu-standard-asg-tag-taint-nvidia-com-gpu": (
            "k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu"
        ),
        "gpu-standard-asg-tag-resources-nvidia-com-gpu": (
            "k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu"
        ),
    }
    cpu = build(pool="system", gpu=None, gpus_per_node=0, instance_type="m6i.large")
    assert set(asg_tags(cpu)) == {"gpu-standard-asg-tag-label-llm-infra-io-pool"}


def test_tags_named_by_position_before_keep_their_state_through_aliases(gpu):
    # The old names were positions in the sorted discovery + node-template keys, without the
    # accelerator label: each key keeps its resource, the accelerator tag is new.
    aliases = {name: t.options.aliases for name, t in asg_tags(gpu).items()}
    assert aliases["gpu-standard-asg-tag-label-k8s-amazonaws-com-accelerator"] == []
    assert len(aliases["gpu-standard-asg-tag-label-llm-infra-io-pool"]) == 1
    positions = sorted(
        [
            "k8s.io/cluster-autoscaler/enabled",
            "k8s.io/cluster-autoscaler/llm-test",
            "k8s.io/cluster-autoscaler/node-template/label/llm-infra.io/gpu",
            "k8s.io/cluster-autoscaler/node-template/label/llm-infra.io/pool",
            "k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu",
            "k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu",
        ]
    )
    for name, tag in asg_tags(gpu).items():
        key = tag.inputs["tag"]["key"]
        if key in positions:
            assert f"gpu-standard-asg-tag-{positions.index(key)}" in str(aliases[name]), name


def test_gpu_groups_update_one_node_at_a_time_without_surge_cpu_groups_one_at_a_time(gpu):
    # EKS user guide, "managed-node-update-behavior": by default an update launches up to twice
    # as many nodes as the group has zones; MINIMAL (EKS API NodegroupUpdateConfig
    # updateStrategy) terminates first, so a GPU group never buys extra GPU nodes.
    assert gpu.get(NG, "gpu-standard-ng").inputs["updateConfig"] == {
        "maxUnavailable": 1,
        "updateStrategy": "MINIMAL",
    }
    cpu = build(pool="system", gpu=None, gpus_per_node=0, instance_type="m6i.large")
    assert cpu.get(NG, "gpu-standard-ng").inputs["updateConfig"] == {"maxUnavailable": 1}


def test_the_group_follows_the_clusters_kubernetes_version(gpu):
    group = gpu.get(NG, "gpu-standard-ng")
    assert group.inputs["version"] == "1.34"
    assert group.property_dependencies["version"] == [gpu.get("aws:eks/cluster:Cluster", "eks").urn]


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
    assert keys and not any("taint" in k or "nvidia" in k or "accelerator" in k for k in keys)


def test_instances_and_volumes_carry_the_tags(gpu):
    specs = gpu.get(LT, "gpu-standard-lt").inputs["tagSpecifications"]
    assert {s["resourceType"] for s in specs} == {"instance", "volume"}
    assert all(s["tags"]["team"] == "ml" for s in specs)


PG = "aws:ec2/placementGroup:PlacementGroup"


def test_groups_have_no_placement_group_unless_asked(gpu):
    assert gpu.of_type(PG) == []
    assert "placement" not in gpu.get(LT, "gpu-standard-lt").inputs


def build_compact():
    def body():
        NodeGroup(
            "gpu-big",
            NodeGroupArgs(
                pool="big",
                cluster_name="llm-test",
                instance_type="p5.48xlarge",
                capacity_type=CapacityType.ON_DEMAND,
                min_nodes=0,
                max_nodes=2,
                disk_size_gib=500,
                gpu=GpuType.H100,
                gpus_per_node=8,
                tags={"team": "ml"},
                placement_group=True,
            ),
            cluster_name="llm-test",
            kubernetes_version="1.34",
            node_role_arn="arn:aws:iam::123456789012:role/node",
            subnet_ids=["subnet-a"],
            cluster_security_group_id="sg-0123",
        )

    return run_components(body)


def test_a_compact_group_puts_its_nodes_in_its_own_cluster_placement_group():
    # EKS user guide "launch-templates": a managed node group's launch template may set
    # placement (only a network interface's subnet, the instance profile and shutdown
    # behaviour are prohibited); a cluster placement group packs instances in one zone.
    plan = build_compact()
    group = plan.get(PG, "gpu-big-placement")
    assert group.inputs["strategy"] == "cluster"
    assert group.inputs["tags"] == {"team": "ml", "Name": "gpu-big-placement"}
    assert group.parent == plan.get("llm-infra:aws:NodeGroup", "gpu-big").urn
    template = plan.get(LT, "gpu-big-lt")
    # the group's (auto-generated) name, unknown under the offline mocks
    assert set(template.inputs["placement"]) == {"groupName"}
    assert template.property_dependencies["placement"] == [group.urn]
    node_group = plan.get(NG, "gpu-big-ng").inputs
    assert node_group["subnetIds"] == ["subnet-a"]
    assert node_group["instanceTypes"] == ["p5.48xlarge"]


def test_a_cluster_placement_group_needs_exactly_one_subnet():
    # "You cannot specify multiple Availability Zones and a cluster placement group"
    # (Auto Scaling API, CreateAutoScalingGroup PlacementGroup).
    with pytest.raises(Exception, match="exactly one subnet"):
        build(placement_group=True)
