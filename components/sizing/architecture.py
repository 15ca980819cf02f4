"""A decoder-only transformer's shape, read from a Hugging Face `config.json`."""

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from components.sizing.encoders import (
    gemma3_encoder_parameters,
    llama4_encoder_parameters,
    mistral3_encoder_parameters,
)
from components.sizing.layers import KvKind, KvShape, LayerShape, Linear, gated_mlp, gqa_attention
from components.sizing.stored import StoredFormat, StoredFormatError, stored_format

# Families whose layer layout the parameter count knows exactly (transformers 4.57.1,
# models/<family>/configuration_*.py and modeling_*.py). Each entry: whether the input
# and output embeddings are tied by default, q/k/v biases, an o_proj bias that follows
# `attention_bias`, RMSNorm weights per layer, per-head q/k norms; `defaults`: the config
# class's defaults for fields a config.json may leave out; `sliding`: which layers slide
# when the config lists no `layer_types` ("all": every layer, when `sliding_window` is
# set; an integer p: all but every p-th layer, as `(i + 1) % p` does in Gemma2Config
# and Gemma3TextConfig; "flag": only with `use_sliding_window`, as Qwen2Config does).
FAMILIES: dict[str, dict[str, Any]] = {
    "llama": {"tied": False, "qkv_bias": "attention_bias", "o_bias": "attention_bias", "norms": 2},
    # MistralConfig.sliding_window defaults to 4096 (configuration_mistral.py:135)
    "mistral": {
        "tied": False,
        "qkv_bias": False,
        "o_bias": False,
        "norms": 2,
        "defaults": {"sliding_window": 4096},
        "sliding": "all",
    },
    "mixtral": {"tied": False, "qkv_bias": False, "o_bias": False, "norms": 2, "sliding": "all"},
    "qwen2": {"tied": False, "qkv_bias": True, "o_bias": False, "norms": 2, "sliding": "flag"},
    "qwen3": {
        "tied": False,
        "qkv_bias": "attention_bias",
        "o_bias": "attention_bias",
        "norms": 2,
        "qk_norm": True,
        "sliding": "flag",
    },
    "gemma": {"tied": True, "qkv_bias": "attention_bias", "o_bias": "attention_bias", "norms": 2},
    # configuration_gemma2.py:141,175-178: window 4096 on the even layers
    "gemma2": {
        "tied": True,
        "qkv_bias": "attention_bias",
        "o_bias": "attention_bias",
        "norms": 4,
        "defaults": {"sliding_window": 4096},
        "sliding": 2,
    },
    # configuration_gemma3.py:171-197,236-243 (Gemma3TextConfig): vocab 262208, head_dim
    # 256, window 4096, every 6th layer global; modeling_gemma3.py:292-293,353-356: q/k
    # norms and four norms per layer
    "gemma3_text": {
        "tied": True,
        "qkv_bias": "attention_bias",
        "o_bias": "attention_bias",
        "norms": 4,
        "qk_norm": True,
        "defaults": {
            "vocab_size": 262_208,
            "head_dim": 256,
            "sliding_window": 4096,
            "sliding_window_pattern": 6,
            "hidden_size": 2304,
            "intermediate_size": 9216,
            "num_hidden_layers": 26,
            "num_attention_heads": 8,
            "num_key_value_heads": 4,
            "max_position_embeddings": 131_072,
        },
        "sliding": "sliding_window_pattern",
    },
    "phi3": {"tied": False, "qkv_bias": False, "o_bias": False, "norms": 2, "sliding": "all"},
    # configuration_gpt_oss.py:50-108: the 120b shape by default, biases on attention,
    # a 128-token window on the even layers
    "gpt_oss": {
        "tied": False,
        "qkv_bias": True,
        "o_bias": True,
        "norms": 2,
        "defaults": {
            "num_hidden_layers": 36,
            "num_local_experts": 128,
            "vocab_size": 201_088,
            "hidden_size": 2880,
            "intermediate_size": 2880,
            "head_dim": 64,
            "num_attention_heads": 64,
            "num_key_value_heads": 8,
            "sliding_window": 128,
            "max_position_embeddings": 131_072,
        },
        "sliding": 2,
    },
    # configuration_deepseek_v3.py:155-192 / configuration_deepseek_v2.py:147-183 defaults
    "deepseek_v3": {
        "tied": False,
        "qkv_bias": False,
        "o_bias": False,
        "norms": 2,
        "defaults": {
            "vocab_size": 129_280,
            "hidden_size": 7168,
            "intermediate_size": 18_432,
            "moe_intermediate_size": 2048,
            "num_hidden_layers": 61,
            "num_attention_heads": 128,
            "n_shared_experts": 1,
            "n_routed_experts": 256,
            "kv_lora_rank": 512,
            "q_lora_rank": 1536,
            "qk_rope_head_dim": 64,
            "v_head_dim": 128,
            "qk_nope_head_dim": 128,
            "first_k_dense_replace": 3,
            "moe_layer_freq": 1,
            "topk_method": "noaux_tc",
        },
    },
    "deepseek_v2": {
        "tied": False,
        "qkv_bias": False,
        "o_bias": False,
        "norms": 2,
        "defaults": {
            "vocab_size": 32_000,
            "hidden_size": 4096,
            "intermediate_size": 11_008,
            "num_hidden_layers": 32,
            "num_attention_heads": 32,
            "first_k_dense_replace": 0,
            "kv_lora_rank": 512,
            "q_lora_rank": 1536,
            "n_routed_experts": 64,
            "n_shared_experts": 2,
            "qk_nope_head_dim": 128,
            "qk_rope_head_dim": 64,
            "v_head_dim": 128,
            "moe_intermediate_size": 1407,
            "moe_layer_freq": 1,
            "topk_method": "greedy",
        },
    },
}
FAMILIES["qwen3_moe"] = {
    **FAMILIES["qwen3"],
    # configuration_qwen3_moe.py:172-197
    "defaults": {
        "vocab_size": 151_936,
        "hidden_size": 2048,
        "intermediate_size": 6144,
        "num_hidden_layers": 24,
        "num_attention_heads": 32,
        "num_key_value_heads": 4,
        "decoder_sparse_step": 1,
        "moe_intermediate_size": 768,
        "num_experts": 128,
    },
}
# configuration_llama4.py:292-395 (Llama4TextConfig)
FAMILIES["llama4_text"] = {
    "tied": False,
    "qkv_bias": False,
    "o_bias": False,
    "norms": 2,
    "defaults": {
        "vocab_size": 202_048,
        "hidden_size": 5120,
        "intermediate_size": 8192,
        "intermediate_size_mlp": 16_384,
        "num_hidden_layers": 48,
        "num_attention_heads": 40,
        "num_key_value_heads": 8,
        "head_dim": 128,
        "max_position_embeddings": 131_072,
        "num_local_experts": 16,
        "interleave_moe_layer_step": 1,
        "no_rope_layer_interval": 4,
        "attention_chunk_size": 8192,
    },
}
# Multimodal checkpoints whose text model is one of the families above: config.json keeps
# it under `text_config`, and the server also loads the vision tower (`encoders.py`).
MULTIMODAL = {"gemma3": "gemma3_text", "mistral3": "mistral", "llama4": "llama4_text"}
ENCODERS = {
    "gemma3": gemma3_encoder_parameters,
    "mistral3": mistral3_encoder_parameters,
    "llama4": llama4_encoder_parameters,
}


REQUIRED = (
    "vocab_size",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
)


class ArchitectureError(ValueError):
    """A config.json the sizing cannot read; the message says what is missing or unknown."""


@dataclass(frozen=True)
class ModelArchitecture:
    name: str
    family: str
    vocab_size: int
    hidden_size: int
    num_layers: int
    num_attention_heads: int
    num_kv_heads: int
    head_dim: int
    intermediate_size: int
    tie_word_embeddings: bool
    qkv_bias: bool
    o_bias: bool
    norms_per_layer: int
    qk_norm: bool
    num_experts: int  # 0 for dense models
    max_position_embeddings: int
    layers: tuple[LayerShape, ...] = field(default=(), compare=False)
    """Each decoder layer's shape; every layer alike (`uniform_layers`) when empty."""
    encoder_parameters: int = 0
    """Parameters outside the decoder that the server loads: a vision tower and its
    projector (multimodal checkpoints, which vLLM loads whole)."""
    stored: StoredFormat | None = None
    """How the checkpoint itself stores its projections (`quantization_config`: gpt-oss's
    MXFP4 experts, DeepSeek-V3's fp8 blocks, AWQ, GPTQ, …); None for 16-bit weights."""
    hybrid_kv: bool = True
    """Whether vLLM keeps only a sliding layer's window in the KV cache (its hybrid KV
    cache manager); False where the engine turns that off for the family."""

    @property
    def checkpoint_quantization(self) -> str | None:
        """The checkpoint's own quantization method (`quant_method`), if any."""
        return self.stored.method if self.stored else None

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 0

    @property
    def layer_shapes(self) -> tuple[LayerShape, ...]:
        return self.layers or uniform_layers(self)


def uniform_layers(arch: ModelArchitecture) -> tuple[LayerShape, ...]:
    """The layers of a family whose every layer is the same: grouped-query attention, a
    gated MLP (or `num_experts` of them and a router), full attention."""
    return (standard_layer(arch),) * arch.num_layers


def standard_layer(
    arch: ModelArchitecture, *, window: int | None = None, experts: int | None = None
) -> LayerShape:
    h, d = arch.hidden_size, arch.head_dim
    q_width, kv_width = arch.num_attention_heads * d, arch.num_kv_heads * d
    routed = arch.num_experts if experts is None else experts
    return LayerShape(
        attention=gqa_attention(h, arch.num_attention_heads, arch.num_kv_heads, d),
        mlp=gated_mlp(h, arch.intermediate_size, max(routed, 1)),
        router=(Linear(routed, h),) if routed else (),
        biases=(q_width + 2 * kv_width if arch.qkv_bias else 0) + (h if arch.o_bias else 0),
        norms=arch.norms_per_layer * h + (2 * d if arch.qk_norm else 0),
        extra=0,
        kv=KvShape(KvKind.GQA, arch.num_kv_heads, d, window),
    )


def from_hf_config(config: dict[str, Any], name: str) -> ModelArchitecture:
    """Read the fields that decide parameter count and KV-cache size."""
    outer = config
    multimodal = str(config.get("model_type", ""))
    if multimodal in MULTIMODAL:
        text = config.get("text_config") or {}
        if not isinstance(text, dict):
            raise ArchitectureError(f"{name}: config.json's text_config is not a mapping")
        config = {**text, "model_type": str(text.get("model_type") or MULTIMODAL[multimodal])}
    family = str(config.get("model_type", ""))
    if family not in FAMILIES:
        known = ", ".join(sorted({*FAMILIES, *MULTIMODAL}))
        raise ArchitectureError(
            f"{name}: model_type {family!r} is not a family the sizing counts exactly "
            f"(known: {known}); size it as the library model it is shaped like (`size "
            "--model <id>`, or models[].architecture in a stack), or pass the config.json "
            "of a model of a known family"
        )
    traits = FAMILIES[family]
    config = {**traits.get("defaults", {}), **config}
    bad = [
        f"{key!r} (got {config.get(key)!r})" for key in REQUIRED if not _positive(config.get(key))
    ]
    if bad:
        raise ArchitectureError(f"{name}: config.json needs positive integers for {', '.join(bad)}")
    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])

    def flag(trait: str) -> bool:
        value = traits.get(trait, False)
        return bool(config.get(value, False)) if isinstance(value, str) else bool(value)

    base = ModelArchitecture(
        name=name,
        family=family,
        vocab_size=int(config["vocab_size"]),
        hidden_size=hidden,
        num_layers=int(config["num_hidden_layers"]),
        num_attention_heads=heads,
        num_kv_heads=int(config.get("num_key_value_heads") or heads),
        head_dim=int(config.get("head_dim") or hidden // heads),
        intermediate_size=int(config["intermediate_size"]),
        tie_word_embeddings=bool(config.get("tie_word_embeddings", traits["tied"])),
        qkv_bias=flag("qkv_bias"),
        o_bias=flag("o_bias"),
        norms_per_layer=int(traits["norms"]),
        qk_norm=flag("qk_norm"),
        num_experts=int(config.get("num_local_experts") or 0),
        max_position_embeddings=int(config.get("max_position_embeddings") or 4096),
        encoder_parameters=(ENCODERS[multimodal](outer, hidden) if multimodal in ENCODERS else 0),
        stored=_stored(outer, name),
    )
    windows = layer_windows(config, traits, base.num_layers, name)
    layers = tuple(standard_layer(base, window=w) for w in windows)
    if family == "gpt_oss":
        layers = tuple(gpt_oss_layer(base, layer) for layer in layers)
    if family in ("deepseek_v2", "deepseek_v3"):
        base = dataclasses.replace(
            base,
            num_experts=int(config.get("n_routed_experts") or 0),
            head_dim=int(config["qk_nope_head_dim"]) + int(config["qk_rope_head_dim"]),
        )
        layers = tuple(deepseek_layer(base, config, i) for i in range(base.num_layers))
    if family == "qwen3_moe":
        base = dataclasses.replace(base, num_experts=int(config.get("num_experts") or 0))
        layers = tuple(qwen3_moe_layer(base, config, i) for i in range(base.num_layers))
    if family == "llama4_text":
        # chunked attention turns vLLM's hybrid KV cache manager off: every layer keeps
        # the whole context (vllm config/__init__.py:498-529, unify_hybrid_kv_cache_specs)
        base = dataclasses.replace(base, hybrid_kv=False)
        layers = tuple(llama4_layer(base, config, i) for i in range(base.num_layers))
    if all(layer.kv.window is None for layer in layers) and family not in SHAPED:
        layers = ()  # every layer alike: `uniform_layers` gives them
    return dataclasses.replace(base, layers=layers)


def layer_windows(
    config: dict[str, Any], traits: dict[str, Any], layers: int, name: str
) -> list[int | None]:
    """Each layer's sliding window, None for full attention: from `layer_types` when the
    config lists them (what vLLM 0.11.0 reads per layer: models/llama.py:174-193,
    gemma2.py:148-149, gemma3.py:151-152, gpt_oss.py:107-108), else by the family's
    rule (FAMILIES `sliding`)."""
    window = config.get("sliding_window")
    rule = traits.get("sliding")
    if rule == "flag" and not config.get("use_sliding_window"):
        window = None
    if not window:
        return [None] * layers
    types = config.get("layer_types")
    if isinstance(types, list):
        if len(types) != layers:
            raise ArchitectureError(
                f"{name}: config.json lists {len(types)} layer_types for {layers} layers"
            )
        return [int(window) if t == "sliding_attention" else None for t in types]
    if rule in ("all", "flag"):
        return [int(window)] * layers
    if isinstance(rule, int) or (isinstance(rule, str) and rule in config):
        period = int(config[rule]) if isinstance(rule, str) else rule
        return [int(window) if (i + 1) % period else None for i in range(layers)]
    return [None] * layers


# Families whose layers `standard_layer` does not describe, even when all are alike.
SHAPED = frozenset({"gpt_oss", "deepseek_v2", "deepseek_v3", "qwen3_moe", "llama4_text"})


def qwen3_moe_layer(arch: ModelArchitecture, config: dict[str, Any], index: int) -> LayerShape:
    """Qwen3-MoE (models/qwen3_moe/modeling_qwen3_moe.py): Qwen3's attention with q/k
    norms (:129-148); experts of `moe_intermediate_size` and a router on every
    `decoder_sparse_step`-th layer not in `mlp_only_layers`, else a dense MLP (:295-300,
    :213-224); no shared expert."""
    dense = index in (config.get("mlp_only_layers") or []) or (index + 1) % int(
        config.get("decoder_sparse_step") or 1
    )
    layer = standard_layer(arch, experts=0)
    if dense or not arch.num_experts:
        return layer
    width, experts = int(config["moe_intermediate_size"]), arch.num_experts
    return dataclasses.replace(
        layer,
        mlp=gated_mlp(arch.hidden_size, width, experts),
        router=(Linear(experts, arch.hidden_size),),
    )


def llama4_layer(arch: ModelArchitecture, config: dict[str, Any], index: int) -> LayerShape:
    """Llama 4's text layers (models/llama4/modeling_llama4.py): attention without biases
    and a weightless L2 q/k norm (:97-109, :279-310); on `moe_layers` routed experts and a
    shared expert, both `intermediate_size` wide, and a router (:46-155, :380), else a
    dense MLP of `intermediate_size_mlp` (:384). RoPE layers attend within chunks of
    `attention_chunk_size` (`no_rope_layers`: 1 is a RoPE layer, configuration_llama4.py:
    372-395)."""
    h, experts = arch.hidden_size, arch.num_experts
    step = int(config.get("interleave_moe_layer_step") or 1)
    moe = config.get("moe_layers")
    routed = index in moe if isinstance(moe, list) else (index + 1) % step == 0
    rope = config.get("no_rope_layers")
    interval = int(config.get("no_rope_layer_interval") or 4)
    chunked = bool(rope[index]) if isinstance(rope, list) and rope else bool((index + 1) % interval)
    chunk = int(config.get("attention_chunk_size") or 0) or None
    layer = standard_layer(arch, experts=0, window=chunk if chunked else None)
    if routed and experts:
        width = arch.intermediate_size
        return dataclasses.replace(
            layer,
            mlp=gated_mlp(h, width, experts) + gated_mlp(h, width),
            router=(Linear(experts, h),),
        )
    return dataclasses.replace(layer, mlp=gated_mlp(h, int(config["intermediate_size_mlp"])))


def deepseek_layer(arch: ModelArchitecture, config: dict[str, Any], index: int) -> LayerShape:
    """DeepSeek V2/V3 (transformers 4.57.1 models/deepseek_v3/modeling_deepseek_v3.py):
    - multi-head latent attention (:346-369): q through a low-rank `q_a_proj` and its norm
      when `q_lora_rank` is set (else one `q_proj`), `kv_a_proj_with_mqa` to the latent
      and the rope key, its norm, `kv_b_proj` up to every head's nope key and value, and
      `o_proj`; biases only with `attention_bias`;
    - a dense MLP on the first `first_k_dense_replace` layers, then routed experts of
      `moe_intermediate_size`, a shared MLP `n_shared_experts` times as wide and a
      router (:156-173, :456-459); vLLM also skips layers off `moe_layer_freq`
      (vllm model_executor/models/deepseek_v2.py:1034-1036); V3's router has an fp32
      `e_score_correction_bias` with `topk_method: noaux_tc` (:163-167).
    The KV cache holds one latent and rope key per token per layer, the same on every
    tensor-parallel GPU (vllm config/model.py:1179-1183, v1/kv_cache_interface.py:142-153)."""
    h, heads = arch.hidden_size, arch.num_attention_heads
    q_rank, kv_rank = config.get("q_lora_rank"), int(config["kv_lora_rank"])
    nope, rope, v = (int(config[k]) for k in ("qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"))
    per_head_q = heads * (nope + rope)
    query = (
        (Linear(int(q_rank), h), Linear(per_head_q, int(q_rank)))
        if q_rank
        else (Linear(per_head_q, h),)
    )
    attention = (
        *query,
        Linear(kv_rank + rope, h),
        Linear(heads * (nope + v), kv_rank),
        Linear(h, heads * v),
    )
    experts = arch.num_experts
    dense_first = int(config.get("first_k_dense_replace") or 0)
    frequency = int(config.get("moe_layer_freq") or 1)
    routed = bool(experts) and index >= dense_first and index % frequency == 0
    if routed:
        width = int(config["moe_intermediate_size"])
        shared = int(config.get("n_shared_experts") or 0)
        mlp = gated_mlp(h, width, experts) + (gated_mlp(h, width * shared) if shared else ())
        router: tuple[Linear, ...] = (Linear(experts, h),)
    else:
        mlp, router = gated_mlp(h, arch.intermediate_size), ()
    biased = bool(config.get("attention_bias"))
    return LayerShape(
        attention=attention,
        mlp=mlp,
        router=router,
        biases=(int(q_rank or 0) + kv_rank + rope + h) if biased else 0,
        norms=2 * h + int(q_rank or 0) + kv_rank,
        extra=experts if routed and config.get("topk_method") == "noaux_tc" else 0,
        kv=KvShape(KvKind.MLA, 1, kv_rank + rope),
    )


def gpt_oss_layer(arch: ModelArchitecture, layer: LayerShape) -> LayerShape:
    """gpt-oss (transformers 4.57.1 models/gpt_oss/modeling_gpt_oss.py): attention with
    q/k/v/o biases and one learned sink per query head (:285-298); experts whose fused
    gate_up and down projections carry biases (:74-77); a router with a bias
    (:149-150)."""
    h, i, e = arch.hidden_size, arch.intermediate_size, arch.num_experts
    return dataclasses.replace(
        layer,
        biases=layer.biases + e * (2 * i + h) + e,
        extra=arch.num_attention_heads,
    )


def _stored(config: dict[str, Any], name: str) -> StoredFormat | None:
    try:
        return stored_format(config, name)
    except StoredFormatError as error:
        raise ArchitectureError(str(error)) from None


def _positive(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
