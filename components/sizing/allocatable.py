"""What a node of each cloud offers pods: its shape, less what the kubelet reserves.

allocatable = capacity − kube-reserved − system-reserved − the hard eviction threshold,
with each cloud's own reservation formula:

- EKS (AL2023, nodeadm): CPU 6% of the first core, 1% of the second, 0.5% of the next
  two, 0.25% of every core above four; memory 11 MiB × max pods + 255 MiB; eviction at
  100 MiB available; max pods = ENIs × (IPv4 addresses per ENI − 1) + 2, from the AMI's
  instance table (awslabs/amazon-eks-ami, nodeadm/internal/kubelet/config.go
  `getCPUMillicoresToReserve`, `getMemoryMebibytesToReserve`, `evictionHard`;
  eni_max_pods.go `calculateStandardMaxPods`; instance-info.jsonl; tag v20260724).
- GKE: CPU as EKS; memory 25% of the first 4 GiB, 20% of the next 4, 10% of the next 8,
  6% of the next 112 and 2% above 128 GiB; eviction at 100 MiB; 110 pods per node by
  default (GKE docs, "Plan GKE node sizes: node allocatable resources").
- AKS (1.29 and later): CPU 60/100/140/180/260/420/740 millicores for 1/2/4/8/16/32/64
  cores; memory the lesser of 20 MB × max pods + 50 MB and 25% of the node's memory;
  eviction at 100 Mi; 250 pods per node by default with Azure CNI Overlay (AKS docs,
  "Node resource reservations"; "Azure CNI Overlay networking", maximum pods).

Planning assumptions, not cloud facts (kept visible here): the kubelet reports a little
less memory than the instance's nominal size (firmware and kernel), taken as 5%; and the
cloud's own node agents (CNI, kube-proxy, CSI node plugins, log and metrics agents) take
`MANAGED_AGENTS` per node beyond the DaemonSets the stack itself creates.
"""

from dataclasses import dataclass

from components.catalog import catalog
from components.enums import Cloud

MIB = 1024**2
GIB = 1024**3
EVICTION_BYTES = 100 * MIB
KERNEL_SHARE = 0.05
# (millicores, bytes) per node for the cloud's own DaemonSets. EKS: aws-node 25m
# (aws/amazon-vpc-cni-k8s charts/aws-vpc-cni/values.yaml), ebs-csi-node 10m / 40Mi
# (kubernetes-sigs/aws-ebs-csi-driver charts/aws-ebs-csi-driver/values.yaml
# `node.resources`), kube-proxy 100m, rounded up for the network policy agent; GKE and AKS:
# planning allowances for their CNI, proxy, CSI, log and metrics agents.
MANAGED_AGENTS = {
    Cloud.AWS: (200, 300 * MIB),
    Cloud.GCP: (300, 500 * MIB),
    Cloud.AZURE: (300, 500 * MIB),
}
GKE_MAX_PODS = 110
AKS_MAX_PODS = 250
# ENIs and IPv4 addresses per ENI of the CPU and GPU types the stacks use
# (amazon-eks-ami nodeadm/internal/kubelet/instance-info.jsonl, v20260724).
EKS_ENIS = {
    "m6i.large": (3, 10),
    "m6i.xlarge": (4, 15),
    "m6i.2xlarge": (4, 15),
    "m6i.4xlarge": (8, 30),
    "m6i.8xlarge": (8, 30),
    "m7i.large": (3, 10),
    "m7i.xlarge": (4, 15),
    "m7i.2xlarge": (4, 15),
    "g5.xlarge": (4, 15),
    "g5.2xlarge": (4, 15),
    "g5.4xlarge": (8, 30),
    "g5.8xlarge": (8, 30),
    "g5.12xlarge": (15, 50),
    "g5.16xlarge": (8, 30),
    "g5.24xlarge": (15, 50),
    "g5.48xlarge": (7, 50),
    "g6.xlarge": (4, 15),
    "g6.2xlarge": (4, 15),
    "g6.4xlarge": (8, 30),
    "g6.8xlarge": (8, 30),
    "g6.12xlarge": (8, 30),
    "g6.16xlarge": (15, 50),
    "g6.24xlarge": (15, 50),
    "g6.48xlarge": (15, 50),
    "p4d.24xlarge": (15, 50),
    "p4de.24xlarge": (15, 50),
    "p5.48xlarge": (2, 50),
}
# vCPUs and GiB of the CPU machine types the stacks use, as each cloud lists them.
_M6I = (("large", 2), ("xlarge", 4), ("2xlarge", 8), ("4xlarge", 16), ("8xlarge", 32))
# 4 GiB per vCPU for every general-purpose family listed here
CPU_SHAPES: dict[str, tuple[int, float]] = {
    **{f"m6i.{size}": (vcpus, 4.0 * vcpus) for size, vcpus in _M6I},
    **{f"m7i.{size}": (vcpus, 4.0 * vcpus) for size, vcpus in _M6I[:3]},
    **{f"e2-standard-{v}": (v, 4.0 * v) for v in (2, 4, 8, 16, 32)},
    **{f"n2-standard-{v}": (v, 4.0 * v) for v in (2, 4, 8, 16, 32)},
    **{f"Standard_D{v}s_v5": (v, 4.0 * v) for v in (2, 4, 8, 16, 32)},
    **{f"Standard_D{v}ds_v5": (v, 4.0 * v) for v in (2, 4, 8, 16, 32)},
}


@dataclass(frozen=True)
class NodeShape:
    instance_type: str
    vcpus: int
    memory_gib: float
    gpus: int


@dataclass(frozen=True)
class Allocatable:
    millicores: int
    memory_bytes: int
    gpus: int
    pods: int
    reserved_millicores: int
    reserved_memory_bytes: int


def node_shape(cloud: Cloud, instance_type: str) -> NodeShape | None:
    for instance in catalog().instances.get(cloud, ()):
        if instance.name == instance_type:
            return NodeShape(instance.name, instance.vcpus, instance.memory_gib, instance.gpus)
    if instance_type in CPU_SHAPES:
        vcpus, memory = CPU_SHAPES[instance_type]
        return NodeShape(instance_type, vcpus, memory, 0)
    return None


def stepped_cpu_reserve(millicores: int) -> int:
    """EKS and GKE: 6% of the first core, 1% of the next, 0.5% of the next two, 0.25% above."""
    reserved = 0.0
    for low, high, share in ((0, 1000, 0.06), (1000, 2000, 0.01), (2000, 4000, 0.005)):
        reserved += max(0, min(millicores, high) - low) * share
    reserved += max(0, millicores - 4000) * 0.0025
    return int(reserved)


def gke_memory_reserve(memory_bytes: int) -> int:
    reserved, low = 0.0, 0
    for size_gib, share in ((4, 0.25), (4, 0.20), (8, 0.10), (112, 0.06)):
        high = low + size_gib * GIB
        reserved += max(0, min(memory_bytes, high) - low) * share
        low = high
    reserved += max(0, memory_bytes - low) * 0.02
    return int(reserved)


AKS_CPU = ((1, 60), (2, 100), (4, 140), (8, 180), (16, 260), (32, 420), (64, 740))


def aks_cpu_reserve(vcpus: int) -> int:
    """The AKS table's value for the largest listed core count not above the node's."""
    reserved = AKS_CPU[0][1]
    for cores, millicores in AKS_CPU:
        if vcpus >= cores:
            reserved = millicores
    return reserved


def eks_max_pods(instance_type: str) -> int:
    enis, addresses = EKS_ENIS.get(instance_type, (0, 0))
    # nodeadm falls back to the kubelet default of 110 when it cannot find the type
    return enis * (addresses - 1) + 2 if enis else 110


def eks_kube_reserved_memory_bytes(max_pods: int) -> int:
    """nodeadm's getMemoryMebibytesToReserve: 11 MiB per pod plus 255 MiB."""
    return (11 * max_pods + 255) * MIB


def allocatable(cloud: Cloud, shape: NodeShape, max_pods: int | None = None) -> Allocatable:
    millicores = shape.vcpus * 1000
    memory = int(shape.memory_gib * GIB * (1 - KERNEL_SHARE))
    if cloud is Cloud.AWS:
        pods = max_pods or eks_max_pods(shape.instance_type)
        cpu_reserved = stepped_cpu_reserve(millicores)
        memory_reserved = eks_kube_reserved_memory_bytes(pods)
    elif cloud is Cloud.GCP:
        pods = max_pods or GKE_MAX_PODS
        cpu_reserved = stepped_cpu_reserve(millicores)
        memory_reserved = gke_memory_reserve(int(shape.memory_gib * GIB))
    else:
        pods = max_pods or AKS_MAX_PODS
        cpu_reserved = aks_cpu_reserve(shape.vcpus)
        memory_reserved = min(20 * 10**6 * pods + 50 * 10**6, int(shape.memory_gib * GIB * 0.25))
    agents_cpu, agents_memory = MANAGED_AGENTS[cloud]
    return Allocatable(
        millicores=millicores - cpu_reserved - agents_cpu,
        memory_bytes=memory - memory_reserved - EVICTION_BYTES - agents_memory,
        gpus=shape.gpus,
        pods=pods,
        reserved_millicores=cpu_reserved,
        reserved_memory_bytes=memory_reserved,
    )
