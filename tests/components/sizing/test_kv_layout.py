"""The KV cache as vLLM 0.11.0 lays it out: per-layer pages, layers grouped by type under
the hybrid KV cache manager, a sliding layer holding its window plus one step
(components/sizing/kv_layout.py). Checked against a step-by-step rebuild of the engine's
grouping over the layers, and against figures worked from the engine's source."""

import math

import hypothesis.strategies as st
from hypothesis import given

from components.enums import Dtype
from components.sizing.kv_layout import BLOCK_TOKENS, KvLayout, default_batched_tokens
from components.sizing.layers import KvKind
from components.sizing.library import load_model
from components.sizing.memory import fit, kv_layout


def engine_groups(layers):
    """vLLM's `_get_kv_cache_groups_uniform_page_size` (v1/core/kv_cache_utils.py:894-1001),
    step by step: layers of one spec in one group when all alike; else, per type, groups
    of `min(layers per type)` layers taken as `layers[i::n_groups]`."""
    by_type: dict = {}
    for index, (_, window) in enumerate(layers):
        by_type.setdefault(window, []).append(index)
    if len(by_type) == 1:
        return [(window, list(members)) for window, members in by_type.items()]
    size = min(len(m) for m in by_type.values())
    groups = []
    for window, members in by_type.items():
        count = math.ceil(len(members) / size)
        groups += [(window, members[i::count]) for i in range(count)]
    return groups


def engine_sequence(layers, length, batched):
    """(blocks one request needs, bytes one block id costs) as the engine computes them:
    `max_memory_usage_bytes` of each group's spec (v1/kv_cache_interface.py:83-91,196-214)
    over the shared block pool of `get_kv_cache_config_from_groups` (:1004-1093)."""
    groups = engine_groups(layers)
    blocks = 0
    for window, _ in groups:
        if window is None:
            blocks += -(-length // BLOCK_TOKENS)
        else:
            blocks += -(-min(window - 1 + batched, length) // BLOCK_TOKENS) + 1
    if len(groups) == 1:
        cost = sum(layers[i][0] for i in groups[0][1]) * BLOCK_TOKENS
    else:
        tensors = max(len(members) for _, members in groups)
        cost = tensors * max(per_token for per_token, _ in layers) * BLOCK_TOKENS
    return blocks, cost


layer_mix = st.lists(
    st.sampled_from([None, None, 128, 512, 1024, 4096]), min_size=1, max_size=64
).map(lambda windows: tuple((4096, w) for w in windows))


@given(layers=layer_mix, length=st.integers(1, 262_144), batched=st.sampled_from([2048, 8192]))
def test_the_layout_matches_the_engines_grouping_layer_by_layer(layers, length, batched):
    layout = KvLayout(layers, batched)
    if len({w for _, w in layers}) > 2:
        return  # the engine's hybrid manager supports one sliding window size beside full
    blocks, cost = engine_sequence(layers, length, batched)
    assert layout.blocks_per_sequence(length) == blocks
    assert layout.block_bytes == cost
    assert layout.sequence_bytes(length) == blocks * cost


def test_gpt_oss_120b_keeps_a_window_and_one_step_on_its_sliding_layers():
    """18 full and 18 sliding layers of 8 KV heads × 64, bf16: one block id is 18 pages of
    32768 bytes; a 131072-token request takes 8192 full blocks and 521 sliding ones
    (cdiv(127 + 8192, 16) + 1): 5.14 GB, where all-full layers would need 9.66 GB."""
    arch = load_model("openai/gpt-oss-120b")
    layout = kv_layout(arch, arch.layer_shapes, 1, Dtype.BFLOAT16, 8192)
    assert layout.block_bytes == 18 * 32768
    assert layout.blocks_per_sequence(131_072) == 8192 + 521
    assert layout.sequence_bytes(131_072) == 8713 * 32768 * 18
    full = KvLayout(tuple((b, None) for b, _ in layout.layers), 8192)
    assert full.sequence_bytes(131_072) == 36 * 8192 * 32768


def test_gemma_3_27b_groups_ten_global_layers_with_six_groups_of_local_ones():
    """10 global and 52 local layers: groups of 10, one global group and six local ones
    (the last padded); 8192 + 6 × 577 blocks of 10 × 131072 bytes for a full context."""
    arch = load_model("google/gemma-3-27b-it")
    layout = kv_layout(arch, arch.layer_shapes, 1, Dtype.BFLOAT16, 8192)
    assert layout.groups == 7
    assert layout.blocks_per_sequence(131_072) == 8192 + 6 * 577
    assert layout.block_bytes == 10 * 131_072


def test_the_step_size_follows_the_engines_defaults_by_gpu():
    # engine/arg_utils.py:1600-1622: 8192 on 70 GiB or more except A100, else 2048
    assert default_batched_tokens(79.6, "h100") == 8192
    assert default_batched_tokens(79.2, "a100_80gb") == 2048
    assert default_batched_tokens(22.5, "l4") == 2048


def test_sliding_windows_let_a_long_context_fit_where_full_attention_would_not():
    arch = load_model("google/gemma-3-27b-it")
    result = fit(arch, gpu_memory_gib=79.6, gpus=1, gpu="h100", max_model_len=131_072)
    assert result.fits
    # every layer at full length would hold far fewer sequences
    full = KvLayout(tuple((b, None) for b, _ in result.kv_layout.layers), 8192)
    assert full.sequences(result.kv_pool_bytes_per_gpu, 131_072) < result.max_concurrent_sequences


def test_mla_keeps_one_latent_per_token_on_every_gpu():
    from components.sizing.layers import KvShape

    latent = KvShape(KvKind.MLA, 1, 512 + 64)
    assert latent.elements_per_token(1) == latent.elements_per_token(8) == 576
    gqa = KvShape(KvKind.GQA, 8, 128)
    assert gqa.elements_per_token(8) == 2 * 128 and gqa.elements_per_token(16) == 2 * 128


def test_llama_4_keeps_the_whole_context_on_its_chunked_layers():
    """Chunked local attention turns vLLM 0.11.0's hybrid KV cache manager off (config/
    __init__.py:498-529), and every layer is then allocated at full length: 48 layers ×
    2 × 8 KV heads × 128 × 2 bytes = 196,608 bytes per token on one GPU."""
    arch = load_model("meta-llama/Llama-4-Scout-17B-16E-Instruct")
    assert sum(1 for layer in arch.layer_shapes if layer.kv.window == 8192) == 36
    layout = kv_layout(arch, arch.layer_shapes, 1, Dtype.BFLOAT16, 8192)
    assert {window for _, window in layout.layers} == {None}
    assert sum(b for b, _ in layout.layers) == 196_608


def test_deepseek_v3_keeps_a_latent_per_layer_on_every_gpu():
    """61 layers × (512 + 64) × 2 bytes = 70,272 bytes per token on each of 8 GPUs
    (vllm config/model.py:1179-1183: one KV head, not split over tensor parallel)."""
    arch = load_model("deepseek-ai/DeepSeek-V3")
    layout = kv_layout(arch, arch.layer_shapes, 8, Dtype.BFLOAT16, 8192)
    assert sum(b for b, _ in layout.layers) == 70_272
