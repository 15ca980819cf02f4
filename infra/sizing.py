"""Size every model of a stack on its pool's GPUs: does it fit, how much, how fast, and
how long its first replica takes to come up."""

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from components.catalog import InstanceType, catalog, resolve_instance
from components.catalog.pricing import price_catalog
from components.enums import CapacityType, Cloud
from components.sizing.architecture import ArchitectureError, ModelArchitecture
from components.sizing.library import find_model, kept_config_path
from components.sizing.lora import LoraSlots, lora_bytes_per_gpu, lora_rank_for
from components.sizing.memory import GIB, Fit, fit, weight_bytes
from components.sizing.pipeline import replica_layout
from components.sizing.throughput import StageHop, Throughput, decode_throughput
from components.sizing.timings import GPU_NODE_SCALE_UP_S, IMAGE_PULL_S
from infra.config.models import ModelConfig, lora_slots_of
from infra.config.pools import GpuPoolConfig

if TYPE_CHECKING:
    from infra.config.stack import StackConfig


@dataclass(frozen=True)
class ModelSizing:
    model: ModelConfig
    instance: InstanceType
    architecture: ModelArchitecture | None
    fit: Fit | None
    throughput: Throughput | None
    usd_per_replica_hour: float  # the replica's share of its node, at the pool's capacity type
    why_not_sized: str | None = None


def architecture_of(model: ModelConfig) -> ModelArchitecture | None:
    name = model.architecture or model.hf_model_id
    return find_model(name) if name else None


def model_lora_slots(model: ModelConfig) -> LoraSlots | None:
    """The LoRA slots a model's servers reserve (its adapters' `--max-loras` and
    `--max-lora-rank`); None without adapters."""
    slots = lora_slots_of(model)
    if slots is None:
        return None
    loras, rank = slots
    return LoraSlots(max_loras=loras, max_rank=lora_rank_for([rank]))


def sized_architecture(model: ModelConfig) -> tuple[ModelArchitecture | None, str | None]:
    """The model's architecture, or None and why it cannot be sized (with the fix)."""
    try:
        arch = architecture_of(model)
    except ArchitectureError as error:
        return None, str(error)
    if arch is None:
        named = model.architecture or model.hf_model_id or model.weights_uri
        if model.architecture is None and model.hf_model_id is not None:
            return None, (
                f"{named!r} is not in the model library and no config.json is kept for it "
                f"at {kept_config_path(model.hf_model_id)}; run `llm-infra size --model "
                f"{named}` where the Hub is reachable (with HF_TOKEN for a gated model) and "
                "commit that file, or set architecture to the library model it is shaped like"
            )
        return None, (
            f"{named!r} is not in the model library; "
            "set architecture to the library model it is shaped like"
        )
    return arch, None


def size_model(cloud: Cloud, model: ModelConfig, pool: GpuPoolConfig) -> ModelSizing:
    """Raises CatalogLookupError when the pool does not resolve (config checks report it),
    ValueError when the replica is not whole nodes (config checks report that too)."""
    instance = resolve_instance(
        catalog(),
        cloud,
        gpu=pool.gpu,
        instance_type=pool.instance_type,
        gpus_per_node=pool.gpus_per_node,
    )
    hourly = replica_hourly_usd(cloud, instance, pool.capacity_type, model.gpus_per_replica)
    arch, why = sized_architecture(model)
    if arch is None:
        return ModelSizing(model, instance, None, None, None, hourly, why)
    tensor, stages = replica_layout(model.gpus_per_replica, instance.gpus)
    result = fit(
        arch,
        gpu_memory_gib=catalog().gpu_memory_gib(instance),
        gpus=tensor,
        max_model_len=model.max_model_len_tokens,
        gpu_memory_utilization=model.gpu_memory_utilization,
        dtype=model.dtype,
        quantization=model.quantization,
        lora=model_lora_slots(model),
        pipeline=stages,
        gpu=instance.gpu.value,
    )
    # a replica's stages hand over on the nodes' TCP network (the catalog has every 8-GPU
    # node's; the config checks refuse a replica across nodes without one)
    hop = StageHop(instance.network_gbps) if stages > 1 and instance.network_gbps else None
    speed = decode_throughput(result, catalog().gpu_bandwidth_gbps(instance), hop)
    return ModelSizing(model, instance, arch, result, speed, hourly)


MIN_CACHE_GIB = 20
# Room on a node's disk beside the model cache: the unpacked engine image, the OS and the
# kubelet's own files. An allowance, not a measurement.
IMAGE_AND_SYSTEM_GIB = 60


def cache_size_gib(model: ModelConfig) -> int:
    """Room for the weights once, plus a fifth for tokenizer files and a partial download.
    Every node of a replica across nodes holds all of it: vLLM's default loader downloads
    every `*.safetensors` file of the model on each worker, whatever its stage
    (vllm/model_executor/model_loader/default_loader.py:89-117 in the vllm-0.11.0 wheel)."""
    arch = architecture_of(model)
    if arch is None:
        return 100
    weights = weight_bytes(arch, model.dtype, model.quantization) / GIB
    slots = model_lora_slots(model)
    # each adapter's checkpoint: one slot's worth of A and B matrices at its rank, with room
    adapters = (
        len(model.adapters) * lora_bytes_per_gpu(arch, 1, LoraSlots(1, slots.max_rank)) / GIB
        if slots
        else 0
    )
    return max(MIN_CACHE_GIB, math.ceil(weights * 1.2 + adapters * 1.5) + 5)


# What a replica's first start costs in time. Rates and durations are conservative
# assumptions, not measurements; `llm-infra size` prints each part.
MIB = 1024**2
# Root disks are gp3 on AWS at its default (and minimum) 125 MiB/s (EC2 CreateVolume API,
# Throughput); pd-balanced and Premium SSD root disks of a GPU pool's size reach at least as
# much, so one floor serves every cloud.
NODE_DISK_MIB_S = 125
# Sustained Hugging Face Hub download into one pod.
HUB_DOWNLOAD_MIB_S = 100
# The Run:ai streamer reading safetensors from a same-region bucket straight to the GPUs.
BUCKET_STREAM_MIB_S = 500
# Engine start after the weights are in memory: CUDA graphs, torch.compile, warm-up.
WARMUP_S = 300
MARGIN = 1.5
# Weights assumed for a model the library cannot size (the model cache's default).
UNSIZED_WEIGHTS_BYTES = 100 * GIB


@dataclass(frozen=True)
class LoadEstimate:
    """Seconds from `pulumi up` creating a replica to the replica being ready."""

    weights_bytes: int
    from_bucket: bool
    node_scale_up_s: int
    image_pull_s: int
    download_s: int
    """Hub weights: to the node's disk, at the slower of the Hub and the disk."""
    load_s: int
    """Hub weights: read back from disk into GPU memory. Bucket weights: streamed."""
    warmup_s: int

    @property
    def container_s(self) -> int:
        """From the container's start: what its startup probe must allow."""
        return self.download_s + self.load_s + self.warmup_s

    @property
    def total_s(self) -> int:
        return self.node_scale_up_s + self.image_pull_s + self.container_s

    @property
    def await_timeout_s(self) -> int:
        """How long Pulumi waits: the total with a margin, in whole minutes."""
        return 60 * math.ceil(self.total_s * MARGIN / 60)

    @property
    def startup_minutes(self) -> int:
        return math.ceil(self.container_s * MARGIN / 60)


def load_estimate(weights_bytes: int, *, from_bucket: bool, new_node: bool) -> LoadEstimate:
    """`new_node`: the replica waits for the autoscaler to add a node (its pool keeps too
    few at its minimum for the replicas placed on it)."""
    mib = weights_bytes / MIB
    if from_bucket:
        download, load = 0.0, mib / BUCKET_STREAM_MIB_S
    else:
        download = mib / min(HUB_DOWNLOAD_MIB_S, NODE_DISK_MIB_S)
        load = mib / NODE_DISK_MIB_S
    return LoadEstimate(
        weights_bytes=weights_bytes,
        from_bucket=from_bucket,
        node_scale_up_s=GPU_NODE_SCALE_UP_S if new_node else 0,
        image_pull_s=IMAGE_PULL_S,
        download_s=math.ceil(download),
        load_s=math.ceil(load),
        warmup_s=WARMUP_S,
    )


def model_load_estimates(
    cloud: Cloud,
    models: list[ModelConfig],
    pools: list[GpuPoolConfig],
    *,
    other_gpus: dict[str, int] | None = None,
) -> dict[str, LoadEstimate]:
    """Each model's first-start estimate. A pool whose nodes at `min_nodes` hold fewer GPUs
    than the minimum replicas placed on it (plus `other_gpus`, e.g. an embeddings server)
    must grow first, so its models wait for a new node."""
    by_name = {pool.name: pool for pool in pools}
    held: dict[str, int] = {}
    wanted: dict[str, int] = dict(other_gpus or {})
    for model in models:
        pool = by_name[model.pool]
        instance = resolve_instance(
            catalog(),
            cloud,
            gpu=pool.gpu,
            instance_type=pool.instance_type,
            gpus_per_node=pool.gpus_per_node,
        )
        held[pool.name] = pool.min_nodes * instance.gpus
        wanted[pool.name] = wanted.get(pool.name, 0) + model.min_replicas * model.gpus_per_replica
    found = {}
    for model in models:
        sizing = size_model(cloud, model, by_name[model.pool])
        weights = sizing.fit.weights_bytes if sizing.fit else UNSIZED_WEIGHTS_BYTES
        found[model.name] = load_estimate(
            weights,
            from_bucket=model.weights_uri is not None,
            new_node=wanted[model.pool] > held[model.pool],
        )
    return found


def stack_load_estimates(config: "StackConfig") -> dict[str, LoadEstimate]:
    """`model_load_estimates` for a stack: an embeddings server on a GPU pool takes one GPU
    per replica there too."""
    embeddings = config.embeddings
    other = (
        {embeddings.pool: embeddings.replicas}
        if embeddings.enabled and embeddings.pool is not None
        else {}
    )
    return model_load_estimates(
        config.cloud, list(config.models), list(config.gpu_pools), other_gpus=other
    )


def load_record(estimate: LoadEstimate) -> dict[str, Any]:
    return {
        "weights_bytes": estimate.weights_bytes,
        "from_bucket": estimate.from_bucket,
        "node_scale_up_seconds": estimate.node_scale_up_s,
        "image_pull_seconds": estimate.image_pull_s,
        "download_seconds": estimate.download_s,
        "load_seconds": estimate.load_s,
        "warmup_seconds": estimate.warmup_s,
        "total_seconds": estimate.total_s,
        "await_timeout_seconds": estimate.await_timeout_s,
        "startup_probe_minutes": estimate.startup_minutes,
    }


def replica_hourly_usd(
    cloud: Cloud, instance: InstanceType, capacity: CapacityType, gpus: int
) -> float:
    prices = price_catalog().clouds[cloud]
    node = price_catalog().instance(cloud, instance.name).usd
    ratio = prices.spot_ratio.usd if capacity is CapacityType.SPOT else 1.0
    return node * ratio * gpus / instance.gpus


def fit_record(result: Fit) -> dict[str, Any]:
    """A fit as plain JSON: what `llm-infra size` prints and the plan's `sizing` key holds."""
    params = result.parameters
    return {
        "parameters": params.total,
        "parameter_breakdown": {
            "embedding": params.embedding,
            "lm_head": params.lm_head,
            "attention": params.attention,
            "mlp": params.mlp,
            "router": params.router,
            "biases": params.biases,
            "norms": params.norms,
        },
        "weights_bytes": result.weights_bytes,
        "kv_cache_bytes_per_token": result.kv_cache_bytes_per_token,
        "gpus": result.gpus,
        "pipeline_parallel": result.pipeline_parallel,
        "gpu_memory_gib": result.gpu_memory_gib,
        "gpu_memory_utilization": result.gpu_memory_utilization,
        "max_model_len": result.max_model_len,
        "per_gpu": {
            "budget_bytes": result.budget_bytes_per_gpu,
            "weights_bytes": result.weights_bytes_per_gpu,
            "reserve_bytes": result.reserve_bytes_per_gpu,
            "kv_pool_bytes": result.kv_pool_bytes_per_gpu,
            "lora_bytes": result.lora_bytes_per_gpu,
            "kv_cache_bytes_per_token": result.kv_bytes_per_token_per_gpu,
        },
        "kv_cache_tokens": result.kv_cache_tokens,
        "max_concurrent_sequences": result.max_concurrent_sequences,
        "fits": result.fits,
        "problems": list(result.problems),
    }


def sizing_record(sizing: ModelSizing, load: LoadEstimate | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "model": sizing.model.name,
        "pool": sizing.model.pool,
        "instance_type": sizing.instance.name,
        "gpu": sizing.instance.gpu.value,
        "architecture": sizing.architecture.name if sizing.architecture else None,
        "not_sized": sizing.why_not_sized,
    }
    if sizing.fit is not None:
        record.update(fit_record(sizing.fit))
    if sizing.throughput is not None:
        record["decode"] = {
            "batch": sizing.throughput.batch,
            "context_tokens": sizing.throughput.context_tokens,
            "output_tokens_per_second": round(sizing.throughput.output_tokens_per_second, 1),
        }
    if load is not None:
        record["first_start"] = load_record(load)
    return record
