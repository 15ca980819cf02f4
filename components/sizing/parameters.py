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
    other: int = 0
    """Attention sinks, expert score biases, and a multimodal model's vision tower."""

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
            + self.other
        )

    @property
    def linear(self) -> int:
        """Weights of the projection layers: what weight quantization compresses."""
        return self.attention + self.mlp + self.router


def count_parameters(arch: ModelArchitecture) -> ParameterCount:
    h = arch.hidden_size
    layers = arch.layer_shapes
    embedding = arch.vocab_size * h
    return ParameterCount(
        embedding=embedding,
        lm_head=0 if arch.tie_word_embeddings else embedding,
        attention=sum(m.parameters for layer in layers for m in layer.attention),
        mlp=sum(m.parameters for layer in layers for m in layer.mlp),
        router=sum(m.parameters for layer in layers for m in layer.router),
        biases=sum(layer.biases for layer in layers),
        norms=sum(layer.norms for layer in layers) + h,  # + the final norm
        other=sum(layer.extra for layer in layers) + arch.encoder_parameters,
    )
