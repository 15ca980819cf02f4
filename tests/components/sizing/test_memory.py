import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.enums import Dtype, Quantization
from components.sizing.architecture import from_hf_config
from components.sizing.kv_layout import BLOCK_TOKENS
from components.sizing.library import known_models, load_model
from components.sizing.memory import (
    GIB,
    WIDEST_BYTES_PER_PARAMETER,
    fit,
    kv_bytes_per_token,
    weight_bytes,
)
from components.sizing.parameters import count_parameters

LLAMA_8B = load_model("Llama-3.1-8B-Instruct")
LLAMA_70B = load_model("Llama-3.1-70B-Instruct")


def test_kv_cache_per_token_is_k_and_v_for_every_layer_and_kv_head():
    assert kv_bytes_per_token(LLAMA_8B) == 2 * 32 * 8 * 128 * 2 == 131_072
    assert kv_bytes_per_token(LLAMA_70B) == 2 * 80 * 8 * 128 * 2


def test_bf16_weights_are_two_bytes_per_parameter():
    assert weight_bytes(LLAMA_8B, Dtype.BFLOAT16, None) == 2 * 8_030_261_248


def test_quantization_shrinks_only_the_projections():
    params = count_parameters(LLAMA_70B)
    awq = weight_bytes(LLAMA_70B, Dtype.BFLOAT16, Quantization.AWQ)
    fp8 = weight_bytes(LLAMA_70B, Dtype.BFLOAT16, Quantization.FP8)
    unquantized = (params.total - params.linear) * 2
    assert unquantized + params.linear / 2 < awq < unquantized + params.linear * 0.53
    assert unquantized + params.linear < fp8 < unquantized + params.linear * 1.01


def test_a_70b_model_in_bf16_does_not_fit_one_a10g():
    result = fit(LLAMA_70B, gpu_memory_gib=22.49, gpus=1, max_model_len=8192)
    assert not result.fits
    assert result.problems == ("the weights and runtime reserve alone exceed the memory budget",)
    assert result.needed_bytes_per_gpu / GIB > 130


def test_a_context_whose_kv_cache_does_not_fit_is_named():
    result = fit(LLAMA_8B, gpu_memory_gib=22.49, gpus=1, max_model_len=65536)
    assert not result.fits
    assert "less than one 65536-token sequence" in result.problems[0]


def test_llama_8b_on_one_24gb_gpu_fits_whole_sequences():
    result = fit(LLAMA_8B, gpu_memory_gib=22.49, gpus=1, max_model_len=8192)
    assert result.fits
    assert result.max_concurrent_sequences == result.kv_cache_tokens // 8192 >= 1


@pytest.mark.xfail(
    strict=True,
    reason="the sizing model leaves 3.47 GiB of KV cache here, just under the 3.5 GiB the "
    "reference reports: its reserve (1 GiB + one 8,192-token step of activations + logits, "
    "1.81 GiB in all) is about 0.03 GiB larger than vLLM's profile; fix the reserve in "
    "components/sizing/memory.py, then drop this mark",
)
def test_llama_8b_on_one_24gb_gpu_matches_what_vllm_reports():
    # vLLM 0.6+ on an A10G/L4 at 0.90 reports about 3.5 to 4.5 GiB of KV cache for this model.
    result = fit(LLAMA_8B, gpu_memory_gib=22.49, gpus=1, max_model_len=8192)
    assert 3.5 <= result.kv_pool_bytes_per_gpu / GIB <= 4.5


def test_heads_that_do_not_split_over_the_gpus_are_a_problem():
    result = fit(load_model("Qwen2.5-7B-Instruct"), gpu_memory_gib=80, gpus=8, max_model_len=4096)
    assert "28 attention heads do not split over 8 GPUs" in result.problems


def test_a_length_beyond_the_models_positions_is_a_problem():
    result = fit(
        load_model("Phi-3-mini-4k-instruct"), gpu_memory_gib=80, gpus=1, max_model_len=8192
    )
    assert "exceeds the model's 4096 positions" in result.problems[0]


def test_kv_pool_is_counted_in_whole_blocks():
    result = fit(LLAMA_8B, gpu_memory_gib=80, gpus=1, max_model_len=8192)
    assert result.kv_cache_tokens % BLOCK_TOKENS == 0
    assert (
        result.kv_cache_tokens * result.kv_bytes_per_token_per_gpu <= result.kv_pool_bytes_per_gpu
    )


architectures = st.builds(
    lambda family, layers, heads, kv_divisor, head_dim, hidden_mult, inter, vocab, tied, experts: (
        from_hf_config(
            {
                "model_type": family,
                "num_hidden_layers": layers,
                "num_attention_heads": heads,
                "num_key_value_heads": max(1, heads // kv_divisor),
                "head_dim": head_dim,
                "hidden_size": head_dim * hidden_mult,
                "intermediate_size": inter,
                "vocab_size": vocab,
                "tie_word_embeddings": tied,
                "num_local_experts": experts if family == "mixtral" else 0,
                "max_position_embeddings": 32768,
            },
            "generated",
        )
    ),
    family=st.sampled_from(["llama", "mistral", "mixtral", "qwen2", "qwen3", "gemma2", "phi3"]),
    layers=st.integers(1, 96),
    heads=st.sampled_from([8, 16, 32, 64]),
    kv_divisor=st.sampled_from([1, 2, 4, 8]),
    head_dim=st.sampled_from([64, 128, 256]),
    hidden_mult=st.integers(4, 64),
    inter=st.integers(256, 60000),
    vocab=st.integers(1000, 260000),
    tied=st.booleans(),
    experts=st.integers(2, 16),
)


@given(
    arch=architectures,
    dtype=st.sampled_from(list(Dtype)),
    quant=st.sampled_from([None, *Quantization]),
)
def test_weights_never_exceed_parameters_times_the_widest_dtype(arch, dtype, quant):
    assert (
        weight_bytes(arch, dtype, quant)
        <= count_parameters(arch).total * WIDEST_BYTES_PER_PARAMETER
    )


@settings(max_examples=200)
@given(
    model=st.sampled_from(known_models()),
    memory=st.sampled_from([22.49, 40.0, 80.0, 93.58]),
    utilization=st.floats(0.5, 0.98),
    length=st.integers(512, 8192),
    fewer=st.sampled_from([1, 2, 4]),
    factor=st.sampled_from([2, 4]),
)
def test_more_gpus_never_give_less_kv_pool(model, memory, utilization, length, fewer, factor):
    arch = load_model(model)
    more = fewer * factor
    small = fit(
        arch,
        gpu_memory_gib=memory,
        gpus=fewer,
        max_model_len=length,
        gpu_memory_utilization=utilization,
    )
    large = fit(
        arch,
        gpu_memory_gib=memory,
        gpus=more,
        max_model_len=length,
        gpu_memory_utilization=utilization,
    )
    assert large.kv_pool_bytes_per_gpu * more >= small.kv_pool_bytes_per_gpu * fewer
    assert large.kv_cache_tokens >= small.kv_cache_tokens
    assert large.max_concurrent_sequences >= small.max_concurrent_sequences


@given(model=st.sampled_from(known_models()), length=st.integers(128, 32768))
def test_a_longer_context_never_holds_more_sequences(model, length):
    arch = load_model(model)
    short = fit(arch, gpu_memory_gib=80, gpus=8, max_model_len=length)
    long = fit(arch, gpu_memory_gib=80, gpus=8, max_model_len=length + 1024)
    assert long.max_concurrent_sequences <= short.max_concurrent_sequences
    assert math.isclose(long.kv_pool_bytes_per_gpu, short.kv_pool_bytes_per_gpu)


# On 80 GiB GPUs at 0.90 the budget is 72 GiB per GPU. bf16 weights are 2 bytes a
# parameter, split over the tensor-parallel GPUs; the reserve (1 GiB runtime, one
# 8,192-token prefill step's activations, fp32 logits) is 1.1 to 2.7 GiB for these models
# and one 4,096-token sequence's KV cache at most 3.1 GiB (Llama 2 13B, 800 KiB a token on
# one GPU). A replica fits where weights / GPUs + reserve + one sequence stay within the
# 72 GiB and the attention heads divide by the GPU count; the margins below are wide except
# for Qwen2.5 72B on two GPUs (67.7 + 2.0 + 0.6 GiB).
ALL_COUNTS = {1, 2, 4, 8}
FITS_ON_80GIB: dict[str, set[int]] = {
    "meta-llama/Llama-3.2-1B-Instruct": ALL_COUNTS,  # 1.2B params: 2.3 GiB of weights
    "meta-llama/Llama-3.2-3B-Instruct": ALL_COUNTS,  # 3.2B: 6 GiB; 24 heads split over 8
    "google/gemma-2-2b-it": ALL_COUNTS,  # 2.6B: 4.9 GiB
    "microsoft/Phi-3-mini-4k-instruct": ALL_COUNTS,  # 3.8B: 7.1 GiB
    "meta-llama/Llama-2-7b-hf": ALL_COUNTS,  # 6.7B: 12.6 GiB
    "mistralai/Mistral-7B-Instruct-v0.3": ALL_COUNTS,  # 7.2B: 13.5 GiB
    "meta-llama/Llama-3.1-8B-Instruct": ALL_COUNTS,  # 8.0B: 15 GiB
    "meta-llama/Meta-Llama-3-8B-Instruct": ALL_COUNTS,  # 8.0B: 15 GiB
    "Qwen/Qwen3-8B": ALL_COUNTS,  # 8.2B: 15.3 GiB
    "google/gemma-2-9b-it": ALL_COUNTS,  # 9.2B: 17.2 GiB
    "meta-llama/Llama-2-13b-hf": ALL_COUNTS,  # 13B: 24.3 GiB
    "microsoft/Phi-3-medium-4k-instruct": ALL_COUNTS,  # 14B: 26 GiB; 40 heads split over 8
    "Qwen/Qwen2.5-14B-Instruct": ALL_COUNTS,  # 14.8B: 27.5 GiB
    "google/gemma-2-27b-it": ALL_COUNTS,  # 27.2B: 50.7 GiB on one GPU
    "Qwen/Qwen2.5-32B-Instruct": ALL_COUNTS,  # 32.8B: 61 GiB on one GPU, under 72 - reserve
    "Qwen/Qwen2.5-7B-Instruct": {1, 2, 4},  # 7.6B: 14.2 GiB, but 28 heads do not split over 8
    "mistralai/Mixtral-8x7B-Instruct-v0.1": {2, 4, 8},  # 46.7B: 87 GiB, 43.5 on two
    "meta-llama/Llama-2-70b-hf": {2, 4, 8},  # 69B: 128.5 GiB, 64 on two
    "meta-llama/Llama-3.1-70B-Instruct": {2, 4, 8},  # 70.6B: 131.4 GiB, 65.7 on two
    "meta-llama/Llama-3.3-70B-Instruct": {2, 4, 8},  # same architecture as 3.1 70B
    "Qwen/Qwen2.5-72B-Instruct": {2, 4, 8},  # 72.7B: 135.4 GiB, 67.7 on two: just fits
    "mistralai/Mixtral-8x22B-v0.1": {4, 8},  # 140.6B: 262 GiB, 131 on two, 65.5 on four
    "meta-llama/Llama-3.1-405B-Instruct": set(),  # 405.9B: 756 GiB, 94.5 even on eight
    "google/gemma-3-1b-it": {1, 2, 4},  # 1B: 1.9 GiB, but 4 heads do not split over 8
    "google/gemma-3-4b-it": ALL_COUNTS,  # 4.3B with its vision tower: 8 GiB
    "google/gemma-3-12b-it": ALL_COUNTS,  # 12.2B: 22.7 GiB
    "google/gemma-3-27b-it": ALL_COUNTS,  # 27.4B: 51.1 GiB on one GPU
    "openai/gpt-oss-20b": ALL_COUNTS,  # 20.9B, experts in MXFP4: 13.7 GiB
    "openai/gpt-oss-120b": ALL_COUNTS,  # 116.8B, experts in MXFP4: 65.9 GiB on one GPU
    "deepseek-ai/DeepSeek-V2-Lite-Chat": ALL_COUNTS,  # 15.7B in bf16: 29.3 GiB
    "deepseek-ai/DeepSeek-V3": set(),  # 671B in fp8: 627 GiB, 78.4 on eight (budget 72)
    "deepseek-ai/DeepSeek-R1": set(),  # V3's shape
    "mistralai/Mistral-Small-24B-Instruct-2501": ALL_COUNTS,  # 23.6B: 43.9 GiB
    "mistralai/Mistral-Small-3.1-24B-Instruct-2503": ALL_COUNTS,  # 24B with Pixtral: 44.7
    "microsoft/phi-4": ALL_COUNTS,  # 14.7B: 27.3 GiB; 40 heads split over 8
    "microsoft/Phi-4-mini-instruct": ALL_COUNTS,  # 3.8B: 7.1 GiB
    "Qwen/Qwen3-30B-A3B": ALL_COUNTS,  # 30.5B: 56.9 GiB on one GPU
    "Qwen/Qwen3-235B-A22B": {8},  # 235B: 438 GiB, 54.7 on eight
    "meta-llama/Llama-4-Scout-17B-16E-Instruct": {4, 8},  # 108.6B: 202 GiB, 50.6 on four
    "meta-llama/Llama-4-Maverick-17B-128E-Instruct": set(),  # 401.6B: 748 GiB, 93.5 on eight
}
HEADS_DO_NOT_SPLIT = {
    ("Qwen/Qwen2.5-7B-Instruct", 8): "28 attention heads do not split over 8 GPUs",
    ("google/gemma-3-1b-it", 8): "4 attention heads do not split over 8 GPUs",
}
TOO_BIG = "the weights and runtime reserve alone exceed the memory budget"


def test_every_library_model_has_an_expectation():
    assert set(FITS_ON_80GIB) == set(known_models())


@pytest.mark.parametrize("model", sorted(FITS_ON_80GIB))
@pytest.mark.parametrize("gpus", sorted(ALL_COUNTS))
def test_which_library_models_fit_80gib_gpus_and_why_not(model, gpus):
    result = fit(load_model(model), gpu_memory_gib=80, gpus=gpus, max_model_len=4096)
    if gpus in FITS_ON_80GIB[model]:
        assert result.fits, result.problems
        assert result.max_concurrent_sequences >= 1
    else:
        assert not result.fits
        assert result.problems == (HEADS_DO_NOT_SPLIT.get((model, gpus), TOO_BIG),)
        assert result.max_concurrent_sequences == 0 or (model, gpus) in HEADS_DO_NOT_SPLIT
