from components.aws.node_template import autoscaler_tags, eks_taints, node_labels, node_taints
from components.enums import GpuType


def test_gpu_pools_get_gpu_and_pool_labels_cpu_pools_only_the_pool():
    assert node_labels("big", GpuType.H100) == {
        "llm-infra.io/pool": "big",
        "llm-infra.io/gpu": "h100",
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
