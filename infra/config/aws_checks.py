"""Checks of what EKS and the AWS platform would refuse or could not run.

Same contract as infra.config.checks: each reads a ConfigView and yields every issue,
naming the config path, the value and the fix.
"""

from collections.abc import Iterator

from components.aws.autoscaler_releases import AUTOSCALER_RELEASES
from components.aws.cpu_pool import (
    CPU_INSTANCE_NAMES,
    CpuWorkloads,
    cpu_instance,
    free_per_node,
    holds,
    platform_pods,
)
from components.enums import Cloud, Environment, NatStrategy
from infra.config.checks import Check, ConfigView
from infra.config.errors import PLATFORM_KEY, ConfigIssue, show

P = PLATFORM_KEY


def check_aws_nat(view: ConfigView) -> Iterator[ConfigIssue]:
    """Without NAT, private subnets reach only the S3 gateway and the ECR/STS interface
    endpoints: nodes cannot call EC2, Auto Scaling, EKS or CloudWatch Logs, and the
    platform's images come from public registries (Docker Hub, ghcr.io, quay.io,
    registry.k8s.io)."""
    if view.cloud is not Cloud.AWS or view.network is None:
        return
    if view.network.nat is NatStrategy.NONE:
        yield ConfigIssue(
            f"{P}.network.nat",
            "'none' leaves the nodes no way to the EC2, Auto Scaling, EKS and CloudWatch Logs "
            "APIs or to the public registries the platform's images come from",
            "use 'single' or 'one_per_az'",
        )


def check_aws_kubernetes_version(view: ConfigView) -> Iterator[ConfigIssue]:
    """The Cluster Autoscaler's minor must match the cluster's; only pinned minors can."""
    if view.cloud is not Cloud.AWS or view.cluster is None:
        return
    version = view.cluster.kubernetes_version
    if version not in AUTOSCALER_RELEASES:
        yield ConfigIssue(
            f"{P}.cluster.kubernetes_version",
            f"{show(version)} has no pinned Cluster Autoscaler release "
            f"(pinned: {', '.join(AUTOSCALER_RELEASES)})",
            f"use one of those; the newest is {list(AUTOSCALER_RELEASES)[-1]}",
        )


def check_aws_system_pool(view: ConfigView) -> Iterator[ConfigIssue]:
    """A CPU pool type written in config must hold the platform's largest CPU pod. (A
    `max_nodes` below the zone count still gives every zone's group room for one node.)"""
    if view.cloud is not Cloud.AWS or view.cluster is None:
        return
    system, path = view.cluster.system_pool, f"{P}.cluster.system_pool"
    given = system.model_fields_set
    if system.instance_type is None:
        return
    instance = cpu_instance(system.instance_type)
    if instance is None:
        if not {"min_nodes", "max_nodes"} <= given:
            yield ConfigIssue(
                f"{path}.instance_type",
                f"{show(system.instance_type)} has no sizing facts here "
                f"({', '.join(CPU_INSTANCE_NAMES)} do)",
                "use one of those, or also set min_nodes and max_nodes",
            )
        return
    embeddings = view.embeddings
    on_cpu = embeddings is not None and embeddings.enabled and embeddings.pool is None
    pods = platform_pods(
        CpuWorkloads(
            prod=view.environment is Environment.PROD,
            qdrant_replicas=1,
            embeddings_replicas=1 if on_cpu else 0,
        )
    )
    too_big = [pod for pod in pods if not holds(instance, pod)]
    if too_big:
        cpu, memory = free_per_node(instance)
        pod = too_big[0]
        yield ConfigIssue(
            f"{path}.instance_type",
            f"{show(system.instance_type)} has {cpu}m CPU and {memory}Mi for pods (after "
            f"kube-reserved and DaemonSets); {pod.name} requests {pod.cpu_millicores}m and "
            f"{pod.memory_mib}Mi",
            "use a larger type, or drop the key to have it sized",
        )


AWS_CHECKS: tuple[Check, ...] = (check_aws_nat, check_aws_kubernetes_version, check_aws_system_pool)
