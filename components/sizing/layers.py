"""A decoder layer as the sizing sees it: its weight matrices, its small tensors, and what
it keeps in the KV cache for each token.

Families differ layer by layer (dense first layers before the experts, experts every
other layer, sliding-window layers between global ones), so parameters, weights per
pipeline stage and the KV cache are sums over layers, never a layer count times one
layer.
"""

from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class Linear:
    """A projection's weight, `out` × `inp`, `count` times (the routed experts)."""

    out: int
    inp: int
    count: int = 1

    @property
    def parameters(self) -> int:
        return self.out * self.inp * self.count

    @property
    def output_channels(self) -> int:
        return self.out * self.count


class KvKind(Enum):
    GQA = "gqa"
    """K and V per KV head, the heads split over the tensor-parallel GPUs."""
    MLA = "mla"
    """One compressed latent and one rope key per token (DeepSeek's multi-head latent
    attention), the same on every tensor-parallel GPU."""


@dataclass(frozen=True)
class KvShape:
    kind: KvKind
    heads: int
    """KV heads (GQA); 1 for MLA."""
    width: int
    """Elements per head per token: head_dim for each of K and V (GQA); the latent plus the
    rope key (MLA)."""
    window: int | None = None
    """Tokens a sliding-window (or chunked local) layer attends to: it keeps at most these."""

    def elements_per_token(self, gpus: int) -> int:
        """KV-cache elements one token needs on each of `gpus` tensor-parallel GPUs. With
        fewer KV heads than GPUs each GPU keeps one (the heads are replicated)."""
        if self.kind is KvKind.MLA:
            return self.width
        return 2 * max(1, self.heads // gpus) * self.width

    def elements_per_token_total(self) -> int:
        if self.kind is KvKind.MLA:
            return self.width
        return 2 * self.heads * self.width


@dataclass(frozen=True)
class LayerShape:
    attention: tuple[Linear, ...]
    mlp: tuple[Linear, ...]
    """The dense MLP, or the routed experts and any shared experts."""
    router: tuple[Linear, ...]
    biases: int
    norms: int
    extra: int
    """Other small tensors kept at 16 bits: attention sinks, expert score biases."""
    kv: KvShape

    @property
    def linear(self) -> tuple[Linear, ...]:
        return (*self.attention, *self.mlp, *self.router)

    @property
    def parameters(self) -> int:
        return sum(m.parameters for m in self.linear) + self.biases + self.norms + self.extra

    @property
    def quantized_output_channels(self) -> int:
        """Output channels of the projections a per-channel scale covers (the router stays
        unscaled)."""
        return sum(m.output_channels for m in (*self.attention, *self.mlp))


def gqa_attention(
    hidden: int, heads: int, kv_heads: int, head_dim: int, *, v_head_dim: int | None = None
) -> tuple[Linear, ...]:
    """q, k, v and o projections of grouped-query attention."""
    q, kv = heads * head_dim, kv_heads * head_dim
    v = kv_heads * (v_head_dim or head_dim)
    return (
        Linear(q, hidden),
        Linear(kv, hidden),
        Linear(v, hidden),
        Linear(hidden, heads * (v_head_dim or head_dim)),
    )


def gated_mlp(hidden: int, intermediate: int, count: int = 1) -> tuple[Linear, ...]:
    """gate, up and down projections of a gated (SwiGLU/GeGLU) MLP, `count` times."""
    return (
        Linear(intermediate, hidden, count),
        Linear(intermediate, hidden, count),
        Linear(hidden, intermediate, count),
    )
