"""What a node group's nodes look like to the scheduler and to the Cluster Autoscaler.

The autoscaler cannot inspect a node that does not exist yet; to scale a group up from
zero it reads the labels, taints and GPU count a new node would have from tags on the
group's Auto Scaling group.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pulumi_aws as aws

from components.enums import GpuType
from components.seam import GPU_LABEL, GPU_TAINT_EFFECT, GPU_TAINT_KEY, GPU_TAINT_VALUE, POOL_LABEL

AUTOSCALER_PREFIX = "k8s.io/cluster-autoscaler"
NODE_TEMPLATE_PREFIX = f"{AUTOSCALER_PREFIX}/node-template/"
# The Cluster Autoscaler's AWS provider treats a node with this label as a GPU node before
# the device plugin advertises its GPUs, so it does not scale up again and again meanwhile
# (kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/aws_cloud_provider.go
# `GPULabel`; cloudprovider/aws/README.md, "Special note on GPU instances").
ACCELERATOR_LABEL = "k8s.amazonaws.com/accelerator"
# EKS's taint effects in the node group API, by their Kubernetes names.
EKS_TAINT_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
}


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: str  # Kubernetes spelling: NoSchedule, NoExecute, PreferNoSchedule


GPU_TAINT = Taint(key=GPU_TAINT_KEY, value=GPU_TAINT_VALUE, effect=GPU_TAINT_EFFECT)


def node_labels(pool: str, gpu: GpuType | None) -> dict[str, str]:
    """Labels on every node of the pool; GPU pools also say which GPU (ours and the
    autoscaler's accelerator label)."""
    labels = {POOL_LABEL: pool}
    if gpu is not None:
        labels[GPU_LABEL] = gpu.value
        labels[ACCELERATOR_LABEL] = gpu.value
    return labels


def node_taints(gpu: GpuType | None) -> list[Taint]:
    """GPU nodes repel every pod that does not tolerate the GPU taint."""
    return [GPU_TAINT] if gpu is not None else []


def eks_taints(taints: list[Taint]) -> list[aws.eks.NodeGroupTaintArgsDict]:
    return [{"key": t.key, "value": t.value, "effect": EKS_TAINT_EFFECTS[t.effect]} for t in taints]


def discovery_tags(cluster_name: str) -> dict[str, str]:
    """The tags the autoscaler discovers a cluster's groups by. EKS puts them on the Auto
    Scaling group of every managed node group itself (EKS user guide, "managed-node-groups":
    managed node group resources are tagged for the Cluster Autoscaler), so they are set on
    the node group only, never managed on the Auto Scaling group."""
    return {
        f"{AUTOSCALER_PREFIX}/enabled": "true",
        f"{AUTOSCALER_PREFIX}/{cluster_name}": "owned",
    }


def node_template_tags(
    labels: Mapping[str, str], taints: list[Taint], gpus_per_node: int
) -> dict[str, str]:
    """The node a group at zero would add: its labels, taints and GPUs
    (cloudprovider/aws/README.md, "Auto-Discovery Setup")."""
    tags = {f"{NODE_TEMPLATE_PREFIX}label/{key}": value for key, value in labels.items()}
    for taint in taints:
        tags[f"{NODE_TEMPLATE_PREFIX}taint/{taint.key}"] = f"{taint.value}:{taint.effect}"
    if gpus_per_node:
        tags[f"{NODE_TEMPLATE_PREFIX}resources/nvidia.com/gpu"] = str(gpus_per_node)
    return tags


def autoscaler_tags(
    cluster_name: str,
    labels: Mapping[str, str],
    taints: list[Taint],
    gpus_per_node: int,
) -> dict[str, str]:
    """Auto-discovery tags plus the node template the autoscaler scales from zero with."""
    return {**discovery_tags(cluster_name), **node_template_tags(labels, taints, gpus_per_node)}


def tag_resource_suffix(key: str) -> str:
    """A resource-name suffix for an Auto Scaling group tag, from its key: the key forces
    replacement of an `aws.autoscaling.Tag` (terraform-provider-aws
    internal/service/autoscaling/group_tag.go, `tag.key` ForceNew), so each tag is named
    by its key, not by its place in a list."""
    short = key.removeprefix(NODE_TEMPLATE_PREFIX)
    return re.sub(r"[^a-z0-9]+", "-", short.lower()).strip("-")


def tag_resource_suffixes(keys: Iterable[str]) -> dict[str, str]:
    """`tag_resource_suffix` of each key; raises `ValueError` if two keys share one."""
    suffixes: dict[str, str] = {}
    for key in sorted(keys):
        suffix = tag_resource_suffix(key)
        if suffix in suffixes.values():
            raise ValueError(f"Auto Scaling group tags '{key}' and another share the name {suffix}")
        suffixes[key] = suffix
    return suffixes
