"""Recommend the cheapest GPU setup that serves a model, and the longest context that fits."""

from collections.abc import Collection
from dataclasses import dataclass

from components.catalog import Catalog, InstanceType
from components.catalog.pricing import PriceCatalog
from components.enums import Cloud, Dtype, GpuType, Quantization
from components.sizing.architecture import ModelArchitecture
from components.sizing.lora import LoraSlots
from components.sizing.memory import Fit, fit
from components.sizing.pipeline import MIN_GPUS_PER_STAGE_NODE

MIN_SEQUENCES = 4  # concurrent full-length sequences a recommendation must hold
TENSOR_PARALLEL = (1, 2, 4, 8)


MAX_NODES = 4  # pipeline stages a recommendation may spread one replica over


@dataclass(frozen=True)
class Recommendation:
    cloud: Cloud
    instance: InstanceType
    gpus: int  # tensor-parallel size of one replica (per node)
    usd_per_hour: float  # the replica's share of its node(s), on demand
    fit: Fit
    nodes: int = 1  # pipeline stages, one whole node each

    @property
    def total_gpus(self) -> int:
        return self.gpus * self.nodes


def recommend(
    arch: ModelArchitecture,
    *,
    catalog: Catalog,
    prices: PriceCatalog,
    cloud: Cloud,
    max_model_len: int,
    gpu_memory_utilization: float = 0.9,
    dtype: Dtype = Dtype.BFLOAT16,
    quantization: Quantization | None = None,
    allowed_gpus: Collection[GpuType] | None = None,
    max_nodes: int = 1,
    lora: LoraSlots | None = None,
) -> Recommendation | None:
    """Cheapest replica (its share of a node) holding MIN_SEQUENCES full-length sequences,
    on the GPUs in `allowed_gpus` (default: any). Only when no single node holds one, and
    `max_nodes` is above 1, a replica may span whole 8-GPU nodes as pipeline stages (tensor
    parallel over each node's GPUs): a cross-node replica costs a hop per stage on every
    token, so it is the answer only to a model no node holds."""
    best: Recommendation | None = None
    for nodes in (1, *range(2, max_nodes + 1)):
        if nodes == 2 and best is not None:
            break  # a single node holds it
        for instance in catalog.instances[cloud]:
            if not instance.default or (
                allowed_gpus is not None and instance.gpu not in allowed_gpus
            ):
                continue
            if nodes > 1 and instance.gpus < MIN_GPUS_PER_STAGE_NODE:
                continue
            price_per_gpu = prices.instance(cloud, instance.name).usd / instance.gpus
            sizes = (
                [g for g in TENSOR_PARALLEL if g <= instance.gpus]
                if nodes == 1
                else [instance.gpus]
            )
            for gpus in sizes:
                result = fit(
                    arch,
                    gpu_memory_gib=catalog.gpu_memory_gib(instance),
                    gpus=gpus,
                    max_model_len=max_model_len,
                    gpu_memory_utilization=gpu_memory_utilization,
                    dtype=dtype,
                    quantization=quantization,
                    pipeline=nodes,
                    lora=lora,
                    gpu=instance.gpu.value,
                )
                if not result.fits or result.max_concurrent_sequences < MIN_SEQUENCES:
                    continue
                usd = price_per_gpu * gpus * nodes
                candidate = Recommendation(cloud, instance, gpus, usd, result, nodes)
                if best is None or _better(candidate, best):
                    best = candidate
    return best


def _better(a: Recommendation, b: Recommendation) -> bool:
    """Cheaper; then fewer nodes (no cross-node hop), fewer GPUs, more sequences."""
    key_a = (round(a.usd_per_hour, 6), a.nodes, a.gpus, -a.fit.max_concurrent_sequences)
    key_b = (round(b.usd_per_hour, 6), b.nodes, b.gpus, -b.fit.max_concurrent_sequences)
    return key_a < key_b


def longest_context(
    arch: ModelArchitecture,
    *,
    gpu_memory_gib: float,
    gpus: int,
    gpu_memory_utilization: float = 0.9,
    dtype: Dtype = Dtype.BFLOAT16,
    quantization: Quantization | None = None,
    step: int = 1024,
    pipeline: int = 1,
    lora: LoraSlots | None = None,
) -> int | None:
    """The longest max_model_len (a multiple of `step`, up to the model's own) that fits."""
    best = None
    low, high = 1, arch.max_position_embeddings // step
    while low <= high:  # fits is monotone in length: binary search
        middle = (low + high) // 2
        result = fit(
            arch,
            gpu_memory_gib=gpu_memory_gib,
            gpus=gpus,
            max_model_len=middle * step,
            gpu_memory_utilization=gpu_memory_utilization,
            dtype=dtype,
            quantization=quantization,
            pipeline=pipeline,
            lora=lora,
        )
        if result.fits:
            best, low = middle * step, middle + 1
        else:
            high = middle - 1
    return best
