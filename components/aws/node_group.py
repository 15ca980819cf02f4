"""An EKS managed node group: hardened launch template, labels, taints, autoscaler tags."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.aws.node_template import (
    autoscaler_tags,
    discovery_tags,
    eks_taints,
    node_labels,
    node_taints,
    node_template_tags,
    tag_resource_suffixes,
)
from components.enums import CapacityType, GpuType

EKS_CAPACITY_TYPES = {CapacityType.ON_DEMAND: "ON_DEMAND", CapacityType.SPOT: "SPOT"}
GPU_AMI_TYPE = "AL2023_x86_64_NVIDIA"
CPU_AMI_TYPE = "AL2023_x86_64_STANDARD"
ROOT_DEVICE = "/dev/xvda"  # the AL2023 EKS AMIs' root volume


def update_config(gpu: bool) -> aws.eks.NodeGroupUpdateConfigArgsDict:
    """One node at a time. A version update by default first launches up to twice as many
    new nodes as the group has zones (EKS user guide, "managed-node-update-behavior");
    for GPU groups the MINIMAL strategy terminates an old node before launching its
    replacement instead, so an update never buys extra GPU nodes (EKS API reference,
    NodegroupUpdateConfig `updateStrategy`)."""
    if gpu:
        return {"max_unavailable": 1, "update_strategy": "MINIMAL"}
    return {"max_unavailable": 1}


def legacy_tag_names(
    name: str, cluster_name: str, template_tags: Mapping[str, str]
) -> dict[str, str]:
    """The names the Auto Scaling group tags had when they were named by their place in
    the sorted list of discovery and node-template tags (before the accelerator label),
    by key: aliases, so renaming them by key replaces nothing."""
    old_keys = sorted(
        {**discovery_tags(cluster_name), **template_tags}.keys()
        - {k for k in template_tags if k.endswith("/label/k8s.amazonaws.com/accelerator")}
    )
    return {key: f"{name}-asg-tag-{index}" for index, key in enumerate(old_keys)}


@dataclass(frozen=True)
class NodeGroupArgs:
    pool: str
    """Pool name: the `llm-infra.io/pool` label on every node."""
    cluster_name: str
    """The EKS cluster's name, for the autoscaler's discovery tags."""
    instance_type: str
    capacity_type: CapacityType
    min_nodes: int
    max_nodes: int
    disk_size_gib: int
    gpu: GpuType | None = None
    """None for a CPU pool: no GPU label, no taint, the standard AMI."""
    gpus_per_node: int = 0
    tags: Mapping[str, str] = field(default_factory=dict)
    placement_group: bool = False
    """Put the nodes in their own cluster placement group (`-placement`): a pool holding
    a multi-node replica (infra.topology.compact_pools). Needs exactly one subnet, since a
    cluster placement group lies in a single Availability Zone."""


class NodeGroup(pulumi.ComponentResource):
    """A managed node group in private subnets.

    Creates: a launch template (`-lt`) requiring IMDSv2 with hop limit 1 (pods cannot
    reach the node's credentials), an encrypted gp3 root volume of `disk_size_gib`, no
    public IP, tags on instances and volumes; the node group (`-ng`) with the AL2023
    NVIDIA AMI for GPU pools (standard AL2023 otherwise), the pool's labels, the GPU taint
    `nvidia.com/gpu=present:NoSchedule` on GPU pools, and autoscaling bounds (the
    autoscaler owns the desired size afterwards), the cluster's Kubernetes version (nodes
    follow a control-plane upgrade), one node at a time on updates (GPU groups with the
    MINIMAL strategy), GPU nodes also labelled `k8s.amazonaws.com/accelerator`; the
    autoscaler's discovery and node-template tags on the node group, and the node-template
    tags on its Auto Scaling group, one resource per key (`-asg-tag-<key>`, e.g.
    `-asg-tag-label-llm-infra-io-pool`), so a group at zero can scale up. EKS tags the Auto
    Scaling group for discovery itself. With `placement_group`: a cluster placement group
    (`-placement`) that the launch template places every node in.

    Placement: the nodes of a multi-node replica talk to each other on every token, so a
    pool holding one packs its nodes close together. A managed node group's launch
    template may set `placement.group_name`: the EKS user guide lists what it must not
    hold (a network interface's subnet, the IAM instance profile, shutdown and hibernation
    behaviour; https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html, and
    https://docs.aws.amazon.com/eks/latest/APIReference/API_LaunchTemplateSpecification.html),
    placement is not among it, and EKS points to managed or self-managed node groups with
    a launch template for placement groups (EKS user guide, "device-management-efa"). A
    cluster placement group is "within a single Availability Zone. You cannot specify
    multiple Availability Zones and a cluster placement group" (Auto Scaling API,
    CreateAutoScalingGroupRequest `placementGroup`), hence the one subnet. Inside one, a
    single TCP flow may reach 10 Gbps instead of 5 Gbps outside
    (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-network-bandwidth.html),
    the path pipeline stages hand over on without EFA. An account has up to 500 placement
    groups per region (EC2 user guide, "limitations-placement-groups").
    """

    node_group: aws.eks.NodeGroup
    """The managed node group itself: what to wait on for "nodes are up" (its Auto
    Scaling group tags are not needed for that)."""
    node_group_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: NodeGroupArgs,
        *,
        cluster_name: pulumi.Input[str],
        kubernetes_version: pulumi.Input[str],
        node_role_arn: pulumi.Input[str],
        subnet_ids: Sequence[pulumi.Input[str]],
        cluster_security_group_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:aws:NodeGroup", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = node_labels(args.pool, args.gpu)
        taints = node_taints(args.gpu)
        scaling_tags = autoscaler_tags(args.cluster_name, labels, taints, args.gpus_per_node)
        template_tags = node_template_tags(labels, taints, args.gpus_per_node)
        resource_tags = {**args.tags, "Name": f"{name}-node"}
        placement: aws.ec2.LaunchTemplatePlacementArgsDict | None = None
        if args.placement_group:
            if len(subnet_ids) != 1:
                raise ValueError(
                    f"NodeGroup '{name}': a cluster placement group lies in one Availability "
                    f"Zone, so the group needs exactly one subnet (got {len(subnet_ids)})"
                )
            group = aws.ec2.PlacementGroup(
                f"{name}-placement",
                # `cluster`: the nodes packed close together in one zone (see the docstring).
                strategy="cluster",
                tags={**args.tags, "Name": f"{name}-placement"},
                opts=child,
            )
            placement = {"group_name": group.name}

        template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            description=f"Nodes of the {args.pool} pool",
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",
                # One hop: the node itself reaches the metadata service, its pods do not;
                # they get credentials through IRSA instead.
                "http_put_response_hop_limit": 1,
            },
            block_device_mappings=[
                {
                    "device_name": ROOT_DEVICE,
                    "ebs": {
                        "volume_size": args.disk_size_gib,
                        "volume_type": "gp3",
                        "encrypted": "true",
                        "delete_on_termination": "true",
                    },
                }
            ],
            network_interfaces=[
                {
                    "device_index": 0,
                    "associate_public_ip_address": "false",
                    "delete_on_termination": "true",
                    # Naming interfaces here stops EKS adding the cluster security group
                    # itself, so name it.
                    "security_groups": [cluster_security_group_id],
                }
            ],
            tag_specifications=[
                {"resource_type": "instance", "tags": resource_tags},
                {"resource_type": "volume", "tags": resource_tags},
            ],
            tags={**args.tags, "Name": f"{name}-lt"},
            # Not prohibited in a managed node group's launch template (see the docstring).
            placement=placement,
            opts=child,
        )
        node_group = aws.eks.NodeGroup(
            f"{name}-ng",
            cluster_name=cluster_name,
            # The cluster's version: a control-plane upgrade then upgrades the nodes too.
            version=kubernetes_version,
            node_role_arn=node_role_arn,
            subnet_ids=list(subnet_ids),
            instance_types=[args.instance_type],
            ami_type=GPU_AMI_TYPE if args.gpu is not None else CPU_AMI_TYPE,
            capacity_type=EKS_CAPACITY_TYPES[args.capacity_type],
            scaling_config={
                "min_size": args.min_nodes,
                "max_size": args.max_nodes,
                "desired_size": args.min_nodes,
            },
            update_config=update_config(args.gpu is not None),
            launch_template={"id": template.id, "version": template.latest_version.apply(str)},
            labels=labels,
            taints=eks_taints(taints),
            tags={**args.tags, **scaling_tags, "Name": f"{name}-ng"},
            # The autoscaler moves the desired size; a later `pulumi up` must not undo it.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["scalingConfig.desiredSize"]),
        )
        # Managed node groups do not copy their tags to the Auto Scaling group, where the
        # autoscaler reads the node template; EKS adds the discovery tags there itself.
        asg_name = node_group.resources.apply(
            lambda resources: str(resources[0].autoscaling_groups[0].name)  # type: ignore[index]
        )
        legacy = legacy_tag_names(name, args.cluster_name, template_tags)
        for key, suffix in tag_resource_suffixes(template_tags).items():
            aws.autoscaling.Tag(
                f"{name}-asg-tag-{suffix}",
                autoscaling_group_name=asg_name,
                tag={"key": key, "value": template_tags[key], "propagate_at_launch": False},
                opts=pulumi.ResourceOptions(
                    parent=self,
                    aliases=[pulumi.Alias(name=legacy[key])] if key in legacy else None,
                ),
            )
        self.node_group = node_group
        self.node_group_name = node_group.node_group_name
        self.register_outputs({"node_group_name": self.node_group_name})
