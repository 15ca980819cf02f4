"""The decode estimate charges the pipeline stages' hand-over on the nodes' TCP network."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.sizing.library import load_model
from components.sizing.memory import fit
from components.sizing.throughput import (
    HOP_LATENCY_S,
    SINGLE_FLOW_GBPS,
    StageHop,
    decode_throughput,
)

LLAMA_405B = "Llama-3.1-405B-Instruct"
H100_GIB, H100_GBPS = 79.65, 3350


def llama_405b(stages, length=131072):
    return fit(
        load_model(LLAMA_405B),
        gpu_memory_gib=H100_GIB,
        gpus=8,
        max_model_len=length,
        pipeline=stages,
    )


def test_the_hop_costs_nothing_within_one_node():
    result = fit(load_model("Llama-3.1-70B-Instruct"), gpu_memory_gib=80, gpus=8)
    alone = decode_throughput(result, H100_GBPS)
    hopped = decode_throughput(result, H100_GBPS, StageHop(network_gbps=0.5))
    assert hopped == alone
    assert hopped.hop_seconds == 0 and hopped.hop_share == 0


def test_without_a_hop_the_stages_hand_over_for_free():
    speed = decode_throughput(llama_405b(2), H100_GBPS)
    assert speed.hop_seconds == 0 and speed.hop_share == 0
    assert speed.output_tokens_per_second == pytest.approx(speed.batch // 2 / speed.step_seconds)


def test_the_hop_bytes_of_llama_405b_by_hand():
    result = llama_405b(2)
    # hidden states and residual (vLLM's IntermediateTensors), 16384 bf16 values each
    assert result.handover_bytes_per_token == 2 * 16384 * 2 == 65_536
    hop = StageHop(network_gbps=100)  # p5.48xlarge's network card 0
    speed = decode_throughput(result, H100_GBPS, hop)
    assert speed.batch == 64  # the batch cap; two stages keep 32 sequences each in flight
    # 32 × 64 KiB = 2 MiB over one 10 Gbps TCP flow, plus the assumed 100 µs
    assert hop.flow_gbps == SINGLE_FLOW_GBPS == 10
    assert speed.hop_seconds == pytest.approx(HOP_LATENCY_S + 32 * 65_536 * 8 / 10e9)
    assert speed.hop_seconds == pytest.approx(0.0017777216)
    assert speed.output_tokens_per_second == pytest.approx(
        32 / (speed.step_seconds + speed.hop_seconds)
    )
    assert speed.hop_share == pytest.approx(
        speed.hop_seconds / (speed.step_seconds + speed.hop_seconds)
    )


@given(
    stages=st.integers(2, 6),
    length=st.sampled_from([4096, 32768, 131072]),
    slower=st.floats(0.1, 3200),
    faster=st.floats(0.1, 3200),
    latency=st.floats(0, 1e-3),
)
def test_the_hop_never_helps_and_weighs_more_on_a_slower_network(
    stages, length, slower, faster, latency
):
    slower, faster = sorted((slower, faster))
    result = llama_405b(stages, length)
    free = decode_throughput(result, H100_GBPS)
    slow = decode_throughput(result, H100_GBPS, StageHop(slower, latency))
    fast = decode_throughput(result, H100_GBPS, StageHop(faster, latency))
    for speed in (slow, fast):
        assert speed.output_tokens_per_second <= free.output_tokens_per_second
        assert 0 <= speed.hop_share < 1
    assert slow.hop_share >= fast.hop_share
    assert slow.output_tokens_per_second <= fast.output_tokens_per_second
    # strictly, below one flow's cap (above it the network is moot)
    if slower * 1.001 < faster <= SINGLE_FLOW_GBPS:
        assert slow.hop_share > fast.hop_share


@pytest.mark.parametrize(("network", "latency"), [(0, HOP_LATENCY_S), (10, -1e-6)])
def test_a_hop_needs_a_network(network, latency):
    with pytest.raises(ValueError):
        StageHop(network_gbps=network, latency_s=latency)
