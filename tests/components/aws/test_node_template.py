import pytest

from components.aws.node_template import (
    autoscaler_tags,
    eks_taints,
    node_labels,
    node_taints,
    tag_resource_suffix,
    tag_resource_suffixes,
)
from components.enums import GpuType


def test_gpu_pools_get_gpu_and_pool_labels_cpu_pools_only_the_pool():
    # k8s.amazonaws.com/accelerator: kubernetes/autoscaler cloudprovider/aws/
    # aws_cloud_provider.go `GPULabel` (README, "Special note on GPU instances")
    assert node_labels("big", GpuType.H100) == {
        "llm-infra.io/pool": "big",
        "llm-infra.io/gpu": "h100",
        "k8s.amazonaws.com/accelerator": "h100",
    }
    assert node_labels("system", None) == {"llm-infra.io/pool": "system"}


def test_only_gpu_pools_are_tainted_and_eks_spells_the_effect_its_way():
    assert node_taints(None) == []
    assert eks_taints(node_taints(GpuType.L4)) == [
        {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}
    ]


def test_autoscaler_tags_describe_the_node_a_group_at_zero_would_make():
    tags = autoscaler_tags(
        "llm-prod", node_labels("big", GpuType.H100), node_taints(GpuType.H100), gpus_per_node=8
    )
    assert tags["k8s.io/cluster-autoscaler/llm-prod"] == "owned"
    assert tags["k8s.io/cluster-autoscaler/enabled"] == "true"
    assert tags["k8s.io/cluster-autoscaler/node-template/label/llm-infra.io/gpu"] == "h100"
    assert tags["k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu"] == (
        "present:NoSchedule"
    )
    assert tags["k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu"] == "8"


def test_cpu_groups_advertise_no_gpus():
    tags = autoscaler_tags("llm", node_labels("system", None), [], gpus_per_node=0)
    assert not any("nvidia" in key for key in tags)


def test_the_template_says_a_gpu_node_carries_the_accelerator_label():
    tags = autoscaler_tags("llm", node_labels("big", GpuType.L4), [], gpus_per_node=4)
    assert tags["k8s.io/cluster-autoscaler/node-template/label/k8s.amazonaws.com/accelerator"] == (
        "l4"
    )


def test_tag_resources_are_named_by_their_key():
    key = "k8s.io/cluster-autoscaler/node-template/label/llm-infra.io/pool"
    assert tag_resource_suffix(key) == "label-llm-infra-io-pool"
    assert tag_resource_suffix("k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu") == (
        "taint-nvidia-com-gpu"
    )


def test_two_keys_with_one_name_are_refused():
    with pytest.raises(ValueError, match="share the name"):
        tag_resource_suffixes(["x/a.b", "x/a-b"])
