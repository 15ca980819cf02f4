"""Decode throughput of one replica, from memory bandwidth (decode is bandwidth bound).

Each decode step reads every weight once and each running sequence's KV cache:

    bytes per step per GPU = weights per GPU + batch × context × KV bytes per token per GPU
    step time              = bytes per step per GPU / (bandwidth × EFFICIENCY)
    output tokens / second = batch / step time

with batch = min(MAX_BATCH, sequences of `context` tokens that fit in the KV pool) and
context = min(max_model_len, AVERAGE_CONTEXT). EFFICIENCY is the share of the datasheet
bandwidth kernels reach in practice. Mixture-of-experts models are charged for all
expert weights (at these batch sizes nearly every expert is touched each step). Prefill
is not modelled: the estimate is for output tokens in steady decode. Across pipeline stages
vLLM keeps one batch per stage in flight, so the running sequences are split between them
and each step of the tightest stage advances one batch; the hand-over between nodes is not
charged yet (the interconnect is not in the catalog).
"""

from dataclasses import dataclass

from components.sizing.memory import BLOCK_TOKENS, Fit

EFFICIENCY = 0.6
MAX_BATCH = 64
AVERAGE_CONTEXT = 2048


@dataclass(frozen=True)
class Throughput:
    batch: int
    context_tokens: int
    output_tokens_per_second: float


def decode_throughput(fit: Fit, bandwidth_gbps: float) -> Throughput:
    context = min(fit.max_model_len, AVERAGE_CONTEXT)
    blocks_per_sequence = -(-context // BLOCK_TOKENS)
    fitting = fit.kv_cache_tokens // (blocks_per_sequence * BLOCK_TOKENS)
    batch = max(0, min(MAX_BATCH, fitting))
    if batch == 0:
        return Throughput(batch=0, context_tokens=context, output_tokens_per_second=0.0)
    # across stages the running sequences are split into one batch in flight per stage,
    # and a stage's step advances one of them
    in_flight = max(1, batch // fit.pipeline_parallel)
    step_bytes = fit.weights_bytes_per_gpu + in_flight * context * fit.kv_bytes_per_token_per_gpu
    step_seconds = step_bytes / (bandwidth_gbps * 1e9 * EFFICIENCY)
    return Throughput(
        batch=batch, context_tokens=context, output_tokens_per_second=in_flight / step_seconds
    )


def usd_per_million_tokens(usd_per_hour: float, throughput: Throughput) -> float | None:
    if throughput.output_tokens_per_second <= 0:
        return None
    return usd_per_hour / (throughput.output_tokens_per_second * 3600) * 1_000_000
