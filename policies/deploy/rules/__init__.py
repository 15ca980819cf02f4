"""Deploy-truth rules: will the stack come up? Read from the whole stack's resources."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from infra.offline.record import PlanRecord, ResourceOptions, ResourceRecord
from infra.truth.waits import Finding, start_findings, wait_findings
from policies.lib.props import plain
from policies.lib.rules import Resource, StackRule, stack_rule


def as_plan(resources: Sequence[Resource]) -> PlanRecord:
    """The stack's resources as the plan record the deploy-truth checks read."""
    records = [
        ResourceRecord(
            urn=r.urn,
            type=r.type,
            name=r.name,
            parent=r.parent,
            provider=r.provider,
            custom=True,
            inputs=plain(r.props),
            dependencies=list(r.dependencies),
            property_dependencies={k: list(v) for k, v in r.inputs_from.items()},
            options=ResourceOptions(),
        )
        for r in resources
    ]
    return PlanRecord("", "", "", "", "", records, {})


def _report(findings: Iterable[Finding], wanted: str) -> Iterable[tuple[str, str | None]]:
    for finding in findings:
        if wanted in finding.problem:
            yield finding.message(), finding.urn


@stack_rule(
    "deploy-pods-fit-a-pool",
    "Every workload's pods match the labels and tolerate the taints of at least one node "
    "pool the stack creates (otherwise they stay Pending and the deploy times out)",
    mirrors="Kubernetes scheduler: nodeSelector and taints/tolerations",
)
def pods_fit_a_pool(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterable[tuple[str, str | None]]:
    return _report(wait_findings(as_plan(resources)), "fit no node pool")


@stack_rule(
    "deploy-waits-for-nodes",
    "Every resource that creates pods depends on a node pool its pods land on, so it is "
    "not created (and awaited) before there is anywhere to run",
    mirrors="Pulumi dependsOn; pulumi-kubernetes await logic",
)
def waits_for_nodes(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterable[tuple[str, str | None]]:
    return _report(wait_findings(as_plan(resources)), "does not wait for the nodes")


@stack_rule(
    "deploy-waits-for-storage",
    "Every resource that claims volumes depends on the StorageClass it names and on the CSI "
    "driver that provisions it",
    mirrors="Kubernetes dynamic provisioning (StorageClass provisioner)",
)
def waits_for_storage(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterable[tuple[str, str | None]]:
    return _report(wait_findings(as_plan(resources)), "claims volumes")


@stack_rule(
    "deploy-pool-starts-within-max",
    "No node pool starts more nodes than its maximum (GKE counts initial nodes per zone)",
    mirrors="terraform-provider-google google_container_node_pool initial_node_count",
)
def pool_starts_within_max(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterable[tuple[str, str | None]]:
    return _report(start_findings(as_plan(resources)), "more than its maximum")


ALL: list[StackRule] = [pods_fit_a_pool, waits_for_nodes, waits_for_storage, pool_starts_within_max]
