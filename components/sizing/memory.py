"""GPU memory for serving a model with vLLM-style paged attention.

For one replica on `gpus` GPUs with tensor parallelism:

    budget per GPU   = GPU memory × gpu_memory_utilization
    weights per GPU  = weight bytes / gpus             (projections and vocab are sharded)
    reserve per GPU  = RUNTIME_RESERVE (CUDA context, cuBLAS workspaces, CUDA graphs)
                       + activations of one scheduler step at PREFILL_TOKENS tokens:
                         tokens × (4 × hidden + 2 × intermediate / gpus) × 2 bytes
                       + fp32 logits for MAX_SEQS_PER_STEP sequences: seqs × vocab / gpus × 4
    LoRA per GPU     = with adapters, the slots vLLM allocates at load (sizing/lora.py)
    KV pool per GPU  = budget − weights − reserve − LoRA
    KV per token/GPU = Σ over layers: 2 (K and V) × max(1, kv_heads / gpus) × head_dim, or
                       for latent attention (MLA) the latent and rope key, × dtype bytes
    sequences        = KV pool ÷ the bytes of a block ÷ the blocks of a full-length
                       sequence, as vLLM groups full and sliding-window layers
                       (components/sizing/kv_layout.py)

Across nodes (pipeline parallel, components/sizing/pipeline.py), each stage is sized the
same way with its own layers (the first adds the embedding, the last the LM head and the
logits, every later one the hand-over buffers of 2 × PREFILL_TOKENS × hidden × 2 bytes),
and the stage with the fewest KV blocks decides.

Weight bytes: 2 per parameter in bf16/fp16. fp8: 1 per projection weight plus a 4-byte
scale per output channel. AWQ/GPTQ (4-bit, group size 128): 0.5 per projection weight
plus a 2-byte scale and a 4-bit zero point per group. Embeddings, norms and biases stay
16-bit in every scheme.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from components.enums import Dtype, Quantization
from components.sizing.architecture import ModelArchitecture
from components.sizing.kv_layout import KvLayout, default_batched_tokens
from components.sizing.layers import LayerShape
from components.sizing.lora import LoraSlots, lora_bytes_per_gpu
from components.sizing.parameters import ParameterCount, count_parameters
from components.sizing.pipeline import (
    EMBEDDING_ON_EVERY_STAGE,
    HEAD_ON_EVERY_STAGE,
    stage_layers,
)

GIB = 1024**3
RUNTIME_RESERVE_BYTES = 1 * GIB
PREFILL_TOKENS = 8192
MAX_SEQS_PER_STEP = 256
WIDEST_BYTES_PER_PARAMETER = 2
QUANT_GROUP = 128


MXFP4_BLOCK = 32


def mxfp4_expert_bytes_per_gpu(arch: ModelArchitecture, gpus: int) -> int:
    """gpt-oss's experts on each of `gpus` GPUs as vLLM 0.11.0 holds them: 4-bit weights
    (two per byte) and a one-byte scale per 32, with 16-bit biases, in the Marlin layout.
    Marlin is the backend on every GPU here: vLLM picks Triton only with the optional
    `triton_kernels` package, which its image does not install (model_executor/layers/
    quantization/mxfp4.py:94-100; docker/Dockerfile and the wheel's requirements name
    none), and Marlin pads each GPU's share of the intermediate size to 128 and the
    hidden size to 256 (:189-206), biases staying 16-bit (utils/marlin_utils_fp4.py)."""
    h = -(-arch.hidden_size // 256) * 256
    i = -(-math.ceil(arch.intermediate_size / gpus) // 128) * 128
    per_expert = (
        2 * i * h // 2
        + 2 * i * h // MXFP4_BLOCK
        + 2 * i * 2  # fused gate and up
        + h * i // 2
        + h * i // MXFP4_BLOCK
        + h * 2  # down
    )
    return arch.num_layers * arch.num_experts * per_expert


def weight_bytes(
    arch: ModelArchitecture, dtype: Dtype, quantization: Quantization | None, gpus: int = 1
) -> int:
    """The weights on all `gpus` tensor-parallel GPUs of a replica (of one node)."""
    params = count_parameters(arch)
    unquantized = params.total - params.linear
    if arch.checkpoint_quantization == "mxfp4":
        experts = sum(m.parameters for layer in arch.layer_shapes for m in layer.mlp)
        expert_biases = (
            arch.num_layers * arch.num_experts * (2 * arch.intermediate_size + arch.hidden_size)
        )
        rest = params.total - experts - expert_biases
        return rest * 2 + mxfp4_expert_bytes_per_gpu(arch, gpus) * gpus
    if quantization is None and arch.stored is not None:
        return stored_bytes(arch)
    if quantization is None:
        return params.total * _dtype_bytes(dtype)
    if quantization is Quantization.FP8:
        return params.linear + _output_channels(arch) * 4 + unquantized * 2
    # 4-bit weights, per group a 16-bit scale and a packed 4-bit zero point
    groups = math.ceil(params.linear / QUANT_GROUP)
    return math.ceil(params.linear / 2) + groups * 2 + math.ceil(groups / 2) + unquantized * 2


def stored_bytes(arch: ModelArchitecture) -> int:
    """A quantized checkpoint as vLLM holds it (components/sizing/stored.py): each
    projection in its stored format, everything else at 16 bits."""
    assert arch.stored is not None
    projections = [m for layer in arch.layer_shapes for m in (*layer.attention, *layer.mlp)]
    quantized = sum(arch.stored.bytes_of(m) for m in projections)
    rest = count_parameters(arch).total - sum(m.parameters for m in projections)
    return quantized + rest * 2


def _output_channels(arch: ModelArchitecture) -> int:
    return sum(layer.quantized_output_channels for layer in arch.layer_shapes)


def _dtype_bytes(dtype: Dtype) -> int:
    return 2  # auto resolves to the checkpoint's bf16/fp16 for every library family


def kv_bytes_per_token(arch: ModelArchitecture, dtype: Dtype = Dtype.BFLOAT16) -> int:
    """Every layer's K and V (or latent) for one token, over all GPUs of a replica."""
    return sum(layer.kv.elements_per_token_total() for layer in arch.layer_shapes) * (
        _dtype_bytes(dtype)
    )


def kv_bytes_per_token_per_gpu(arch: ModelArchitecture, gpus: int, dtype: Dtype) -> int:
    """KV heads are split across GPUs; with fewer KV heads than GPUs each GPU keeps one."""
    return _layers_kv_per_token(arch.layer_shapes, gpus, dtype)


def _layers_kv_per_token(layers: Sequence[LayerShape], gpus: int, dtype: Dtype) -> int:
    return sum(layer.kv.elements_per_token(gpus) for layer in layers) * _dtype_bytes(dtype)


def handover_bytes_per_token(arch: ModelArchitecture, dtype: Dtype = Dtype.BFLOAT16) -> int:
    """What one token hands the next pipeline stage: its hidden states and its residual,
    hidden_size values each (vLLM's IntermediateTensors, pipeline.py), in the 16-bit
    activation dtype, which quantized weights do not change."""
    return 2 * arch.hidden_size * _dtype_bytes(dtype)


def reserve_bytes(
    arch: ModelArchitecture, gpus: int, *, logits: bool = True, receives: bool = False
) -> int:
    """`logits`: the stage computes them (the last, or the only one); `receives`: it takes
    the previous stage's hidden states and residual (a later pipeline stage)."""
    activations = PREFILL_TOKENS * (4 * arch.hidden_size + 2 * arch.intermediate_size // gpus) * 2
    scores = MAX_SEQS_PER_STEP * math.ceil(arch.vocab_size / gpus) * 4 if logits else 0
    handover = 2 * PREFILL_TOKENS * arch.hidden_size * 2 if receives else 0
    return RUNTIME_RESERVE_BYTES + activations + scores + handover


@dataclass(frozen=True)
class Fit:
    parameters: ParameterCount
    weights_bytes: int
    kv_cache_bytes_per_token: int
    gpus: int
    gpu_memory_gib: float
    gpu_memory_utilization: float
    max_model_len: int
    budget_bytes_per_gpu: int
    weights_bytes_per_gpu: int
    reserve_bytes_per_gpu: int
    kv_pool_bytes_per_gpu: int
    kv_bytes_per_token_per_gpu: int
    kv_cache_tokens: int
    max_concurrent_sequences: int
    problems: tuple[str, ...]
    handover_bytes_per_token: int
    """Bytes per token a pipeline stage hands the next (`handover_bytes_per_token`)."""
    lora_bytes_per_gpu: int = 0
    """The LoRA adapter slots' buffers (components/sizing/lora.py); 0 without adapters."""
    pipeline_parallel: int = 1
    """Pipeline stages, one node each; the per-GPU figures are the tightest stage's."""
    kv_layout: KvLayout = field(default_factory=lambda: KvLayout(()))
    """The tightest stage's KV cache layout on one GPU."""
    kv_windows: tuple[int | None, ...] = ()
    """Each of its layers' attention window (None: the whole context), for reading."""

    @property
    def total_gpus(self) -> int:
        return self.gpus * self.pipeline_parallel

    def sequences_at(self, length: int) -> int:
        """How many sequences of `length` tokens the KV cache holds."""
        return self.kv_layout.sequences(self.kv_pool_bytes_per_gpu, length)

    def kv_read_bytes(self, context: int) -> int:
        """KV bytes one decode step reads on each GPU for a sequence of `context` tokens."""
        return self.kv_layout.read_bytes_per_token_step(context, self.kv_windows)

    @property
    def fits(self) -> bool:
        return not self.problems

    @property
    def needed_bytes_per_gpu(self) -> int:
        """Memory one full-length sequence needs on each GPU."""
        return (
            self.weights_bytes_per_gpu
            + self.reserve_bytes_per_gpu
            + self.lora_bytes_per_gpu
            + self.kv_layout.sequence_bytes(self.max_model_len)
        )


def fit(
    arch: ModelArchitecture,
    *,
    gpu_memory_gib: float,
    gpus: int,
    max_model_len: int | None = None,
    gpu_memory_utilization: float = 0.9,
    dtype: Dtype = Dtype.BFLOAT16,
    quantization: Quantization | None = None,
    lora: LoraSlots | None = None,
    pipeline: int = 1,
    gpu: str = "",
) -> Fit:
    """`gpus` is the tensor-parallel size (the GPUs of one node, or fewer); `pipeline`
    stages, one per node, multiply it (components/sizing/pipeline.py). `gpu` names the
    GPU (`a100`, `h100`, …), which sets the engine's default step size."""
    length = max_model_len or arch.max_position_embeddings
    problems = []
    if arch.num_attention_heads % gpus:
        problems.append(f"{arch.num_attention_heads} attention heads do not split over {gpus} GPUs")
    if length > arch.max_position_embeddings:
        problems.append(
            f"max length {length} exceeds the model's {arch.max_position_embeddings} positions"
        )
    if pipeline > arch.num_layers:
        problems.append(f"{arch.num_layers} layers do not split over {pipeline} pipeline stages")
        pipeline = arch.num_layers
    weights = weight_bytes(arch, dtype, quantization, gpus)
    budget = int(gpu_memory_gib * GIB * gpu_memory_utilization)
    adapters = lora_bytes_per_gpu(arch, gpus, lora, _dtype_bytes(dtype)) if lora else 0
    # the tightest stage: the fewest KV blocks (one stage, the whole model, without pipeline)
    batched = default_batched_tokens(gpu_memory_gib, gpu)
    stages = [
        _stage(
            arch,
            weights=weights,
            budget=budget - adapters,
            gpus=gpus,
            dtype=dtype,
            layers=layers,
            first=first,
            last=last,
            batched=batched,
        )
        for layers, first, last in _stages(arch, pipeline)
    ]
    # every stage uses the fewest blocks of any (kv_cache_utils.py:1283-1289)
    tightest = min(stages, key=lambda s: (s.layout.sequences(s.pool, length), s.pool))
    weights_per_gpu, reserve, pool = tightest.weights, tightest.reserve, tightest.pool
    sequences = tightest.layout.sequences(pool, length)
    tokens = tightest.layout.tokens(pool)
    if pool <= 0:
        problems.append(
            "the weights and runtime reserve alone exceed the memory budget"
            if not adapters
            else "the weights, runtime reserve and LoRA adapter slots exceed the memory budget"
        )
    elif sequences < 1:
        problems.append(
            f"the KV cache holds {tokens} tokens, less than one {length}-token sequence"
        )
    return Fit(
        parameters=count_parameters(arch),
        weights_bytes=weights,
        kv_cache_bytes_per_token=kv_bytes_per_token(arch, dtype),
        gpus=gpus,
        gpu_memory_gib=gpu_memory_gib,
        gpu_memory_utilization=gpu_memory_utilization,
        max_model_len=length,
        budget_bytes_per_gpu=budget,
        weights_bytes_per_gpu=weights_per_gpu,
        reserve_bytes_per_gpu=reserve,
        kv_pool_bytes_per_gpu=pool,
        kv_bytes_per_token_per_gpu=sum(b for b, _ in tightest.layout.layers),
        kv_cache_tokens=tokens,
        max_concurrent_sequences=sequences,
        problems=tuple(problems),
        handover_bytes_per_token=handover_bytes_per_token(arch, dtype),
        lora_bytes_per_gpu=adapters,
        pipeline_parallel=pipeline,
        kv_layout=tightest.layout,
        kv_windows=tightest.windows,
    )


def _stages(
    arch: ModelArchitecture, pipeline: int
) -> list[tuple[tuple[LayerShape, ...], bool, bool]]:
    """(the stage's layers, holds the embedding, holds the LM head) per stage."""
    layers = arch.layer_shapes
    if pipeline == 1:
        return [(layers, True, True)]
    split = stage_layers(arch.num_layers, pipeline)
    starts = [sum(split[:i]) for i in range(pipeline)]
    return [
        (layers[start : start + n], i == 0, i == pipeline - 1)
        for i, (start, n) in enumerate(zip(starts, split, strict=True))
    ]


@dataclass(frozen=True)
class _StageFit:
    weights: int
    reserve: int
    pool: int
    layout: KvLayout
    windows: tuple[int | None, ...]


def kv_layout(
    arch: ModelArchitecture,
    layers: Sequence[LayerShape],
    gpus: int,
    dtype: Dtype,
    batched: int,
) -> KvLayout:
    """A stage's KV layout on one GPU: each layer's bytes per token and, with the hybrid
    KV cache manager, its window."""
    return KvLayout(
        tuple(
            (
                layer.kv.elements_per_token(gpus) * _dtype_bytes(dtype),
                layer.kv.window if arch.hybrid_kv else None,
            )
            for layer in layers
        ),
        batched,
    )


def _stage(
    arch: ModelArchitecture,
    *,
    weights: int,
    budget: int,
    gpus: int,
    dtype: Dtype,
    layers: tuple[LayerShape, ...],
    first: bool,
    last: bool,
    batched: int,
) -> _StageFit:
    """Weights, reserve, KV pool and KV layout per GPU of one stage; `budget` is what the
    stage may use beyond any LoRA slots."""
    if first and last:  # the whole model on one node
        stage_weights = weights
    else:
        embedding = arch.vocab_size * arch.hidden_size * WIDEST_BYTES_PER_PARAMETER
        head = 0 if arch.tie_word_embeddings else embedding
        # the decoder layers' share of the weights, by each layer's parameters
        in_layers = weights - embedding - head - arch.hidden_size * 2
        all_layers = sum(layer.parameters for layer in arch.layer_shapes)
        stage_weights = math.ceil(
            in_layers * sum(layer.parameters for layer in layers) / all_layers
        )
        if first or arch.family in EMBEDDING_ON_EVERY_STAGE:
            stage_weights += embedding
        if last or arch.family in HEAD_ON_EVERY_STAGE:
            # its own LM head, or a copy of the tied embedding, and the final norm
            stage_weights += embedding + arch.hidden_size * 2
    weights_per_gpu = math.ceil(stage_weights / gpus)
    reserve = reserve_bytes(arch, gpus, logits=last, receives=not first)
    pool = budget - weights_per_gpu - reserve
    return _StageFit(
        weights=weights_per_gpu,
        reserve=reserve,
        pool=pool,
        layout=kv_layout(arch, layers, gpus, dtype, batched),
        windows=tuple(layer.kv.window for layer in layers),
    )
