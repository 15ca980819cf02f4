"""LLM serving: models fit their GPUs, GPU requests match tensor parallelism, GPU pods land
on GPU pools, and autoscaling bounds fit the pools.

Model servers describe themselves with annotations on the workload (the workloads layer
sets them): `llm-infra.io/model-architecture` (a library model), `llm-infra.io/gpu`,
`llm-infra.io/tensor-parallel-size`, `llm-infra.io/max-model-len`,
`llm-infra.io/gpu-memory-utilization`, `llm-infra.io/dtype`, `llm-infra.io/quantization`,
`llm-infra.io/max-replicas`, with adapters `llm-infra.io/max-loras` and
`llm-infra.io/max-lora-rank`, across nodes `llm-infra.io/pipeline-parallel-size` (a
LeaderWorkerSet whose group has one pod per stage), and select their pool with the node
label `llm-infra.io/pool`; a model the program could not size says why in `llm-infra.io/not-sized`.
"""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from components.catalog import catalog
from components.enums import Dtype, GpuType, Quantization
from components.sizing.library import find_model
from components.sizing.lora import LoraSlots
from components.sizing.memory import GIB, fit
from policies.lib.pods import (
    LEADER_WORKER_SET,
    WORKLOAD_TYPES,
    containers,
    group_size,
    pod_spec,
    pod_specs,
)
from policies.lib.pools import read_pools
from policies.lib.props import get, items
from policies.lib.rules import Resource, Rule, StackRule, rule, stack_rule

GPU = "nvidia.com/gpu"
A = "llm-infra.io/"
# why the program could not size the model, and (when the stack allows it) why it deploys
NOT_SIZED = f"{A}not-sized"
UNSIZED_ALLOWED = f"{A}unsized-allowed"


def _annotations(resource: Resource) -> Mapping[str, Any]:
    found = get(resource.props, "metadata", "annotations", default={})
    return found if isinstance(found, Mapping) else {}


def _gpus_requested(spec: Mapping[str, Any]) -> int:
    total = 0
    for _kind, container in containers(spec):
        total += int(float(get(container, "resources", "limits", GPU, default=0)))
    return total


def _unsized_allowed(resource: Resource) -> str | None:
    """A stack whose config lets unsized models deploy (`require_sized_models: false`, the
    default outside prod) says so on each of them."""
    reason = _annotations(resource).get(UNSIZED_ALLOWED)
    return str(reason) if reason else None


@rule(
    "llm-model-sized",
    "Every model server was sized: its architecture is known, so its fit to the GPUs is "
    f"checked, not assumed (a stack that allows unsized models says so in `{UNSIZED_ALLOWED}`, "
    "and each is listed as exempted with that reason)",
    WORKLOAD_TYPES,
    declared_exemption=_unsized_allowed,
)
def model_sized(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    notes = _annotations(resource)
    if f"{A}gpu" not in notes:
        return  # not a model server
    why = notes.get(NOT_SIZED)
    architecture = str(notes.get(f"{A}model-architecture", ""))
    if why:
        yield f"not sized: {why}"
    elif find_model(architecture) is None:
        yield (
            f"not sized: {architecture or 'no architecture'} is not in the model library; set "
            "models[].architecture to the library model it is shaped like"
        )


@rule("llm-model-fits-gpus", "Every model fits the GPUs it is given", WORKLOAD_TYPES)
def model_fits(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    notes = _annotations(resource)
    model = find_model(str(notes.get(f"{A}model-architecture", "")))
    if model is None or f"{A}gpu" not in notes:
        return
    try:
        gpu = GpuType(str(notes[f"{A}gpu"]))
        result = fit(
            model,
            gpu_memory_gib=catalog().gpus[gpu].memory_gib,
            gpu=gpu.value,
            gpus=int(notes.get(f"{A}tensor-parallel-size", 1)),
            pipeline=_stages(notes),
            max_model_len=int(notes[f"{A}max-model-len"]) if f"{A}max-model-len" in notes else None,
            gpu_memory_utilization=float(notes.get(f"{A}gpu-memory-utilization", 0.9)),
            dtype=Dtype(str(notes.get(f"{A}dtype", "bfloat16"))),
            quantization=Quantization(str(notes[f"{A}quantization"]))
            if notes.get(f"{A}quantization")
            else None,
            lora=LoraSlots(int(notes[f"{A}max-loras"]), int(notes[f"{A}max-lora-rank"]))
            if f"{A}max-loras" in notes
            else None,
        )
    except ValueError as error:
        yield f"cannot size the model from its annotations: {error}"
        return
    if not result.fits:
        yield (
            f"{model.name} does not fit {result.gpus * result.pipeline_parallel} × {gpu.value}: "
            f"{result.problems[0]} "
            f"(needs {result.needed_bytes_per_gpu / GIB:.1f} GiB per GPU, has "
            f"{result.budget_bytes_per_gpu / GIB:.1f})"
        )


def _stages(notes: Mapping[str, Any]) -> int:
    return int(notes.get(f"{A}pipeline-parallel-size", 1))


@rule(
    "llm-gpu-request-equals-tensor-parallel",
    "A replica requests as many GPUs as its tensor-parallel size on each of its nodes, and a "
    "replica across nodes has one pod per pipeline stage (GPUs = tensor × pipeline)",
    WORKLOAD_TYPES,
)
def gpu_request(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    notes = _annotations(resource)
    if f"{A}tensor-parallel-size" not in notes:
        return
    wanted = int(notes[f"{A}tensor-parallel-size"])
    spec = pod_spec(resource.type, resource.props)
    if _gpus_requested(spec) != wanted:
        yield f"requests {_gpus_requested(spec)} GPU(s) but the tensor-parallel size is {wanted}"
    stages, pods = _stages(notes), group_size(resource.type, resource.props)
    if stages != pods:
        yield f"a replica has {pods} pod(s) but {stages} pipeline stage(s), one per node"
    for _kind, container in containers(spec):
        limit = get(container, "resources", "limits", GPU)
        request = get(container, "resources", "requests", GPU)
        if limit is not None and request is not None and str(limit) != str(request):
            yield f"container {container.get('name')} requests {request} but limits {limit} GPUs"


@rule(
    "llm-gpu-pods-on-gpu-pools",
    "GPU pods tolerate the GPU taint and select a GPU pool",
    WORKLOAD_TYPES,
)
def gpu_placement(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    spec = pod_spec(resource.type, resource.props)
    if not _gpus_requested(spec):
        return
    tolerates = any(
        get(t, "key") == GPU and get(t, "effect", default="NoSchedule") == "NoSchedule"
        for t in items(spec, "tolerations")
    )
    if not tolerates:
        yield f"requests GPUs but does not tolerate the {GPU} NoSchedule taint"
    selector = get(spec, "nodeSelector", default={})
    affinity = str(get(spec, "affinity", "nodeAffinity", default=""))
    if not (
        f"{A}pool" in selector
        or f"{A}gpu" in selector
        or f"{A}pool" in affinity
        or f"{A}gpu" in affinity
    ):
        yield (
            "requests GPUs but selects no GPU pool "
            "(nodeSelector llm-infra.io/pool or llm-infra.io/gpu)"
        )


def _pools(resources: Sequence[Resource]) -> dict[str, int]:
    """GPUs each pool (by its llm-infra.io/pool label) reaches at max nodes."""
    pools = {}
    for resource in resources:
        for pool in read_pools(resource.type, resource.props):
            name = pool.labels.get(f"{A}pool")
            if pool.gpu is not None and name:
                pools[str(name)] = pool.max_nodes * pool.gpu.gpus
    return pools


@stack_rule("llm-capacity-coherence", "Each pool can hold its models at their maximum replicas")
def capacity(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str | None]]:
    pools = _pools(resources)
    demand: dict[str, list[tuple[Resource, int]]] = {}
    for resource in resources:
        if resource.type not in WORKLOAD_TYPES:
            continue
        notes = _annotations(resource)
        spec = pod_spec(resource.type, resource.props)
        pool = get(spec, "nodeSelector", f"{A}pool")
        if pool is None or f"{A}max-replicas" not in notes:
            continue
        # a replica across nodes is its whole group: its leader and size - 1 workers
        replica = sum(
            _gpus_requested(s)
            * (1 if role != "worker" else group_size(resource.type, resource.props) - 1)
            for role, s in pod_specs(resource.type, resource.props)
        )
        demand.setdefault(str(pool), []).append(
            (resource, int(notes[f"{A}max-replicas"]) * replica)
        )
    for pool, models in sorted(demand.items()):
        needed = sum(gpus for _, gpus in models)
        available = pools.get(pool)
        if available is None and pools:
            yield f"no GPU node pool is labelled llm-infra.io/pool={pool}", models[0][0].urn
        elif available is not None and needed > available:
            names = ", ".join(f"{r.name} ({g})" for r, g in models)
            yield (
                f"pool {pool} reaches {available} GPUs at max nodes but its models need "
                f"{needed} at max replicas: {names}",
                models[0][0].urn,
            )


@stack_rule(
    "llm-group-in-one-zone",
    "A replica across nodes runs on a pool of one zone, where its nodes share a placement "
    "group (a pipeline hop across zones costs latency on every token)",
)
def group_in_one_zone(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str | None]]:
    zones: dict[str, tuple[str, ...]] = {}
    for resource in resources:
        for pool in read_pools(resource.type, resource.props):
            name = pool.labels.get(f"{A}pool")
            if name:
                zones[str(name)] = pool.zones
    for resource in resources:
        if resource.type != LEADER_WORKER_SET:
            continue
        pool = get(pod_spec(resource.type, resource.props), "nodeSelector", f"{A}pool")
        found = zones.get(str(pool))
        if found is not None and len(found) != 1:
            yield (
                f"{resource.name}: its pool {pool} spans {len(found) or 'every'} zone(s); a "
                "group's nodes must share one (gpu_pools[].zones: [one zone])",
                resource.urn,
            )


RULES: list[Rule | StackRule] = [
    model_sized,
    model_fits,
    gpu_request,
    gpu_placement,
    capacity,
    group_in_one_zone,
]
