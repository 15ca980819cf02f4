"""Size every model of a stack on its pool's GPUs: does it fit, how much, how fast."""

from dataclasses import dataclass
from typing import Any

from components.catalog import InstanceType, catalog, resolve_instance
from components.catalog.pricing import price_catalog
from components.enums import CapacityType, Cloud
from components.sizing.architecture import ArchitectureError, ModelArchitecture
from components.sizing.library import find_model
from components.sizing.memory import Fit, fit
from components.sizing.throughput import Throughput, decode_throughput
from infra.config.models import ModelConfig
from infra.config.pools import GpuPoolConfig


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


def size_model(cloud: Cloud, model: ModelConfig, pool: GpuPoolConfig) -> ModelSizing:
    """Raises CatalogLookupError when the pool does not resolve (config checks report it)."""
    instance = resolve_instance(
        catalog(),
        cloud,
        gpu=pool.gpu,
        instance_type=pool.instance_type,
        gpus_per_node=pool.gpus_per_node,
    )
    hourly = replica_hourly_usd(cloud, instance, pool.capacity_type, model.gpus_per_replica)
    try:
        arch = architecture_of(model)
    except ArchitectureError as error:
        return ModelSizing(model, instance, None, None, None, hourly, str(error))
    if arch is None:
        named = model.architecture or model.hf_model_id or model.weights_uri
        why = (
            f"{named!r} is not in the model library; "
            "set architecture to the library model it is shaped like"
        )
        return ModelSizing(model, instance, None, None, None, hourly, why)
    result = fit(
        arch,
        gpu_memory_gib=catalog().gpu_memory_gib(instance),
        gpus=model.gpus_per_replica,
        max_model_len=model.max_model_len_tokens,
        gpu_memory_utilization=model.gpu_memory_utilization,
        dtype=model.dtype,
        quantization=model.quantization,
    )
    speed = decode_throughput(result, catalog().gpu_bandwidth_gbps(instance))
    return ModelSizing(model, instance, arch, result, speed, hourly)


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
        "gpu_memory_gib": result.gpu_memory_gib,
        "gpu_memory_utilization": result.gpu_memory_utilization,
        "max_model_len": result.max_model_len,
        "per_gpu": {
            "budget_bytes": result.budget_bytes_per_gpu,
            "weights_bytes": result.weights_bytes_per_gpu,
            "reserve_bytes": result.reserve_bytes_per_gpu,
            "kv_pool_bytes": result.kv_pool_bytes_per_gpu,
            "kv_cache_bytes_per_token": result.kv_bytes_per_token_per_gpu,
        },
        "kv_cache_tokens": result.kv_cache_tokens,
        "max_concurrent_sequences": result.max_concurrent_sequences,
        "fits": result.fits,
        "problems": list(result.problems),
    }


def sizing_record(sizing: ModelSizing) -> dict[str, Any]:
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
    return record
