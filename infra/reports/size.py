"""`llm-infra size`: how a model fits a GPU setup, and the cheapest setup that serves it."""

import json
from dataclasses import dataclass
from typing import Any

from components.catalog import InstanceType, catalog
from components.catalog.pricing import price_catalog
from components.enums import Cloud, Dtype, GpuType, Quantization
from components.sizing.architecture import ModelArchitecture
from components.sizing.memory import GIB, Fit, fit
from components.sizing.recommend import (
    MAX_NODES,
    MIN_SEQUENCES,
    Recommendation,
    longest_context,
    recommend,
)
from components.sizing.throughput import (
    HOP_LATENCY_S,
    StageHop,
    Throughput,
    decode_throughput,
)
from infra.config.multinode_checks import FABRIC_REFUSALS
from infra.sizing import fit_record, load_estimate, load_record


@dataclass(frozen=True)
class SizeRequest:
    arch: ModelArchitecture
    gpu: GpuType | None
    gpus: int
    max_model_len: int | None
    dtype: Dtype
    quantization: Quantization | None
    gpu_memory_utilization: float
    cloud: Cloud


def size_report(request: SizeRequest) -> dict[str, Any]:
    arch = request.arch
    length = request.max_model_len or arch.max_position_embeddings
    best = recommend(
        arch,
        catalog=catalog(),
        prices=price_catalog(),
        cloud=request.cloud,
        max_model_len=length,
        gpu_memory_utilization=request.gpu_memory_utilization,
        dtype=request.dtype,
        quantization=request.quantization,
        # on the GPU asked about, when one is
        allowed_gpus={request.gpu} if request.gpu is not None else None,
        max_nodes=MAX_NODES,
    )
    report: dict[str, Any] = {"model": arch.name, "family": arch.family}
    setup = _evaluated_setup(request, best)
    if setup is None:  # no GPU named and nothing in the catalog holds the model
        report.update(fit_record(_fit(request, memory_gib=0.0, gpus=request.gpus, length=length)))
        report["evaluated_on"] = None
    else:
        gpu, gpus, memory, bandwidth = setup
        tensor, stages = node_split(request.cloud, gpu, gpus)
        result = _fit(request, memory_gib=memory, gpus=tensor, length=length, pipeline=stages)
        report["evaluated_on"] = {
            "gpu": gpu.value,
            "gpus": gpus,
            "tensor_parallel": tensor,
            "pipeline_parallel": stages,
        }
        report.update(fit_record(result))
        node = _stage_node(request, best, gpu, tensor) if stages > 1 else None
        hop = (
            StageHop(network_gbps=node.network_gbps)
            if node is not None and node.network_gbps is not None
            else None
        )
        speed = decode_throughput(result, bandwidth, hop)
        report["decode_output_tokens_per_second"] = round(speed.output_tokens_per_second, 1)
        report["interconnect"] = None if stages == 1 else _interconnect(node, hop, speed)
        report["longest_max_model_len_that_fits"] = longest_context(
            arch,
            gpu_memory_gib=memory,
            gpus=tensor,
            pipeline=stages,
            gpu_memory_utilization=request.gpu_memory_utilization,
            dtype=request.dtype,
            quantization=request.quantization,
        )
    report["recommended"] = _recommended(best, length)
    weights = int(report["weights_bytes"])
    report["first_start"] = {
        "from_hub": load_record(load_estimate(weights, from_bucket=False, new_node=False)),
        "from_hub_on_a_new_node": load_record(
            load_estimate(weights, from_bucket=False, new_node=True)
        ),
        "from_bucket": load_record(load_estimate(weights, from_bucket=True, new_node=False)),
    }
    return report


def _evaluated_setup(
    request: SizeRequest, best: Recommendation | None
) -> tuple[GpuType, int, float, float] | None:
    """The GPU setup to report on: the one asked for, else the recommended one."""
    if request.gpu is not None:
        spec = catalog().gpus[request.gpu]
        return request.gpu, request.gpus, spec.memory_gib, spec.memory_bandwidth_gbps
    if best is not None:
        instance = best.instance
        return (
            instance.gpu,
            best.total_gpus,
            catalog().gpu_memory_gib(instance),
            catalog().gpu_bandwidth_gbps(instance),
        )
    return None


def node_split(cloud: Cloud, gpu: GpuType, gpus: int) -> tuple[int, int]:
    """(tensor parallel, pipeline stages) for `gpus` of `gpu`: within one node when its
    largest node holds them, else whole nodes of that size, one stage each."""
    per_node = max((i.gpus for i in catalog().instances[cloud] if i.gpu is gpu), default=gpus)
    if gpus <= per_node:
        return gpus, 1
    if gpus % per_node:
        raise SizeError(
            f"--gpus {gpus}: more than one {gpu.value} node holds ({per_node}), and not a "
            f"multiple of it; pass a multiple of {per_node} (whole nodes, one pipeline stage "
            "each)"
        )
    return per_node, gpus // per_node


def _stage_node(
    request: SizeRequest, best: Recommendation | None, gpu: GpuType, per_node: int
) -> InstanceType | None:
    """The stages' node type: the recommended one when that is what is evaluated, else the
    catalog's (default) type of `per_node` × `gpu`."""
    if request.gpu is None and best is not None:
        return best.instance
    types = [t for t in catalog().instances[request.cloud] if t.gpu is gpu and t.gpus == per_node]
    return next((t for t in types if t.default), types[0] if types else None)


FABRIC_NAMES = {
    "efa": "EFA",
    "gpudirect-tcpx": "GPUDirect-TCPX",
    "gpudirect-tcpxo": "GPUDirect-TCPXO",
    "infiniband": "InfiniBand",
}
_OVER_TCP = "; the stages talk NCCL over TCP sockets"


def _interconnect(
    node: InstanceType | None, hop: StageHop | None, speed: Throughput
) -> dict[str, Any]:
    """What the stages hand over on, and what that costs each decode step."""
    fabric = node.interconnect if node is not None else None
    return {
        "instance_type": node.name if node is not None else None,
        "network_gbps": node.network_gbps if node is not None else None,
        "fast_interconnect": (
            {"kind": fabric.kind, "gbps": fabric.gbps} if fabric is not None else None
        ),
        "used": "tcp",
        "flow_gbps": hop.flow_gbps if hop is not None else None,
        "assumed_latency_seconds": HOP_LATENCY_S if hop is not None else None,
        "hop_seconds": round(speed.hop_seconds, 6) if hop is not None else None,
        "hop_share_of_decode_step": round(speed.hop_share, 4) if hop is not None else None,
        "why_not_fast": FABRIC_REFUSALS[fabric.kind] + _OVER_TCP if fabric is not None else None,
    }


def _interconnect_lines(link: dict[str, Any]) -> list[str]:
    if link["hop_share_of_decode_step"] is None:
        return ["  stages hand over on a network the catalog has no figure for: not charged"]
    lines = [
        f"  stages hand over on the {link['network_gbps']:g} Gbps TCP network of "
        f"{link['instance_type']} (one flow, {link['flow_gbps']:g} Gbps): "
        f"~{link['hop_share_of_decode_step']:.1%} of each decode step"
    ]
    fabric = link["fast_interconnect"]
    if fabric is not None:
        lines.append(
            f"    {FABRIC_NAMES[fabric['kind']]} ({fabric['gbps']:g} Gbps) not used: "
            f"{link['why_not_fast']}"
        )
    return lines


class SizeError(ValueError):
    """A setup `size` cannot evaluate; the message says what to pass instead."""


def _fit(
    request: SizeRequest, *, memory_gib: float, gpus: int, length: int, pipeline: int = 1
) -> Fit:
    return fit(
        request.arch,
        gpu_memory_gib=memory_gib,
        gpus=gpus,
        max_model_len=length,
        gpu_memory_utilization=request.gpu_memory_utilization,
        dtype=request.dtype,
        quantization=request.quantization,
        pipeline=pipeline,
        gpu=request.gpu.value if request.gpu else "",
    )


def _recommended(best: Recommendation | None, length: int) -> dict[str, Any] | None:
    if best is None:
        return None
    return {
        "cloud": best.cloud.value,
        "gpu": best.instance.gpu.value,
        "gpus": best.total_gpus,
        "nodes": best.nodes,
        "tensor_parallel": best.gpus,
        "pipeline_parallel": best.nodes,
        "instance_type": best.instance.name,
        "max_model_len": length,
        "max_concurrent_sequences": best.fit.max_concurrent_sequences,
        "usd_per_hour": round(best.usd_per_hour, 4),
        "rule": f"cheapest replica holding {MIN_SEQUENCES} full-length sequences, on demand",
    }


def _minutes(seconds: int) -> str:
    return f"{seconds / 60:.1f} min"


def _first_start_lines(first: dict[str, Any]) -> list[str]:
    hub, new_node, bucket = (
        first["from_hub"],
        first["from_hub_on_a_new_node"],
        first["from_bucket"],
    )
    return [
        f"first start from the Hub: image {_minutes(hub['image_pull_seconds'])}, download "
        f"{_minutes(hub['download_seconds'])}, load {_minutes(hub['load_seconds'])}, warm-up "
        f"{_minutes(hub['warmup_seconds'])} = {_minutes(hub['total_seconds'])}",
        f"  Pulumi waits {_minutes(hub['await_timeout_seconds'])} "
        f"({_minutes(new_node['await_timeout_seconds'])} when the pool must add a node); "
        f"startup probe allows {hub['startup_probe_minutes']} min",
        f"  streamed from a bucket: {_minutes(bucket['total_seconds'])}, "
        f"Pulumi waits {_minutes(bucket['await_timeout_seconds'])}",
    ]


def render_size_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=True) + "\n"


def render_size_table(report: dict[str, Any]) -> str:
    on = report.get("evaluated_on")
    lines = [
        f"{report['model']} ({report['family']})",
        f"  parameters               {report['parameters']:,}",
        f"  weights                  {report['weights_bytes'] / GIB:.2f} GiB",
        f"  KV cache per token       {report['kv_cache_bytes_per_token']:,} bytes",
    ]
    if on:
        per_gpu = report["per_gpu"]
        verdict = "fits" if report["fits"] else "DOES NOT FIT: " + "; ".join(report["problems"])
        stages = on.get("pipeline_parallel", 1)
        shape = (
            f"{stages} nodes of {on['tensor_parallel']} × {on['gpu']}"
            if stages > 1
            else f"{on['gpus']} × {on['gpu']}"
        )
        lines += [
            f"on {shape} at max length {report['max_model_len']}: {verdict}",
            f"  per GPU: budget {per_gpu['budget_bytes'] / GIB:.2f} GiB = weights "
            f"{per_gpu['weights_bytes'] / GIB:.2f} + reserve {per_gpu['reserve_bytes'] / GIB:.2f}"
            f" + KV pool {per_gpu['kv_pool_bytes'] / GIB:.2f} GiB",
            f"  KV cache holds {report['kv_cache_tokens']:,} tokens: "
            f"{report['max_concurrent_sequences']} full-length sequences",
            f"  decode estimate {report['decode_output_tokens_per_second']} output tokens/s",
        ]
        if report.get("interconnect"):
            lines += _interconnect_lines(report["interconnect"])
        lines.append(
            f"  longest max_model_len that fits: {report['longest_max_model_len_that_fits']}"
        )
    lines += _first_start_lines(report["first_start"])
    best = report["recommended"]
    if best:
        nodes = best.get("nodes", 1)
        where = (
            f"{nodes} nodes of {best['tensor_parallel']} × {best['gpu']} ({best['instance_type']}; "
            f"pipeline parallel {nodes} × tensor parallel {best['tensor_parallel']})"
            if nodes > 1
            else f"{best['gpus']} × {best['gpu']} ({best['instance_type']})"
        )
        lines.append(
            f"recommended on {best['cloud']}: {where}, {best['max_concurrent_sequences']} "
            f"sequences at {best['max_model_len']} tokens, ${best['usd_per_hour']}/h"
        )
    else:
        lines.append(
            "recommended: nothing in the catalog holds it; quantize it or shorten the context"
        )
    return "\n".join(lines) + "\n"
