"""Deploy-truth rules: will the stack come up? Read from the whole stack's resources."""

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infra.offline.record import PlanRecord, ResourceOptions, ResourceRecord
from infra.truth.reach import reach_findings
from infra.truth.schedule import Problem, schedule_findings
from infra.truth.waits import (
    Finding,
    crd_findings,
    start_findings,
    wait_findings,
    zonal_volume_findings,
)
from policies.lib.pods import WORKLOAD_TYPES, claim_templates, containers, pod_specs
from policies.lib.props import get, plain
from policies.lib.rules import ADVISORY, Resource, StackRule, stack_rule
from workloads.contract_check import violations
from workloads.images import contract_of_image


@dataclass(frozen=True)
class Analysis:
    waits: list[Finding]
    starts: list[Finding]
    crds: list[Finding]
    zonal: list[Finding]
    scheduling: list[Problem]
    reach: list[Finding]


_LAST: dict[str, Analysis] = {}


def analysis(resources: Sequence[Resource]) -> Analysis:
    """The deploy-truth findings for these resources, computed once for all the rules that
    read the same stack (the engine hands each stack rule its own copy of it, less the
    rule's exemptions): keyed by the stack's content."""
    plan = as_plan(resources)
    key = json.dumps(
        [(r.urn, r.dependencies, r.provider, r.parent, r.inputs) for r in plan.resources],
        sort_keys=True,
        default=str,
    )
    if key not in _LAST:
        _LAST.clear()
        _LAST[key] = Analysis(
            waits=wait_findings(plan),
            starts=start_findings(plan),
            crds=crd_findings(plan),
            zonal=zonal_volume_findings(plan),
            scheduling=schedule_findings(plan),
            reach=reach_findings(plan),
        )
    return _LAST[key]


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
    return _report(analysis(resources).waits, "fit no node pool")


@stack_rule(
    "deploy-waits-for-nodes",
    "Every resource that creates pods depends on a node pool its pods land on, so it is "
    "not created (and awaited) before there is anywhere to run",
    mirrors="Pulumi dependsOn; pulumi-kubernetes await logic",
)
def waits_for_nodes(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterable[tuple[str, str | None]]:
    return _report(analysis(resources).waits, "does not wait for the nodes")


@stack_rule(
    "deploy-waits-for-storage",
    "Every resource that claims volumes depends on the StorageClass it names and on the CSI "
    "driver that provisions it",
    mirrors="Kubernetes dynamic provisioning (StorageClass provisioner)",
)
def waits_for_storage(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterable[tuple[str, str | None]]:
    return _report(analysis(resources).waits, "claims volumes")


@stack_rule(
    "deploy-pool-starts-within-max",
    "No node pool starts more nodes than its maximum (GKE counts initial nodes per zone)",
    mirrors="terraform-provider-google google_container_node_pool initial_node_count",
)
def pool_starts_within_max(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterable[tuple[str, str | None]]:
    return _report(analysis(resources).starts, "more than its maximum")


@stack_rule(
    "deploy-zonal-volumes-have-zonal-pools",
    "Pods that keep zonal volumes (StatefulSets, Prometheus) run only on node pools the "
    "autoscaler can grow in each zone: one pool per zone on EKS and AKS",
    mirrors="Cluster Autoscaler FAQ and EKS/AKS guidance on zonal volumes",
)
def zonal_volumes_have_zonal_pools(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterable[tuple[str, str | None]]:
    return _report(analysis(resources).zonal, "zonal volumes")


@stack_rule(
    "deploy-waits-for-crds",
    "Every custom resource depends on the Helm release that installs its CRD",
    mirrors="Kubernetes CustomResourceDefinitions; Helm crds/",
)
def waits_for_crds(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterable[tuple[str, str | None]]:
    return _report(analysis(resources).crds, "CRDs")


NAMESPACE = "kubernetes:core/v1:Namespace"
ENFORCE = "pod-security.kubernetes.io/enforce"
# Components that build their containers from the contract, so set its entrypoint as the
# command themselves.
CONTRACT_BUILT = (
    "llm-infra:workloads:ModelServer",
    "llm-infra:workloads:ModelGroup",
    "llm-infra:workloads:Embeddings",
)


def _parent_type(urn: str | None) -> str:
    """A URN's resource type: `urn:pulumi:<stack>::<project>::<parent$…$type>::<name>`."""
    return urn.split("::")[2].split("$")[-1] if urn and urn.count("::") >= 3 else ""


@stack_rule(
    "deploy-images-keep-contracts",
    "Every container keeps its pinned image's contract (workloads/images.yaml): the user "
    "the image runs as, writable volumes where it writes under a read-only root, the env it "
    "needs under an arbitrary uid, a command it accepts, its metrics port",
    mirrors="image Dockerfiles and entrypoints at the pinned tags",
)
def images_keep_contracts(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterable[tuple[str, str | None]]:
    levels = {
        str(get(plain(r.props), "metadata", "name")): get(
            plain(r.props), "metadata", "labels", ENFORCE
        )
        for r in resources
        if r.type == NAMESPACE
    }
    for resource in resources:
        if resource.type not in WORKLOAD_TYPES:
            continue
        props = plain(resource.props)
        metadata = props.get("metadata") or {}
        claims = {str(t.get("metadata", {}).get("name")) for t in claim_templates(props)}
        for spec, container in _containers_of(resource.type, props):
            image = str(container.get("image"))
            found = contract_of_image(image)
            where = f"{resource.type} '{resource.name}' container '{container.get('name')}'"
            if found is None:
                yield (
                    f"{where}: image {image} has no contract; pin an image whose sources were "
                    "read into workloads/images.yaml",
                    resource.urn,
                )
                continue
            for problem in violations(
                found,
                spec=spec,
                container=container,
                claims=claims,
                annotations=metadata.get("annotations") or {},
                namespace_level=levels.get(str(metadata.get("namespace"))),
                ours=_parent_type(resource.parent) in CONTRACT_BUILT,
            ):
                yield f"{where}: {problem} ({found.repository}:{found.tag})", resource.urn


def _containers_of(
    type_: str, props: Mapping[str, Any]
) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """(pod spec, container) for every container of every pod template of a workload."""
    for _, spec in pod_specs(type_, props):
        for _, container in containers(spec):
            yield spec, container


# Hub repositories whose weights download only with a token of an account that accepted the
# model's licence ("gated" on their model cards): Meta's Llama and Google's Gemma models.
GATED_PREFIXES = ("meta-llama/", "google/gemma")
MODEL_FLAGS = ("--model=", "--model-id=")


def _hub_model(container: Mapping[str, Any]) -> str | None:
    for arg in [*(container.get("command") or []), *(container.get("args") or [])]:
        for flag in MODEL_FLAGS:
            if str(arg).startswith(flag):
                return str(arg)[len(flag) :]
    return None


@stack_rule(
    "deploy-gated-models-have-a-token",
    "A server of a gated Hub model (Llama, Gemma) reads a Hugging Face token; without one the "
    "download is refused and the server restarts until the deploy times out",
    mirrors="Hugging Face gated models",
    enforcement=ADVISORY,
)
def gated_models_have_a_token(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterable[tuple[str, str | None]]:
    for resource in resources:
        if resource.type not in WORKLOAD_TYPES:
            continue
        for _, container in _containers_of(resource.type, plain(resource.props)):
            model = _hub_model(container)
            if model is None or not model.startswith(GATED_PREFIXES):
                continue
            names = {e.get("name") for e in container.get("env") or []}
            if "HF_TOKEN" not in names:
                yield (
                    f"{resource.type} '{resource.name}': {model} is gated on the Hugging Face "
                    "Hub and the server has no token; accept the licence on the model's page, "
                    "then `pulumi config set --secret llm-infra:hfToken hf_…` (or stream the "
                    "weights from the models bucket with weights_uri)",
                    resource.urn,
                )


def _scheduling(
    resources: Sequence[Resource], mandatory: bool, wanted: str
) -> Iterable[tuple[str, str | None]]:
    for problem in analysis(resources).scheduling:
        if problem.mandatory is mandatory and wanted in problem.message:
            yield problem.message, problem.urn


@stack_rule(
    "deploy-pods-fit-a-node",
    "No pod requests more CPU, memory, GPUs or pod slots than one node of the pools it may "
    "land on offers after the cloud's reservations and the DaemonSets on it (such a pod "
    "stays Pending whatever the autoscaler does)",
    mirrors="Kubernetes node allocatable; EKS, GKE and AKS reservation formulas",
)
def pods_fit_a_node(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterable[tuple[str, str | None]]:
    return _scheduling(resources, True, "per pod, more than a node")


@stack_rule(
    "deploy-pools-hold-max-replicas",
    "Every node pool holds the pods that land on it at their maximum replicas within its "
    "maximum nodes",
    mirrors="Cluster Autoscaler: node group max size",
)
def pools_hold_max_replicas(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterable[tuple[str, str | None]]:
    return _scheduling(resources, True, "cannot hold its pods at maximum replicas")


@stack_rule(
    "deploy-awaits-cover-scale-up",
    "A workload whose pods wait for the autoscaler to add a node on the first deploy is "
    "awaited at least as long as that takes",
    mirrors="pulumi-kubernetes await timeouts; pulumi.com/timeoutSeconds",
)
def awaits_cover_scale_up(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterable[tuple[str, str | None]]:
    return _scheduling(resources, True, "but pulumi up awaits it only")


@stack_rule(
    "deploy-no-idle-gpus",
    "No GPU is left idle on a node because the pods holding its other GPUs took the node's "
    "CPU or memory",
    mirrors="GPU cost: stranded capacity",
    enforcement=ADVISORY,
)
def no_idle_gpus(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterable[tuple[str, str | None]]:
    return _scheduling(resources, False, "stay idle")


@stack_rule(
    "deploy-first-scale-up",
    "The first deploy's pods fit the nodes the pools start with (otherwise it waits for the "
    "autoscaler to add nodes, minutes per GPU node)",
    mirrors="Cluster Autoscaler scale-up",
    enforcement=ADVISORY,
)
def first_scale_up(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterable[tuple[str, str | None]]:
    return _scheduling(resources, False, "the first deploy waits")


@stack_rule(
    "deploy-reaches-the-api",
    "The place `pulumi up` runs (deploy.runner) can reach the cluster's API server, through "
    "which every Kubernetes resource of the stack is created (otherwise each one times out "
    "after the cluster is built)",
    mirrors="EKS endpoint access, GKE private endpoint and DNS endpoint, AKS private cluster",
)
def reaches_the_api(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterable[tuple[str, str | None]]:
    for finding in analysis(resources).reach:
        yield finding.message(), finding.urn


ALL: list[StackRule] = [
    pods_fit_a_pool,
    waits_for_nodes,
    waits_for_storage,
    pool_starts_within_max,
    waits_for_crds,
    zonal_volumes_have_zonal_pools,
    images_keep_contracts,
    gated_models_have_a_token,
    pods_fit_a_node,
    pools_hold_max_replicas,
    awaits_cover_scale_up,
    no_idle_gpus,
    first_scale_up,
    reaches_the_api,
]
