"""How vLLM 0.11.0 lays out one GPU's KV cache over a stage's layers, and so how many
sequences of a given length it holds.

Each layer gets a spec (vllm/v1/worker/gpu_model_runner.py:4066-4100): full attention, or
a sliding window when the layer has one. A page is one block of `BLOCK_TOKENS` tokens of
one layer (v1/kv_cache_interface.py:64-66).
- Every layer alike (all full, or all sliding with one window): one group; each block id
  holds a page of every layer (kv_cache_utils.py:1150-1187).
- Full and sliding layers mixed (the hybrid KV cache manager, on by default:
  config/scheduler.py:132): layers are grouped by type in groups of G = the fewest layers
  of any type, `cdiv(n, G)` groups per type (`_get_kv_cache_groups_uniform_page_size`,
  kv_cache_utils.py:894-1001), and one block id costs G pages whichever group takes it
  (`get_num_blocks`, :813-827).
- A sequence of length L needs `cdiv(L, 16)` blocks in each full group and
  `cdiv(min(W - 1 + max_num_batched_tokens, L), 16) + 1` in each sliding group
  (kv_cache_interface.py:83-91,196-214): the window, one step's tokens, and a block for a
  window that does not start on a block boundary. The engine's concurrency is the blocks
  over that (`get_max_concurrency_for_kv_cache_config`, :780-795).
- With the hybrid manager off (Llama 4's chunked attention turns it off: config/
  __init__.py:498-529), every layer is allocated at full length (`unify_hybrid_kv_cache_
  specs`, :1096-1147), whatever its window.
"""

import math
from collections import Counter
from dataclasses import dataclass

BLOCK_TOKENS = 16


def default_batched_tokens(gpu_memory_gib: float, gpu: str = "") -> int:
    """vLLM 0.11.0's OpenAI server default `max_num_batched_tokens` with chunked prefill:
    8192 on GPUs of 70 GiB or more other than A100, else 2048 (engine/arg_utils.py:
    1600-1622)."""
    return 8192 if gpu_memory_gib >= 70 and "a100" not in gpu.lower() else 2048


@dataclass(frozen=True)
class KvLayout:
    layers: tuple[tuple[int, int | None], ...]
    """Each layer's (KV bytes per token on one GPU, allocated window or None)."""
    batched_tokens: int = 2048

    @property
    def _types(self) -> Counter[int | None]:
        return Counter(window for _, window in self.layers)

    @property
    def group_size(self) -> int:
        types = self._types
        return len(self.layers) if len(types) == 1 else min(types.values())

    @property
    def groups(self) -> int:
        size = self.group_size
        return sum(math.ceil(n / size) for n in self._types.values()) if self.layers else 0

    @property
    def block_bytes(self) -> int:
        """What one block id costs on this GPU."""
        if len(self._types) == 1:
            return sum(per_token for per_token, _ in self.layers) * BLOCK_TOKENS
        page = max(per_token for per_token, _ in self.layers) * BLOCK_TOKENS
        return page * self.group_size

    def blocks_per_sequence(self, length: int) -> int:
        types = self._types
        if len(types) == 1:
            return self._blocks(next(iter(types)), length)
        size = self.group_size
        return sum(math.ceil(n / size) * self._blocks(w, length) for w, n in types.items())

    def _blocks(self, window: int | None, length: int) -> int:
        if window is None:
            return math.ceil(length / BLOCK_TOKENS)
        return math.ceil(min(window - 1 + self.batched_tokens, length) / BLOCK_TOKENS) + 1

    def sequences(self, pool_bytes: int, length: int) -> int:
        if not self.layers or pool_bytes <= 0:
            return 0
        return self.blocks(pool_bytes) // self.blocks_per_sequence(length)

    def blocks(self, pool_bytes: int) -> int:
        return max(pool_bytes, 0) // self.block_bytes if self.layers else 0

    def tokens(self, pool_bytes: int) -> int:
        """The KV cache's size in tokens, as vLLM logs it: blocks per group × 16
        (kv_cache_utils.py:1080)."""
        return self.blocks(pool_bytes) // max(self.groups, 1) * BLOCK_TOKENS

    def sequence_bytes(self, length: int) -> int:
        return self.blocks_per_sequence(length) * self.block_bytes

    def read_bytes_per_token_step(self, context: int, windows: tuple[int | None, ...]) -> int:
        """KV bytes one decode step reads for a sequence of `context` tokens: a windowed
        layer attends to its window only."""
        return sum(
            per_token * (min(context, w) if w else context)
            for (per_token, _), w in zip(self.layers, windows, strict=True)
        )
