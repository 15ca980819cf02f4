"""How big the EKS CPU pool must be for what the platform itself runs on it.

Pure sizing: the pods the platform puts on the CPU pool (its operators, monitoring, Qdrant,
CPU embeddings, the EKS add-ons' Deployments), the allocatable CPU and memory of an
m6i node as the EKS AL2023 AMI computes it, and per-zone node counts (one node group
per zone, so the Cluster Autoscaler can add a node in the zone of a pending pod's volume).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from components.enums import Cloud
from components.sizing.allocatable import (
    CPU_SHAPES,
    MIB,
    NodeShape,
    allocatable,
    eks_max_pods,
)


@dataclass(frozen=True)
class CpuInstance:
    name: str
    vcpus: int
    memory_gib: float
    max_pods: int
    """ENIs × (IPv4 addresses per ENI − 1) + 2, as the AMI sets kubelet's maxPods."""


# The m6i sizes the pool is chosen from; shapes and max pods come from the node facts every
# check shares (components/sizing/allocatable.py: the EC2 M6i table, amazon-eks-ami
# nodeadm's instance-info.jsonl and calculateStandardMaxPods).
CPU_INSTANCE_NAMES = ("m6i.large", "m6i.xlarge", "m6i.2xlarge", "m6i.4xlarge")
CPU_INSTANCES: tuple[CpuInstance, ...] = tuple(
    CpuInstance(name, CPU_SHAPES[name][0], CPU_SHAPES[name][1], eks_max_pods(name))
    for name in CPU_INSTANCE_NAMES
)
# Nodes are planned to be at most this full: pods do not pack perfectly, and a rolling
# update briefly runs one extra pod of a Deployment.
FILL = 0.8


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


def free_per_node(instance: CpuInstance) -> tuple[int, int]:
    """CPU (millicores) and memory (MiB) a node offers pods: its allocatable as the EKS AMI
    computes it, less the cloud's own DaemonSets (the same figures the deploy-truth
    scheduling simulation uses)."""
    shape = NodeShape(instance.name, instance.vcpus, instance.memory_gib, 0)
    free = allocatable(Cloud.AWS, shape, instance.max_pods)
    return free.millicores, free.memory_bytes // MIB


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
    gateway_replicas: int = 0
    """The gateway's Envoy proxies (none without the gateway)."""
    gateway_tls: bool = False
    """cert-manager, for the gateway's certificate."""


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
    if workloads.gateway_replicas:
        # workloads/gateway.py and components/aws/load_balancer_controller.py set these
        pods += [
            PodDemand("envoy", 250, 512, replicas=workloads.gateway_replicas),
            PodDemand("envoy-gateway", 100, 256),
            PodDemand("ai-gateway-controller", 100, 128),
            PodDemand("aws-load-balancer-controller", 100, 128, replicas=2),
        ]
    if workloads.gateway_tls:
        # workloads/certificates.py: controller, webhook, cainjector (and the start check)
        pods.append(PodDemand("cert-manager", 50, 64, replicas=4))
    return pods
