"""Exact parameter counts of a decoder-only transformer, by part."""

from dataclasses import dataclass

from components.sizing.architecture import ModelArchitecture


@dataclass(frozen=True)
class ParameterCount:
    embedding: int
    lm_head: int  # 0 when tied to the embedding
    attention: int  # q, k, v, o projection weights
    mlp: int  # gate, up, down weights, times the experts of a mixture
    router: int  # mixture-of-experts gate
    biases: int
    norms: int

    @property
    def total(self) -> int:
        return (
            self.embedding
            + self.lm_head
            + self.attention
            + self.mlp
            + self.router
            + self.biases
            + self.norms
        )

    @property
    def linear(self) -> int:
        """Weights of the projection layers: what weight quantization compresses."""
        return self.attention + self.mlp + self.router


def count_parameters(arch: ModelArchitecture) -> ParameterCount:
    h, layers = arch.hidden_size, arch.num_layers
    q_width = arch.num_attention_heads * arch.head_dim
    kv_width = arch.num_kv_heads * arch.head_dim
    attention = h * q_width + 2 * h * kv_width + q_width * h
    experts = max(arch.num_experts, 1)
    mlp = 3 * h * arch.intermediate_size * experts  # gated MLP: gate, up, down
    router = h * arch.num_experts
    biases = (q_width + 2 * kv_width if arch.qkv_bias else 0) + (h if arch.o_bias else 0)
    norms = arch.norms_per_layer * h + (2 * arch.head_dim if arch.qk_norm else 0)
    embedding = arch.vocab_size * h
    return ParameterCount(
        embedding=embedding,
        lm_head=0 if arch.tie_word_embeddings else embedding,
        attention=layers * attention,
        mlp=layers * mlp,
        router=layers * router,
        biases=layers * biases,
        norms=layers * norms + h,  # + the final norm
    )
