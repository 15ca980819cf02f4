"""Pipeline parallelism across nodes: which layers each stage holds, as vLLM 0.11.0 splits
them, and what else sits on the first and last stage.

vLLM gives each of `pp` stages `layers // pp` decoder layers and spreads the remainder over
the stages before the last, from the second-to-last backwards
(vllm/distributed/utils.py:89-129 `get_pp_indices`, in the vllm-0.11.0 wheel;
`VLLM_PP_LAYER_PARTITION` overrides it, which the platform does not set). The first stage
holds the input embedding, the last the final norm and the LM head, which is a copy of the
embedding when the two are tied (vllm/model_executor/models/llama.py:352-370,541-567).
Every stage but the first receives the previous stage's hidden states and residual, kept
in buffers of the scheduler's token budget (vllm/v1/worker/gpu_model_runner.py:3109-3118,
`make_empty_intermediate_tensors` with `["hidden_states", "residual"]`: llama.py:376).
Each stage sizes its own KV cache, and every stage then uses the smallest block count of
all (vllm/v1/core/kv_cache_utils.py:1283-1289): the tightest stage decides.
"""

# Families whose vLLM 0.11.0 model builds these on every stage, not only the first or last:
# Gemma 2 its embedding (model_executor/models/gemma2.py:251-254), Mixtral its embedding,
# final norm and LM head (mixtral.py:301-322,500-512).
EMBEDDING_ON_EVERY_STAGE = frozenset({"gemma2", "mixtral"})
HEAD_ON_EVERY_STAGE = frozenset({"mixtral"})
# Nodes whose GPUs a replica may span as pipeline stages: the 8-GPU training-class nodes
# (p4d/p5, a2/a3, ND), where the fast interconnect lives; smaller VMs only ever hold a
# replica of their own.
MIN_GPUS_PER_STAGE_NODE = 8


def stage_layers(layers: int, stages: int) -> list[int]:
    """Decoder layers per stage, first to last (`get_pp_indices`)."""
    if stages < 1 or stages > layers:
        raise ValueError(f"{layers} layers cannot be split over {stages} pipeline stages")
    partitions = [layers // stages] * stages
    for i in range(2, layers % stages + 2):
        partitions[-i] += 1
    return partitions


def replica_layout(gpus_per_replica: int, gpus_per_node: int) -> tuple[int, int]:
    """(tensor-parallel size, pipeline stages) of a replica of `gpus_per_replica` GPUs on
    nodes of `gpus_per_node`: within one node when it holds them, else tensor parallel over
    each whole node and one pipeline stage per node (vLLM's documented multi-node layout:
    tensor parallel inside a node, pipeline parallel across nodes)."""
    if gpus_per_replica <= gpus_per_node:
        return gpus_per_replica, 1
    if gpus_per_replica % gpus_per_node:
        raise ValueError(
            f"{gpus_per_replica} GPUs are not whole nodes of {gpus_per_node} GPUs each"
        )
    return gpus_per_node, gpus_per_replica // gpus_per_node
