"""Decode throughput of one replica, from memory bandwidth (decode is bandwidth bound).

Each decode step reads every weight once and each running sequence's KV cache:

    bytes per step per GPU = weights per GPU + batch × context × KV bytes per token per GPU
    step time              = bytes per step per GPU / (bandwidth × EFFICIENCY)
    output tokens / second = batch / step time

with batch = min(MAX_BATCH, sequences of `context` tokens that fit in the KV pool) and
context = min(max_model_len, AVERAGE_CONTEXT). EFFICIENCY is the share of the datasheet
bandwidth kernels reach in practice. Mixture-of-experts models are charged for all
expert weights (at these batch sizes nearly every expert is touched each step). Prefill
is not modelled: the estimate is for output tokens in steady decode.

Across pipeline stages vLLM keeps one batch per stage in flight, so the running sequences
are split between them and each step of the tightest stage advances one batch. With a
`StageHop` (the network between the stages' nodes), each such step also hands that batch's
hidden states and residual to the next stage (vllm/v1/worker/gpu_worker.py:436-459 in the
vllm-0.11.0 wheel, NCCL send/recv of the IntermediateTensors):

    hop bytes       = batch in flight × hand-over bytes per token (2 × hidden × 2 bytes)
    hop time        = HOP_LATENCY_S + hop bytes / min(network, SINGLE_FLOW_GBPS)
    tokens / second = batch in flight / (step time + hop time)

The stages talk NCCL over TCP sockets, not over a GPU fabric (infra/reports/size.py says
why), and AWS caps one TCP flow at 10 Gbps between instances of a cluster placement group,
where a multi-node pool's nodes sit (5 Gbps outside one; EC2 user guide,
"ec2-instance-network-bandwidth"); no per-flow figure was found for GCP or Azure, so the
same one is taken for them. Charging the hop as one flow is an upper bound: vLLM 0.11.0 has each
tensor-parallel rank send its slice of the tensors to its peer in the next stage
(send-allgather, vllm/distributed/parallel_state.py:654-727), several flows at once.
HOP_LATENCY_S is an assumption with no published source: no cloud publishes a TCP latency
between its instances. Without a hop, or with one stage, nothing is charged for it.
"""

from dataclasses import dataclass

from components.sizing.memory import Fit

EFFICIENCY = 0.6
MAX_BATCH = 64
AVERAGE_CONTEXT = 2048
SINGLE_FLOW_GBPS = 10.0
"""One TCP flow between instances of an AWS cluster placement group (EC2 user guide,
"ec2-instance-network-bandwidth"), taken as the hand-over's bandwidth on every cloud."""
HOP_LATENCY_S = 100e-6
"""Per hand-over latency over TCP: an ASSUMPTION (100 µs), not a published figure."""


@dataclass(frozen=True)
class StageHop:
    """The network a pipeline stage hands its batch's hidden states over to the next."""

    network_gbps: float
    """The nodes' IP network (the catalog's `network_gbps`), Gbps."""
    latency_s: float = HOP_LATENCY_S

    def __post_init__(self) -> None:
        if self.network_gbps <= 0 or self.latency_s < 0:
            raise ValueError(f"not a network: {self}")

    @property
    def flow_gbps(self) -> float:
        """What one hand-over gets: the network, or one TCP flow's cap when lower."""
        return min(self.network_gbps, SINGLE_FLOW_GBPS)

    def seconds(self, handover_bytes: int) -> float:
        return self.latency_s + handover_bytes * 8 / (self.flow_gbps * 1e9)


@dataclass(frozen=True)
class Throughput:
    batch: int
    context_tokens: int
    output_tokens_per_second: float
    step_seconds: float = 0.0
    """One step of a stage reading its weights and KV cache (0 when nothing runs)."""
    hop_seconds: float = 0.0
    """The hand-over to the next stage that each step also waits for (0 within a node)."""

    @property
    def hop_share(self) -> float:
        """The hand-over's share of each decode step, 0..1."""
        total = self.step_seconds + self.hop_seconds
        return self.hop_seconds / total if total > 0 else 0.0


def decode_throughput(fit: Fit, bandwidth_gbps: float, hop: StageHop | None = None) -> Throughput:
    context = min(fit.max_model_len, AVERAGE_CONTEXT)
    fitting = fit.sequences_at(context)
    batch = max(0, min(MAX_BATCH, fitting))
    if batch == 0:
        return Throughput(batch=0, context_tokens=context, output_tokens_per_second=0.0)
    # across stages the running sequences are split into one batch in flight per stage,
    # and a stage's step advances one of them
    in_flight = max(1, batch // fit.pipeline_parallel)
    step_bytes = fit.weights_bytes_per_gpu + in_flight * fit.kv_read_bytes(context)
    step_seconds = step_bytes / (bandwidth_gbps * 1e9 * EFFICIENCY)
    hop_seconds = (
        hop.seconds(in_flight * fit.handover_bytes_per_token)
        if hop is not None and fit.pipeline_parallel > 1
        else 0.0
    )
    return Throughput(
        batch=batch,
        context_tokens=context,
        output_tokens_per_second=in_flight / (step_seconds + hop_seconds),
        step_seconds=step_seconds,
        hop_seconds=hop_seconds,
    )


def usd_per_million_tokens(usd_per_hour: float, throughput: Throughput) -> float | None:
    if throughput.output_tokens_per_second <= 0:
        return None
    return usd_per_hour / (throughput.output_tokens_per_second * 3600) * 1_000_000
