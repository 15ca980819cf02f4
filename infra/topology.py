"""How each model's replica is laid out over its pool's nodes: one node (tensor parallel
only), or a group of whole nodes (tensor parallel per node, one pipeline stage per node);
and so which pools hold groups, whose nodes are then placed close together in one zone."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from components.catalog import InstanceType, catalog, resolve_instance
from components.enums import Cloud
from components.sizing.pipeline import replica_layout
from infra.config.models import ModelConfig
from infra.config.pools import GpuPoolConfig

if TYPE_CHECKING:
    from infra.config.stack import StackConfig


@dataclass(frozen=True)
class ReplicaLayout:
    tensor_parallel: int
    """GPUs per pod (per node of a group)."""
    nodes: int
    """Pods (nodes) per replica = pipeline stages; 1 for a single-node replica."""
    instance: InstanceType

    @property
    def multi_node(self) -> bool:
        return self.nodes > 1


def pool_instance(cloud: Cloud, pool: GpuPoolConfig) -> InstanceType:
    return resolve_instance(
        catalog(),
        cloud,
        gpu=pool.gpu,
        instance_type=pool.instance_type,
        gpus_per_node=pool.gpus_per_node,
    )


def layout_of(cloud: Cloud, model: ModelConfig, pool: GpuPoolConfig) -> ReplicaLayout:
    instance = pool_instance(cloud, pool)
    tensor, nodes = replica_layout(model.gpus_per_replica, instance.gpus)
    return ReplicaLayout(tensor_parallel=tensor, nodes=nodes, instance=instance)


def layouts(config: "StackConfig") -> dict[str, ReplicaLayout]:
    """Each model's layout, by model name (a validated config: every replica is whole
    nodes)."""
    return {m.name: layout_of(config.cloud, m, config.pool(m.pool)) for m in config.models}


def compact_pools(config: "StackConfig") -> frozenset[str]:
    """Pools whose nodes go in one placement group (AWS), a compact placement policy (GCP)
    or a proximity placement group (Azure), all one zone: those that ask for it, which every
    pool holding a replica across nodes must (the config checks)."""
    return frozenset(p.name for p in config.gpu_pools if p.compact_placement)


def group_surge(
    config: "StackConfig", model: ModelConfig, shapes: Mapping[str, ReplicaLayout]
) -> int:
    """1 when the pool has the nodes for one extra group beyond every model's maximum on
    it (a rollout then starts the new group before stopping an old one), else 0 (one group
    at a time is replaced: a single-replica model is down while its new group loads)."""
    pool = config.pool(model.pool)
    busy = sum(shapes[m.name].nodes * m.max_replicas for m in config.models if m.pool == model.pool)
    return 1 if pool.max_nodes >= busy + shapes[model.name].nodes else 0
