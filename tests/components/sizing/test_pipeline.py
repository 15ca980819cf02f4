"""Pipeline parallelism across nodes: the layer split is vLLM 0.11.0's, each stage is sized
on its own, and the tightest stage decides the KV cache."""

import dataclasses
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.catalog import catalog
from components.catalog.pricing import price_catalog
from components.enums import Cloud, Dtype, GpuType
from components.sizing.kv_layout import BLOCK_TOKENS
from components.sizing.library import find_model
from components.sizing.memory import (
    GIB,
    PREFILL_TOKENS,
    fit,
    reserve_bytes,
    weight_bytes,
)
from components.sizing.pipeline import stage_layers
from components.sizing.recommend import recommend

LLAMA_405B = "meta-llama/Llama-3.1-405B-Instruct"


def test_the_split_is_vllms():
    # vllm/distributed/utils.py:89-129 (0.11.0): the remainder goes to the stages before
    # the last, from the second-to-last backwards
    assert stage_layers(126, 2) == [63, 63]
    assert stage_layers(61, 4) == [15, 15, 16, 15]
    assert stage_layers(80, 3) == [27, 27, 26]
    with pytest.raises(ValueError):
        stage_layers(4, 5)


@given(layers=st.integers(1, 200), stages=st.integers(1, 16))
def test_every_layer_lands_on_one_stage_and_the_last_is_never_heavier(layers, stages):
    if stages > layers:
        return
    split = stage_layers(layers, stages)
    assert sum(split) == layers and len(split) == stages
    assert max(split) - min(split) <= 1
    assert split[-1] == min(split)


def brute_force_kv_tokens(arch, *, memory_gib, gpus, stages, length):
    """Each stage counted from scratch: its own layers' weights (bf16), the embedding on the
    first, the LM head and logits on the last, the hand-over buffers on every later one;
    vLLM keeps the smallest block count of all stages."""
    budget = int(memory_gib * GIB * 0.9)
    embedding = arch.vocab_size * arch.hidden_size * 2
    head = 0 if arch.tie_word_embeddings else embedding
    per_layer = weight_bytes(arch, Dtype.BFLOAT16, None) - embedding - head - arch.hidden_size * 2
    per_layer /= arch.num_layers
    blocks = []
    for index, layers in enumerate(stage_layers(arch.num_layers, stages)):
        first, last = index == 0, index == stages - 1
        weights = math.ceil(layers * per_layer) + (embedding if first else 0)
        weights += embedding + arch.hidden_size * 2 if last else 0
        reserve = reserve_bytes(arch, gpus, logits=last, receives=not first)
        pool = budget - math.ceil(weights / gpus) - reserve
        per_token = 2 * layers * max(1, arch.num_kv_heads // gpus) * arch.head_dim * 2
        blocks.append(max(pool, 0) // (BLOCK_TOKENS * per_token))
    return min(blocks) * BLOCK_TOKENS


@given(stages=st.integers(2, 6), gpus=st.sampled_from([4, 8]))
def test_the_kv_cache_is_the_tightest_stages(stages, gpus):
    arch = find_model(LLAMA_405B)
    assert arch is not None
    result = fit(arch, gpu_memory_gib=80, gpus=gpus, max_model_len=32768, pipeline=stages)
    expected = brute_force_kv_tokens(arch, memory_gib=80, gpus=gpus, stages=stages, length=32768)
    assert result.kv_cache_tokens == expected
    assert result.pipeline_parallel == stages and result.total_gpus == gpus * stages


def test_later_stages_hold_the_hand_over_buffers():
    arch = find_model(LLAMA_405B)
    assert arch is not None
    handover = reserve_bytes(arch, 8, logits=False, receives=True) - reserve_bytes(
        arch, 8, logits=False
    )
    assert handover == 2 * PREFILL_TOKENS * arch.hidden_size * 2


def test_405b_in_bf16_needs_two_h100_nodes_and_fits_them():
    arch = find_model(LLAMA_405B)
    assert arch is not None
    one_node = fit(arch, gpu_memory_gib=80, gpus=8)
    assert not one_node.fits  # 756 GiB of weights on 8 × 80 GiB

    def on_h100(max_nodes):
        return recommend(
            arch,
            catalog=catalog(),
            prices=price_catalog(),
            cloud=Cloud.AWS,
            max_model_len=arch.max_position_embeddings,
            allowed_gpus={GpuType.H100},
            max_nodes=max_nodes,
        )

    best = on_h100(4)
    assert best is not None
    assert (best.nodes, best.gpus, best.instance.name) == (2, 8, "p5.48xlarge")
    assert best.fit.fits and best.fit.max_concurrent_sequences >= 4
    # within one node, nothing on H100 holds it
    assert on_h100(1) is None


@pytest.mark.parametrize(
    "model",
    [
        "meta-llama/Llama-3.1-8B-Instruct",
        "meta-llama/Llama-3.1-70B-Instruct",
        "google/gemma-2-27b-it",
    ],
)
def test_a_model_a_node_holds_is_never_spread_over_nodes(model):
    arch = find_model(model)
    assert arch is not None
    for cloud in Cloud:
        best = recommend(
            arch,
            catalog=catalog(),
            prices=price_catalog(),
            cloud=cloud,
            max_model_len=8192,
            max_nodes=4,
        )
        assert best is not None and best.nodes == 1, (cloud, best)


def test_gemma2_and_mixtral_hold_their_embedding_on_every_stage():
    # vLLM 0.11.0 builds Gemma 2's embedding (gemma2.py:251-254) and Mixtral's embedding,
    # norm and LM head (mixtral.py:301-322,500-512) on every pipeline stage
    for model in ("google/gemma-2-27b-it", "mistralai/Mixtral-8x22B-v0.1"):
        arch = find_model(model)
        assert arch is not None
        llama_like = dataclasses.replace(arch, family="llama")
        spread = fit(arch, gpu_memory_gib=80, gpus=8, max_model_len=8192, pipeline=4)
        counted_once = fit(llama_like, gpu_memory_gib=80, gpus=8, max_model_len=8192, pipeline=4)
        assert spread.weights_bytes_per_gpu > counted_once.weights_bytes_per_gpu
