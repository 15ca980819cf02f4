"""GPU memory vLLM v0.11.0 sets aside for LoRA adapters, per GPU of a replica.

With `--enable-lora`, vLLM wraps every linear layer of the model (and, where the model
declares `embedding_modules`, its input embedding and LM head) and allocates, for each of
`--max-loras` slots, stacked A and B matrices at `--max-lora-rank`, whichever modules an
adapter targets (vllm/lora/utils.py:185-203 `get_supported_lora_modules`,
vllm/lora/models.py:474-519 `_create_lora_modules`, in the vllm-0.11.0 wheel). They are
allocated when the model loads, before vLLM profiles memory, so they come out of the KV
cache. Per slot, in the LoRA dtype (the model's, `lora_dtype: auto`):

- column-parallel layers (q/k/v, gate/up): A is `slices × rank × hidden` (the input is not
  sharded), B is `output per GPU × rank` (vllm/lora/layers/base_linear.py:35-79,
  column_parallel_linear.py:190-223);
- row-parallel layers (o, down): A is `rank × input per GPU`, B is `hidden × rank`;
- a mixture's router (replicated): A `rank × hidden`, B `experts × rank`; the experts
  themselves take no LoRA at this version (there is no fused-MoE LoRA layer);
- the input embedding: A `(vocab + 256) × rank`, B `hidden × rank`, and 256 extra
  embedding rows in the model dtype (lora/layers/vocal_parallel_embedding.py:27-78);
- the LM head: A `rank × hidden`, B `vocab padded to 256 × rank`, and 256 × hidden extra
  logits rows (lora/layers/logits_processor.py:86-118; padding: platforms/interface.py:417).

Which families declare embedding modules, and which fuse q/k/v and gate/up into one
slice, is read from vllm/model_executor/models/*.py at 0.11.0: Llama (and Mistral, which
vLLM runs as Llama: registry.py:121) and Mixtral declare them (llama.py:486-497,
mixtral.py:467-484); Phi-3 inherits Llama's but keeps its fused projections as one
slice each (phi3.py); Qwen2, Qwen3 and Gemma declare none.
"""

import math
from dataclasses import dataclass

from components.sizing.architecture import ModelArchitecture

# vllm/config/lora.py:104 in the 0.11.0 wheel
MAX_LORA_RANKS = (8, 16, 32, 64, 128, 256, 320, 512)
EXTRA_VOCAB = 256  # lora_extra_vocab_size's default (vllm/config/lora.py:47)
VOCAB_PADDING = 256
EMBEDDING_FAMILIES = frozenset({"llama", "mistral", "mixtral", "phi3"})
FUSED_FAMILIES = frozenset({"phi3"})  # q/k/v and gate/up are one slice each


@dataclass(frozen=True)
class LoraSlots:
    """What `--max-loras` and `--max-lora-rank` reserve."""

    max_loras: int
    max_rank: int


def lora_rank_for(ranks: list[int]) -> int:
    """The smallest `--max-lora-rank` vLLM accepts that holds every adapter's rank."""
    wanted = max(ranks, default=MAX_LORA_RANKS[0])
    for allowed in MAX_LORA_RANKS:
        if allowed >= wanted:
            return allowed
    raise ValueError(f"rank {wanted} is above vLLM's largest max_lora_rank {MAX_LORA_RANKS[-1]}")


def lora_bytes_per_gpu(
    arch: ModelArchitecture, gpus: int, slots: LoraSlots, dtype_bytes: int = 2
) -> int:
    """The LoRA buffers on each GPU of a replica of `gpus` (tensor parallel)."""
    r, h = slots.max_rank, arch.hidden_size
    q_per_gpu = arch.num_attention_heads * arch.head_dim // gpus
    kv_per_gpu = max(1, arch.num_kv_heads // gpus) * arch.head_dim
    fused = arch.family in FUSED_FAMILIES
    qkv = (1 if fused else 3) * r * h + (q_per_gpu + 2 * kv_per_gpu) * r
    o = r * q_per_gpu + h * r
    per_layer = qkv + o
    if arch.is_moe:
        per_layer += r * h + arch.num_experts * r  # the router
    else:
        inter_per_gpu = arch.intermediate_size // gpus
        gate_up = (1 if fused else 2) * r * h + 2 * inter_per_gpu * r
        down = r * inter_per_gpu + h * r
        per_layer += gate_up + down
    total = arch.num_layers * per_layer
    extra = 0
    if arch.family in EMBEDDING_FAMILIES:
        embedding = (arch.vocab_size + EXTRA_VOCAB) * r + h * r + EXTRA_VOCAB * h
        # the logits cover the extra vocabulary too (the model's LogitsProcessor is built
        # over vocab + lora_extra_vocab_size: model_executor/models/llama.py:541-567)
        padded_vocab = math.ceil((arch.vocab_size + EXTRA_VOCAB) / VOCAB_PADDING) * VOCAB_PADDING
        head = r * h + padded_vocab * r + EXTRA_VOCAB * h
        total += embedding + head
        # and the base embedding and LM head grow by the extra rows, once (not per slot)
        extra = 2 * EXTRA_VOCAB * h
    return (slots.max_loras * total + extra) * dtype_bytes
