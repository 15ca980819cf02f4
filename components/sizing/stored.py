"""How a quantized checkpoint's projections sit on the GPUs, read from its config.json's
`quantization_config`, as vLLM 0.11.0 holds each format (model_executor/layers/
quantization/). A projection N outputs × K inputs with group size g takes:

- fp8 (`quant_method: fp8`): N·K bytes and an fp32 scale per 128 × 128 block with
  `weight_block_size` (`weight_scale_inv`, fp8.py:309-320, utils/fp8_utils.py:809-822),
  else one per tensor (:823-826);
- AWQ: N·K/2 of 4-bit weights, N·K/(2g) of packed zero points and 2·N·K/g of 16-bit
  scales (awq.py:159-196; AWQ-Marlin repacks in place, awq_marlin.py:278-306);
- GPTQ: N·K·b/8 and 2·N·K/g of scales once Marlin has dropped the zero points
  (kernels/mixed_precision/marlin.py:90-113), plus g_idx and its sort order (8·K) with
  `desc_act`; a group size of -1 is one scale per output channel;
- bitsandbytes: 4-bit, N·K/2 and an fp32 absmax per 64 weights (the loader
  dequantizes a double-quantized absmax: model_loader/bitsandbytes_loader.py:553-590);
  8-bit, N·K and an fp32 scale per output row (:242-264);
- compressed-tensors: packed integers (`pack-quantized`: N·K·b/8, 16-bit scales per group
  or channel, int32 zero points when asymmetric: compressed_tensors_wNa16.py:99-143),
  8-bit floats or integers with a scale per tensor, channel or block
  (compressed_tensors_w8a8_fp8.py:70-89, compressed_tensors_w8a8_int8.py:57-79).

Embeddings, the LM head, norms, biases and routers stay 16-bit (vocab_parallel_
embedding.py:240-244; routers are built unquantized or named in the checkpoint's ignore
list), and so do vision towers (counted at 16 bits: an upper bound when a checkpoint
quantizes them). MXFP4 (gpt-oss's experts) is sized in memory.py.
"""

import math
from dataclasses import dataclass
from typing import Any

from components.sizing.layers import Linear

KNOWN = ("fp8", "awq", "gptq", "bitsandbytes", "compressed-tensors", "mxfp4")


class StoredFormatError(ValueError):
    """A quantization_config the sizing cannot count; the message names it."""


@dataclass(frozen=True)
class StoredFormat:
    method: str
    bits: int = 16
    group: int | None = None
    """Weights per scale along the inputs; None: one scale per output channel."""
    block: tuple[int, int] | None = None
    per_tensor: bool = False
    zero_points: bool = False
    act_order: bool = False
    floating: bool = False

    def bytes_of(self, m: Linear) -> int:
        n, k = m.out, m.inp
        if self.method == "bitsandbytes" and self.bits == 4:
            per = n * k // 2 + 4 * math.ceil(n * k / 64)
        elif self.bits == 8 and (self.floating or self.method in ("fp8", "bitsandbytes")):
            per = n * k + self._eight_bit_scales(n, k)
        else:
            groups = math.ceil(k / self.group) if self.group else 1
            per = math.ceil(n * k * self.bits / 8) + 2 * n * groups
            if self.zero_points:
                per += math.ceil(n * groups * self.bits / 8)
            if self.act_order:
                per += 8 * k
        return per * m.count

    def _eight_bit_scales(self, n: int, k: int) -> int:
        if self.block is not None:
            return 4 * math.ceil(n / self.block[0]) * math.ceil(k / self.block[1])
        return 4 if self.per_tensor else 4 * n


def stored_format(config: dict[str, Any], name: str) -> StoredFormat | None:
    """The checkpoint's format from its `quantization_config`; None for 16-bit weights."""
    found = config.get("quantization_config")
    if not isinstance(found, dict) or not found.get("quant_method"):
        return None
    method = str(found["quant_method"]).lower()
    if method == "fp8":
        block = found.get("weight_block_size")
        if isinstance(block, list) and len(block) == 2:
            return StoredFormat("fp8", 8, block=(int(block[0]), int(block[1])))
        return StoredFormat("fp8", 8, per_tensor=True)
    if method == "awq":
        group = int(found.get("group_size") or found.get("q_group_size") or 128)
        return StoredFormat(
            "awq", int(found.get("bits") or found.get("w_bit") or 4), group, zero_points=True
        )
    if method == "gptq":
        group = int(found.get("group_size") or 128)
        return StoredFormat(
            "gptq",
            int(found.get("bits") or 4),
            group if group > 0 else None,
            zero_points=found.get("sym") is False,
            act_order=bool(found.get("desc_act")),
        )
    if method == "bitsandbytes":
        return StoredFormat("bitsandbytes", 4 if found.get("load_in_4bit") else 8)
    if method == "compressed-tensors":
        return _compressed_tensors(found, name)
    if method == "mxfp4":
        return StoredFormat("mxfp4", 4, 32)
    raise StoredFormatError(
        f"{name}: its weights are stored as {method!r}, a format the sizing does not count "
        f"(it counts: {', '.join(KNOWN)}); size the unquantized model it comes from "
        "(models[].architecture) with models[].quantization, or pass a config.json "
        "without quantization_config"
    )


def _compressed_tensors(found: dict[str, Any], name: str) -> StoredFormat:
    groups = found.get("config_groups") or {}
    schemes = [g.get("weights") for g in groups.values() if isinstance(g, dict)]
    weights = next((w for w in schemes if isinstance(w, dict)), None)
    if weights is None:
        raise StoredFormatError(f"{name}: compressed-tensors config without weight settings")
    bits = int(weights.get("num_bits") or 8)
    strategy = str(weights.get("strategy") or "tensor")
    floating = str(weights.get("type") or "int") == "float"
    block = weights.get("block_structure")
    return StoredFormat(
        "compressed-tensors",
        bits,
        int(weights["group_size"]) if strategy == "group" and weights.get("group_size") else None,
        block=(int(block[0]), int(block[1])) if strategy == "block" and block else None,
        per_tensor=strategy == "tensor",
        zero_points=weights.get("symmetric") is False,
        act_order=str(weights.get("actorder") or "") == "group",
        floating=floating,
    )
