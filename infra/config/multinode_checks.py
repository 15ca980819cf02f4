"""Replicas across nodes: what a model whose `gpus_per_replica` exceeds its pool's node
needs of its engine, its pool and its scaling, so that the group can be built at all.

A multi-node replica is a LeaderWorkerSet group of whole 8-GPU nodes, tensor parallel over
each node's GPUs and one pipeline stage per node (components/sizing/pipeline.py), served by
vLLM over Ray (workloads/model_group.py). Its nodes sit in one zone, in the pool's
placement group (AWS), compact placement policy (GCP) or proximity placement group
(Azure), which each live in one zone.
"""

from collections.abc import Iterator

from components.catalog import InstanceType
from components.enums import Engine
from components.sizing.pipeline import MIN_GPUS_PER_STAGE_NODE
from components.sizing.recommend import MAX_NODES
from infra.config.errors import PLATFORM_KEY, ConfigIssue, show
from infra.config.models import ModelConfig
from infra.config.pools import GpuPoolConfig

P = PLATFORM_KEY


def is_multi_node(model: ModelConfig, instance: InstanceType) -> bool:
    return model.gpus_per_replica > instance.gpus


def multi_node_issues(
    path: str,
    model: ModelConfig,
    instance: InstanceType,
    pool: tuple[int, GpuPoolConfig] | None,
) -> Iterator[ConfigIssue]:
    """Why the multi-node replica `model` (at `path`) cannot be built on `instance`
    nodes of `pool` (its index and config), if it cannot."""
    where = f"{path}.gpus_per_replica"
    given = model.gpus_per_replica
    if instance.gpus < MIN_GPUS_PER_STAGE_NODE:
        yield ConfigIssue(
            where,
            f"{given} is more than the {instance.gpus} GPU(s) per node of pool "
            f"'{model.pool}' ({instance.name}); a replica spans nodes only over 8-GPU nodes",
            f"use at most {instance.gpus}, or give the pool 8-GPU nodes "
            "(gpus_per_node: 8) and a multiple of 8",
        )
        return
    if given % instance.gpus:
        yield ConfigIssue(
            where,
            f"{given} is not whole nodes of pool '{model.pool}' ({instance.gpus} GPUs each "
            f"on {instance.name}); a replica across nodes is one pipeline stage per node",
            f"use {instance.gpus * (given // instance.gpus)} or "
            f"{instance.gpus * (given // instance.gpus + 1)}",
        )
        return
    nodes = given // instance.gpus
    if nodes > MAX_NODES:
        yield ConfigIssue(
            where,
            f"{given} spreads a replica over {nodes} nodes; at most {MAX_NODES} pipeline "
            "stages are planned (each stage boundary is a network hop on every token)",
            f"use at most {MAX_NODES * instance.gpus}, or quantize the model (quantization: fp8)",
        )
    if model.engine is not Engine.VLLM:
        yield ConfigIssue(
            f"{path}.engine",
            f"{model.engine.value} serves a replica on one node only, and "
            f"gpus_per_replica {given} spans {nodes}",
            "use engine: vllm (tensor parallel per node, pipeline parallel across nodes)",
        )
    if model.min_replicas == 0:
        yield ConfigIssue(
            f"{path}.min_replicas",
            f"0: a group of {nodes} {instance.name} nodes cannot start within the gateway's "
            "900 s hold of the waking request (each node must scale up, pull the image and "
            "load its stage)",
            "set min_replicas: 1",
        )
    if pool is None:
        return
    index, found = pool
    if not found.compact_placement:
        yield ConfigIssue(
            f"{P}.gpu_pools[{index}].compact_placement",
            f"false: pool '{found.name}' holds the multi-node model '{model.name}', whose "
            "group's nodes talk on every token and must sit close together",
            "set compact_placement: true and one zone (on an existing pool this replaces "
            "its node pool on GKE and AKS, and rolls its nodes on AWS)",
        )


def placement_issues(index: int, pool: GpuPoolConfig) -> Iterator[ConfigIssue]:
    """A compact pool lives in one zone, as its placement group does."""
    if not pool.compact_placement or (pool.zones is not None and len(pool.zones) == 1):
        return
    zones = show(list(pool.zones)) if pool.zones else "every network zone"
    yield ConfigIssue(
        f"{P}.gpu_pools[{index}].zones",
        f"{zones}: pool '{pool.name}' has compact_placement, whose placement group lives "
        "in one zone",
        "list exactly one zone where the cloud offers the pool's GPUs, e.g. "
        "zones: [<the zone with capacity>]",
    )


# Why a replica's stages cannot use each fabric here. The pinned image's docker/Dockerfile
# (vllm v0.11.0) installs libibverbs-dev (L309) but neither libfabric nor aws-ofi-nccl, and
# no GPUDirect-TCPX/TCPXO plugin, which Google installs from a DaemonSet beside a daemon
# sidecar in each pod (GoogleCloudPlatform/container-engine-accelerators gpudirect-tcpx/);
# NCCL's own InfiniBand transport needs the RDMA devices in the pod, which a device plugin
# hands out, and IPC_LOCK.
FABRIC_REFUSALS = {
    "efa": "the pinned vLLM image (vllm/vllm-openai:v0.11.0) carries neither libfabric nor "
    "aws-ofi-nccl, NCCL's EFA plugin, and the model pods request no EFA devices",
    "gpudirect-tcpx": "the pinned vLLM image (vllm/vllm-openai:v0.11.0) carries no "
    "GPUDirect-TCPX NCCL plugin, and the stack builds neither the VPC per GPU NIC nor the "
    "tcpx-daemon sidecar it needs",
    "gpudirect-tcpxo": "the pinned vLLM image (vllm/vllm-openai:v0.11.0) carries no "
    "GPUDirect-TCPXO NCCL plugin, and the stack builds neither the VPC per GPU NIC nor the "
    "tcpxo-daemon sidecar it needs",
    "infiniband": "the model pods get no RDMA devices (no NVIDIA Network Operator device "
    "plugin) and no IPC_LOCK, which NCCL's InfiniBand transport needs",
}


def interconnect_issues(
    index: int, pool: GpuPoolConfig, instance: InstanceType | None
) -> Iterator[ConfigIssue]:
    """A pool asking for its GPU fabric: refused, with what the fabric needs that this stack
    does not have (or that its instance has none)."""
    if not pool.fast_interconnect or instance is None:
        return
    where = f"{P}.gpu_pools[{index}].fast_interconnect"
    fix = (
        "remove fast_interconnect: a replica's stages hand each other only the hidden states "
        "of the tokens in flight, which the TCP network carries (`llm-infra size` shows the "
        "hop's share of each decode step)"
    )
    fabric = instance.interconnect
    if fabric is None:
        yield ConfigIssue(where, f"true, but {instance.name} has no GPU fabric", fix)
        return
    yield ConfigIssue(
        where,
        f"true: {instance.name} has {fabric.kind} ({fabric.gbps:g} Gbps), but "
        f"{FABRIC_REFUSALS[fabric.kind]}",
        fix,
    )
