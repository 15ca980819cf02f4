"""`models`: the model deployments served on the GPU pools."""

from typing import Annotated

from pydantic import Field, StringConstraints

from components.enums import Dtype, Engine, Quantization
from infra.config.base import DnsLabel, Section

DEFAULT_LORA_RANK = 16
DEFAULT_MAX_LORAS = 4

HuggingFaceId = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
]
# `models://<prefix>` (the stack's models bucket) or `<scheme>://<bucket>/<prefix>`: which
# schemes a cloud takes is a cross-field check.
BucketUri = Annotated[
    str, StringConstraints(pattern=r"^([a-z0-9]+://[^/\s]+/\S+|models://[^/\s]\S*)$")
]
MODELS_SCHEME = "models://"


class AdapterConfig(Section):
    name: DnsLabel = Field(
        description="The `model` clients send for this adapter; the gateway routes it to "
        "the base model's servers, which serve it under this name."
    )
    source: HuggingFaceId | BucketUri = Field(
        description="Where the adapter (a PEFT LoRA checkpoint: adapter_config.json and its "
        "weights) comes from: a Hugging Face id, e.g. `example-org/llama-3.1-8b-support-lora`, "
        "which vLLM downloads at start with the model's token; or a prefix in the stack's "
        "models bucket, `models://<prefix>` (AWS stacks), which an init container copies "
        "into the model cache before the server starts, through the server's workload "
        "identity. `models://` resolves to the bucket's generated name at deploy time; "
        "`s3://<bucket>/<prefix>` works only when it names that same bucket (the "
        "`buckets.models` stack output), the only one the servers may read.",
    )
    rank: int | None = Field(
        None,
        ge=1,
        le=512,
        description="The adapter's LoRA rank (`r` in its adapter_config.json). The largest "
        "rank of a model's adapters sets vLLM's --max-lora-rank; an adapter above it fails "
        "to load. Default: 16 (vLLM's default).",
    )


def from_bucket(source: str) -> bool:
    """A bucket URI, not a Hugging Face id."""
    return "://" in source


class ModelConfig(Section):
    name: DnsLabel = Field(description="Deployment name; also the Service name.")
    hf_model_id: HuggingFaceId | None = Field(
        None, description="Hugging Face model id, e.g. `meta-llama/Llama-3.1-8B-Instruct`."
    )
    weights_uri: str | None = Field(
        None,
        description="Weights in the stack's models bucket instead of the Hub, streamed to "
        "the GPUs by vLLM: `models://<prefix>`, resolved to the bucket's generated name at "
        "deploy time (or `s3://<bucket>/<prefix>` naming that same bucket, the `buckets.models` "
        "stack output: the servers may read no other). AWS stacks only (the pinned vLLM "
        "image carries the streamer's S3 backend alone). Give this or `hf_model_id`.",
    )
    architecture: str | None = Field(
        None,
        description="Library model whose shape this one has, for sizing a fine-tune or "
        "weights from a bucket, e.g. `meta-llama/Llama-3.1-8B-Instruct`. Default: "
        "`hf_model_id` when the library knows it (`llm-infra size --help` lists them).",
    )
    engine: Engine = Field(Engine.VLLM, description="Serving engine.")
    engine_version: str | None = Field(
        None,
        description="Engine image tag; only the pinned one (vLLM `v0.11.0`, TGI `3.3.5`), "
        "whose image contract the containers are built from. Default: that one.",
    )
    pool: DnsLabel = Field(description="Name of the GPU pool the model runs on.")
    gpus_per_replica: int = Field(
        1,
        ge=1,
        le=64,
        description="GPUs per replica. Up to the pool's GPUs per node: the tensor-parallel "
        "size (shard count) on one node. More: a replica across whole 8-GPU nodes (vLLM "
        "only), tensor parallel over each node's GPUs and one pipeline stage per node, "
        "served by a LeaderWorkerSet group that starts, restarts and scales as one; its pool "
        "must list one zone.",
    )
    max_model_len_tokens: int | None = Field(
        None, ge=128, le=10_000_000, description="Context length. Default: the model's own."
    )
    dtype: Dtype = Field(Dtype.BFLOAT16, description="Weight and activation dtype.")
    quantization: Quantization | None = Field(
        None,
        description="Weight quantization, if any. vLLM detects `awq` and `gptq` from the "
        "checkpoint (Marlin kernels) and runs them in float16 when `dtype` is bfloat16.",
    )
    gpu_memory_utilization: float = Field(
        0.90,
        ge=0.5,
        le=0.98,
        description="Share of each GPU's memory the engine may use (weights + KV cache).",
    )
    min_replicas: int = Field(
        ge=0,
        le=1000,
        description="Lower autoscaling bound. 0 needs the gateway: a model at zero wakes on "
        "its first request, which the gateway holds (retrying) while a replica starts, up to "
        "the 900 s request timeout; a cold GPU node can take longer, and then the first "
        "requests fail with 504.",
    )
    max_replicas: int = Field(ge=1, le=1000, description="Upper autoscaling bound.")
    version_of: DnsLabel | None = Field(
        None,
        description="This deployment is a version of the named model (a canary, an A/B "
        "arm): requests for that model's `name` are split between it and its versions by "
        "`weight`; this one also answers under its own name. Each version is its own "
        "Deployment, sized and priced on its own. Needs the gateway.",
    )
    adapters: tuple[AdapterConfig, ...] = Field(
        (),
        max_length=64,
        description="LoRA adapters served by this model's vLLM servers beside the base "
        "model (--enable-lora, --lora-modules); each answers under its own name through the "
        "gateway. The GPU memory of their slots comes out of the KV cache (the fit counts "
        "it). Adding or removing one restarts the servers (a rolling update the PR diff "
        "shows). vLLM only.",
    )
    max_loras: int | None = Field(
        None,
        ge=1,
        le=64,
        description="Adapters one batch may mix (vLLM --max-loras): each slot holds GPU "
        "memory. Default: the number of adapters, at most 4.",
    )
    weight: int | None = Field(
        None,
        ge=0,
        le=1000,
        description="Share of the traffic for a model with versions, relative to the other "
        "versions' weights (90 and 10: 90% and 10%). Required on the model and each of its "
        "versions; 0 keeps a version running without traffic (rollback is a weight change).",
    )


def lora_slots_of(model: ModelConfig) -> tuple[int, int] | None:
    """(--max-loras, the largest adapter rank) of a model with adapters; None without."""
    if not model.adapters:
        return None
    loras = model.max_loras or min(len(model.adapters), DEFAULT_MAX_LORAS)
    return loras, max(a.rank or DEFAULT_LORA_RANK for a in model.adapters)
