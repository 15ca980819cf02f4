"""How big the EKS CPU pool must be for what the platform itself runs on it.

Pure sizing: the pods the platform puts on the CPU pool (its operators, monitoring, Qdrant,
CPU embeddings, the EKS add-ons' Deployments), the allocatable CPU and memory of an
m6i node as the EKS AL2023 AMI computes it, and per-zone node counts (one node group
per zone, so the Cluster Autoscaler can add a node in the zone of a pending pod's volume).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CpuInstance:
    name: str
    vcpus: int
    memory_gib: int
    max_pods: int
    """ENIs × (IPv4 addresses per ENI − 1) + 2, as the AMI sets kubelet's maxPods."""


# vCPUs and memory: the EC2 M6i instance type table. ENIs and addresses per ENI:
# awslabs/amazon-eks-ami nodeadm/internal/kubelet/instance-info.jsonl (m6i.large 3 × 10,
# xlarge and 2xlarge 4 × 15, 4xlarge 8 × 30); max pods by calculateStandardMaxPods in
# nodeadm/internal/kubelet/eni_max_pods.go.
CPU_INSTANCES: tuple[CpuInstance, ...] = (
    CpuInstance("m6i.large", vcpus=2, memory_gib=8, max_pods=29),
    CpuInstance("m6i.xlarge", vcpus=4, memory_gib=16, max_pods=58),
    CpuInstance("m6i.2xlarge", vcpus=8, memory_gib=32, max_pods=58),
    CpuInstance("m6i.4xlarge", vcpus=16, memory_gib=64, max_pods=234),
)
CPU_INSTANCE_NAMES = tuple(i.name for i in CPU_INSTANCES)

# What every node's DaemonSets request, rounded up: aws-node 25m (aws/amazon-vpc-cni-k8s
# charts/aws-vpc-cni/values.yaml), ebs-csi-node 10m / 40Mi (kubernetes-sigs/aws-ebs-csi-driver
# charts/aws-ebs-csi-driver/values.yaml `node.resources`), kube-proxy 100m, plus room for
# the network policy agent and node-exporter, which request nothing.
DAEMONSET_CPU_MILLICORES = 200
DAEMONSET_MEMORY_MIB = 256
# Nodes are planned to be at most this full: pods do not pack perfectly, and a rolling
# update briefly runs one extra pod of a Deployment.
FILL = 0.8
# Memory the kubelet evicts below (nodeadm's evictionHard `memory.available: 100Mi`).
EVICTION_MIB = 100


@dataclass(frozen=True)
class PodDemand:
    name: str
    cpu_millicores: int
    memory_mib: int
    replicas: int = 1


@dataclass(frozen=True)
class CpuPoolSize:
    instance_type: str
    min_nodes: int
    """Across all zones."""
    max_nodes: int
    zones: int

    def per_zone(self) -> list[tuple[int, int]]:
        """(min, max) of each zone's node group: totals spread evenly, the first zones
        taking the remainder; every group may grow by at least one node."""
        return [
            (_share(self.min_nodes, self.zones, i), max(1, _share(self.max_nodes, self.zones, i)))
            for i in range(self.zones)
        ]


def _share(total: int, parts: int, index: int) -> int:
    return total // parts + (1 if index < total % parts else 0)


def cpu_instance(name: str) -> CpuInstance | None:
    return next((i for i in CPU_INSTANCES if i.name == name), None)


def reserved_cpu_millicores(vcpus: int) -> int:
    """kube-reserved CPU: 6% of the first core, 1% of the second, 0.5% of the third and
    fourth, 0.25% of the rest (amazon-eks-ami nodeadm/internal/kubelet/config.go,
    getCPUMillicoresToReserve)."""
    total = vcpus * 1000
    bounds = (0, 1000, 2000, 4000, total)
    per_ten_thousand = (600, 100, 50, 25)
    reserved = 0
    for index, share in enumerate(per_ten_thousand):
        start, end = bounds[index], bounds[index + 1]
        if total > start:
            reserved += (min(total, end) - start) * share // 10000
    return reserved


def reserved_memory_mib(max_pods: int) -> int:
    """kube-reserved memory: 11 MiB per pod plus 255 MiB (nodeadm's
    getMemoryMebibytesToReserve)."""
    return 11 * max_pods + 255


def free_per_node(instance: CpuInstance) -> tuple[int, int]:
    """CPU (millicores) and memory (MiB) a node offers pods after kube-reserved, the
    eviction threshold and the DaemonSets."""
    cpu = instance.vcpus * 1000 - reserved_cpu_millicores(instance.vcpus)
    memory = instance.memory_gib * 1024 - reserved_memory_mib(instance.max_pods) - EVICTION_MIB
    return cpu - DAEMONSET_CPU_MILLICORES, memory - DAEMONSET_MEMORY_MIB


def holds(instance: CpuInstance, pod: PodDemand) -> bool:
    cpu, memory = free_per_node(instance)
    return pod.cpu_millicores <= cpu and pod.memory_mib <= memory


def nodes_needed(instance: CpuInstance, pods: Sequence[PodDemand]) -> int:
    cpu, memory = free_per_node(instance)
    total_cpu = sum(p.cpu_millicores * p.replicas for p in pods)
    total_memory = sum(p.memory_mib * p.replicas for p in pods)
    return max(1, math.ceil(total_cpu / (cpu * FILL)), math.ceil(total_memory / (memory * FILL)))


def nodes_per_zone(instance: CpuInstance, pods: Sequence[PodDemand], zones: int) -> int:
    return math.ceil(nodes_needed(instance, pods) / zones)


def cheapest_instance(pods: Sequence[PodDemand], zones: int) -> CpuInstance:
    """Of the m6i types whose free capacity holds the largest pod, the one whose pool has
    the fewest vCPUs (m6i prices scale with vCPUs), then the fewest nodes."""
    fitting = [i for i in CPU_INSTANCES if all(holds(i, pod) for pod in pods)]
    if not fitting:
        largest = max(pods, key=lambda p: (p.cpu_millicores, p.memory_mib))
        raise ValueError(
            f"no CPU instance type holds '{largest.name}' ({largest.cpu_millicores}m, "
            f"{largest.memory_mib}Mi); the largest is {CPU_INSTANCES[-1].name}"
        )

    def cost(instance: CpuInstance) -> tuple[int, int]:
        nodes = nodes_per_zone(instance, pods, zones) * zones
        return nodes * instance.vcpus, nodes

    return min(fitting, key=cost)


def size_cpu_pool(
    pods: Sequence[PodDemand],
    zones: int,
    *,
    instance_type: str | None = None,
    min_nodes: int | None = None,
    max_nodes: int | None = None,
) -> CpuPoolSize:
    """The CPU pool for `pods` over `zones` zones: the given instance type or the cheapest
    that holds the largest pod; at least the nodes the pods need at `FILL`, the same
    number in every zone (so every zone has a node for its volumes); twice that as the
    autoscaling maximum. Given counts win."""
    instance = cpu_instance(instance_type) if instance_type else cheapest_instance(pods, zones)
    if instance is None:
        if min_nodes is None or max_nodes is None:
            raise ValueError(f"no sizing facts for '{instance_type}': give min and max nodes")
        return CpuPoolSize(str(instance_type), min_nodes, max_nodes, zones)
    per_zone = nodes_per_zone(instance, pods, zones)
    low = min_nodes if min_nodes is not None else per_zone * zones
    high = max_nodes if max_nodes is not None else max(low, 2 * per_zone * zones)
    return CpuPoolSize(instance.name, low, high, zones)


@dataclass(frozen=True)
class CpuWorkloads:
    """What the platform runs on the CPU pool, as the stack's config says."""

    prod: bool
    monitoring: bool = True
    grafana: bool = True
    qdrant_replicas: int = 0
    embeddings_replicas: int = 0
    """Embedding servers on CPU (none when they run on a GPU pool)."""


GIB = 1024


def platform_pods(workloads: CpuWorkloads) -> list[PodDemand]:
    """The CPU pool's pods at their requests: the workloads' own (workloads/monitoring.py,
    autoscaling.py, qdrant.py, embeddings.py and infra/deploy_workloads.py set them),
    the Cluster Autoscaler's (components/aws/autoscaler.py) and the EKS add-ons'
    Deployments (coredns: 2 × 100m / 70Mi; EBS CSI controller: 2 × 10m / 40Mi,
    aws-ebs-csi-driver chart `controller.resources`)."""
    pods = [
        PodDemand("coredns", 100, 70, replicas=2),
        PodDemand("ebs-csi-controller", 10, 40, replicas=2),
        PodDemand("cluster-autoscaler", 100, 300),
    ]
    if workloads.monitoring:
        pods += [
            PodDemand("prometheus", 1000, 4 * GIB),
            PodDemand("prometheus-operator", 200, 256),
            PodDemand("kube-state-metrics", 100, 256),
            # KEDA reads queue depth from Prometheus, so it comes with monitoring.
            PodDemand("keda", 100, 128, replicas=3),
        ]
        if workloads.grafana:
            pods.append(PodDemand("grafana", 250, 512))
    if workloads.qdrant_replicas:
        cpu, memory = (1000, 4 * GIB) if workloads.prod else (500, 2 * GIB)
        pods.append(PodDemand("qdrant", cpu, memory, replicas=workloads.qdrant_replicas))
        # the snapshot job's upload container (its init container runs before it)
        pods.append(PodDemand("qdrant-snapshot", 500, 512))
    if workloads.embeddings_replicas:
        pods.append(PodDemand("embeddings", 2000, 4 * GIB, replicas=workloads.embeddings_replicas))
    return pods
