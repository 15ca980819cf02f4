"""What a node group's nodes look like to the scheduler and to the Cluster Autoscaler.

The autoscaler cannot inspect a node that does not exist yet; to scale a group up from
zero it reads the labels, taints and GPU count a new node would have from tags on the
group's Auto Scaling group.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi_aws as aws

from components.enums import GpuType
from components.seam import GPU_LABEL, GPU_TAINT_EFFECT, GPU_TAINT_KEY, GPU_TAINT_VALUE, POOL_LABEL

AUTOSCALER_PREFIX = "k8s.io/cluster-autoscaler"
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
    """Labels on every node of the pool; GPU pools also say which GPU."""
    labels = {POOL_LABEL: pool}
    if gpu is not None:
        labels[GPU_LABEL] = gpu.value
    return labels


def node_taints(gpu: GpuType | None) -> list[Taint]:
    """GPU nodes repel every pod that does not tolerate the GPU taint."""
    return [GPU_TAINT] if gpu is not None else []


def eks_taints(taints: list[Taint]) -> list[aws.eks.NodeGroupTaintArgsDict]:
    return [{"key": t.key, "value": t.value, "effect": EKS_TAINT_EFFECTS[t.effect]} for t in taints]


def autoscaler_tags(
    cluster_name: str,
    labels: Mapping[str, str],
    taints: list[Taint],
    gpus_per_node: int,
) -> dict[str, str]:
    """Auto-discovery tags plus the node template the autoscaler scales from zero with."""
    tags = {
        f"{AUTOSCALER_PREFIX}/enabled": "true",
        f"{AUTOSCALER_PREFIX}/{cluster_name}": "owned",
    }
    for key, value in labels.items():
        tags[f"{AUTOSCALER_PREFIX}/node-template/label/{key}"] = value
    for taint in taints:
        tags[f"{AUTOSCALER_PREFIX}/node-template/taint/{taint.key}"] = (
            f"{taint.value}:{taint.effect}"
        )
    if gpus_per_node:
        tags[f"{AUTOSCALER_PREFIX}/node-template/resources/nvidia.com/gpu"] = str(gpus_per_node)
    return tags
