"""Node allocatable per cloud, each figure against the formula's source."""

from components.enums import Cloud
from components.sizing.allocatable import (
    GIB,
    KERNEL_SHARE,
    MANAGED_AGENTS,
    MIB,
    NodeShape,
    aks_cpu_reserve,
    allocatable,
    eks_max_pods,
    gke_memory_reserve,
    node_shape,
    stepped_cpu_reserve,
)


def shape(cloud: Cloud, instance_type: str) -> NodeShape:
    found = node_shape(cloud, instance_type)
    assert found is not None
    return found


def test_eks_and_gke_cpu_reserve_steps():
    # amazon-eks-ami nodeadm/internal/kubelet/config.go getCPUMillicoresToReserve (v20260724):
    # ranges 0-1-2-4-∞ cores at 6%, 1%, 0.5%, 0.25%; GKE docs list the same steps.
    assert stepped_cpu_reserve(1000) == 60
    assert stepped_cpu_reserve(2000) == 70
    assert stepped_cpu_reserve(4000) == 80
    assert stepped_cpu_reserve(8000) == 90
    assert stepped_cpu_reserve(96000) == 310


def test_eks_max_pods_from_enis():
    # eni_max_pods.go calculateStandardMaxPods: ENIs × (IPv4 per ENI − 1) + 2, with
    # instance-info.jsonl: m6i.large 3 ENIs × 10 addresses, p5.48xlarge 2 × 50.
    assert eks_max_pods("m6i.large") == 29
    assert eks_max_pods("m6i.xlarge") == 58
    assert eks_max_pods("p5.48xlarge") == 100
    assert eks_max_pods("unknown.type") == 110  # nodeadm's fallback: the kubelet default


def test_eks_memory_reserve_is_11_mib_per_pod_plus_255():
    # config.go getMemoryMebibytesToReserve: 11 × maxPods + 255 MiB.
    a = allocatable(Cloud.AWS, shape(Cloud.AWS, "m6i.large"))
    assert a.reserved_memory_bytes == (11 * 29 + 255) * MIB
    expected = (
        int(8 * GIB * (1 - KERNEL_SHARE)) - 574 * MIB - 100 * MIB - MANAGED_AGENTS[Cloud.AWS][1]
    )
    assert a.memory_bytes == expected
    assert a.millicores == 2000 - 70 - MANAGED_AGENTS[Cloud.AWS][0]


def test_gke_memory_reserve_steps():
    # GKE docs, node allocatable: 25% of the first 4 GiB, 20% of the next 4, 10% of the
    # next 8, 6% of the next 112, 2% above 128 GiB.
    assert gke_memory_reserve(4 * GIB) == int(1 * GIB)
    assert gke_memory_reserve(16 * GIB) == int((1 + 0.8 + 0.8) * GIB)
    assert gke_memory_reserve(192 * GIB) == int((1 + 0.8 + 0.8 + 6.72 + 64 * 0.02) * GIB)


def test_aks_cpu_table_and_memory_cap():
    # AKS docs, node resource reservations: 60/100/140/180/260/420/740 m for 1–64 cores;
    # memory min(20 MB × max pods + 50 MB, 25% of memory), eviction 100 Mi (1.29+).
    assert [aks_cpu_reserve(c) for c in (1, 2, 4, 8, 16, 32, 64, 96)] == [
        60,
        100,
        140,
        180,
        260,
        420,
        740,
        740,
    ]
    small = allocatable(Cloud.AZURE, shape(Cloud.AZURE, "Standard_D4s_v5"))
    assert small.reserved_memory_bytes == int(16 * GIB * 0.25)  # 250 pods would want 5.05 GB
    few = allocatable(Cloud.AZURE, shape(Cloud.AZURE, "Standard_D4s_v5"), max_pods=30)
    assert few.reserved_memory_bytes == 20 * 10**6 * 30 + 50 * 10**6


def test_gpu_shapes_come_from_the_catalog():
    shape = node_shape(Cloud.GCP, "a3-highgpu-8g")
    assert shape is not None and shape.gpus == 8
    assert node_shape(Cloud.AWS, "no-such-type") is None
