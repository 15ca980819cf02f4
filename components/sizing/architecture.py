"""A decoder-only transformer's shape, read from a Hugging Face `config.json`."""

from dataclasses import dataclass
from typing import Any

# Families whose layer layout the parameter count knows exactly. Each entry: whether the
# input and output embeddings are tied by default, q/k/v biases, an o_proj bias that
# follows `attention_bias`, RMSNorm weights per layer, and per-head q/k norms.
FAMILIES: dict[str, dict[str, Any]] = {
    "llama": {"tied": False, "qkv_bias": "attention_bias", "o_bias": "attention_bias", "norms": 2},
    "mistral": {"tied": False, "qkv_bias": False, "o_bias": False, "norms": 2},
    "mixtral": {"tied": False, "qkv_bias": False, "o_bias": False, "norms": 2},
    "qwen2": {"tied": False, "qkv_bias": True, "o_bias": False, "norms": 2},
    "qwen3": {
        "tied": False,
        "qkv_bias": "attention_bias",
        "o_bias": "attention_bias",
        "norms": 2,
        "qk_norm": True,
    },
    "gemma": {"tied": True, "qkv_bias": "attention_bias", "o_bias": "attention_bias", "norms": 2},
    "gemma2": {"tied": True, "qkv_bias": "attention_bias", "o_bias": "attention_bias", "norms": 4},
    "phi3": {"tied": False, "qkv_bias": False, "o_bias": False, "norms": 2},
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

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 0


def from_hf_config(config: dict[str, Any], name: str) -> ModelArchitecture:
    """Read the fields that decide parameter count and KV-cache size."""
    family = str(config.get("model_type", ""))
    if family not in FAMILIES:
        known = ", ".join(sorted(FAMILIES))
        raise ArchitectureError(
            f"{name}: model_type {family!r} is not a family the sizing counts exactly "
            f"(known: {known}); size it as the library model it is shaped like (`size "
            "--model <id>`, or models[].architecture in a stack), or pass the config.json "
            "of a model of a known family"
        )
    traits = FAMILIES[family]
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

    return ModelArchitecture(
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
    )


def _positive(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
