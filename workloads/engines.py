"""The serving engines: pinned images, ports, command lines, queue metrics.

Pure functions of a `ServerSpec`, so every flag an engine gets is tested without Kubernetes.
Images, entrypoints and the environment each needs come from its image contract
(`workloads/images.yaml`).
"""

from dataclasses import dataclass

from components.enums import Dtype, Engine, Quantization
from workloads.images import ImageContract, contract

CONTRACTS = {Engine.VLLM: "vllm", Engine.TGI: "tgi"}
# Both engines listen on an unprivileged port: 80 (TGI's default) needs a capability the
# containers do not have.
HTTP_PORT = 8000
# TGI 3 serves Prometheus metrics on a port of its own; vLLM on its HTTP port.
METRICS_PORTS = {Engine.VLLM: HTTP_PORT, Engine.TGI: 9000}
HEALTH_PATH = "/health"
QUEUE_METRICS = {Engine.VLLM: "vllm:num_requests_waiting", Engine.TGI: "tgi_queue_size"}
MODEL_CACHE = "/models"
ADAPTERS_DIR = f"{MODEL_CACHE}/adapters"
# `models://<prefix>`: a prefix of the stack's models bucket, whose name Pulumi generates.
MODELS_SCHEME = "models://"
MODELS_BUCKET_ENV = "MODELS_BUCKET"
# Room the TGI router keeps for generated tokens when it splits the context.
TGI_MIN_NEW_TOKENS = 1024
# Quantized checkpoints vLLM detects by itself from their quantization config, picking the
# Marlin kernel when the checkpoint allows it (awq_marlin.py / gptq_marlin.py,
# override_quantization_method); naming the method forces the slower kernel.
DETECTED_QUANTIZATION = (Quantization.AWQ, Quantization.GPTQ)


def image_contract(engine: Engine) -> ImageContract:
    return contract(CONTRACTS[engine])


IMAGES = {engine: image_contract(engine).repository for engine in Engine}
VERSIONS = {engine: image_contract(engine).tag for engine in Engine}


@dataclass(frozen=True)
class ServerSpec:
    """What an engine needs to serve one model; plain values."""

    model: str
    """A Hugging Face id, or a bucket URI (`models://…`, `s3://…`) streamed at load."""
    served_name: str
    tensor_parallel_size: int = 1
    pipeline_parallel_size: int = 1
    """Pipeline stages, one per node of a multi-node replica (1: one node)."""
    max_model_len_tokens: int | None = None
    dtype: Dtype = Dtype.BFLOAT16
    quantization: Quantization | None = None
    gpu_memory_utilization: float = 0.9
    prefix_caching: bool = True
    adapters: tuple[tuple[str, str], ...] = ()
    """LoRA adapters (served name, Hugging Face id or bucket URI) beside the base model."""
    max_loras: int = 1
    max_lora_rank: int = 16

    @property
    def from_bucket(self) -> bool:
        return "://" in self.model

    @property
    def bucket_adapters(self) -> tuple[tuple[str, str], ...]:
        """The adapters copied from a bucket before the server starts."""
        return tuple((name, source) for name, source in self.adapters if "://" in source)

    @property
    def needs_hub(self) -> bool:
        """Whether the server downloads from the Hugging Face Hub: its weights, or an
        adapter named by its Hub id."""
        return not self.from_bucket or any("://" not in s for _, s in self.adapters)

    @property
    def reads_bucket(self) -> bool:
        return self.from_bucket or bool(self.bucket_adapters)

    @property
    def vllm_dtype(self) -> Dtype:
        """The activation dtype vLLM runs: the plain AWQ and GPTQ kernels take float16 only
        (awq.py / gptq.py `get_supported_act_dtypes`), and a checkpoint that cannot use Marlin
        falls back to them, so a quantized model asked for bfloat16 runs float16."""
        if self.quantization in DETECTED_QUANTIZATION and self.dtype is Dtype.BFLOAT16:
            return Dtype.FLOAT16
        return self.dtype


def storage_uri(source: str) -> str:
    """The S3 URI a container reads a bucket source at. `models://<prefix>` becomes
    `s3://$(MODELS_BUCKET)/<prefix>`: the container's MODELS_BUCKET holds the models
    bucket's generated name, and the kubelet expands `$(VAR)` references to a container's
    own variables in its command and arguments (Kubernetes API, Container.args: "Variable
    references $(VAR_NAME) are expanded using the container's environment")."""
    if source.startswith(MODELS_SCHEME):
        return f"s3://$({MODELS_BUCKET_ENV})/{source.removeprefix(MODELS_SCHEME)}"
    return source


def image(engine: Engine) -> str:
    return image_contract(engine).image()


def command(engine: Engine) -> list[str]:
    """The image's own entrypoint, set explicitly: the arguments below are written for it."""
    return list(image_contract(engine).entrypoint.argv)


def engine_args(engine: Engine, spec: ServerSpec) -> list[str]:
    return vllm_args(spec) if engine is Engine.VLLM else tgi_args(spec)


def vllm_args(spec: ServerSpec) -> list[str]:
    """Arguments of the OpenAI API server module, the image's entrypoint. It takes the
    model only as `--model`: a positional lands in `model_tag`, which only `vllm serve`
    copies into the model, so the server would load its default model instead."""
    args = [
        f"--model={storage_uri(spec.model)}",
        f"--served-model-name={spec.served_name}",
        f"--port={HTTP_PORT}",
        f"--tensor-parallel-size={spec.tensor_parallel_size}",
        *_pipeline_args(spec),
        f"--gpu-memory-utilization={spec.gpu_memory_utilization}",
        f"--dtype={spec.vllm_dtype.value}",
        f"--download-dir={MODEL_CACHE}",
    ]
    if spec.max_model_len_tokens is not None:
        args.append(f"--max-model-len={spec.max_model_len_tokens}")
    if spec.quantization is not None and spec.quantization not in DETECTED_QUANTIZATION:
        args.append(f"--quantization={spec.quantization.value}")
    args.append("--enable-prefix-caching" if spec.prefix_caching else "--no-enable-prefix-caching")
    if spec.from_bucket:
        # Streams safetensors from the bucket straight to the GPUs, through the pod's
        # workload identity: no Hub token, no full copy on disk first.
        args.append("--load-format=runai_streamer")
    if spec.adapters:
        # vllm/engine/arg_utils.py:825-850 in the 0.11.0 wheel; `--lora-modules` takes
        # `name=path` items, a Hugging Face id as the path being downloaded at start
        # (vllm/entrypoints/openai/cli_args.py:33-66, vllm/lora/utils.py:206-240); it goes
        # last, as it takes every item up to the next flag (nargs "+", arg_utils.py:229)
        args += [
            "--enable-lora",
            f"--max-loras={spec.max_loras}",
            f"--max-lora-rank={spec.max_lora_rank}",
            # every adapter stays in CPU memory once loaded: with fewer CPU slots than
            # adapters (the default is max_loras: vllm/config/lora.py) an evicted one is
            # fetched again inside the engine's step, and a failure there stops the engine
            f"--max-cpu-loras={max(spec.max_loras, len(spec.adapters))}",
            "--lora-modules",
            *(f"{name}={adapter_location(name, source)}" for name, source in spec.adapters),
        ]
    return args


def _pipeline_args(spec: ServerSpec) -> list[str]:
    """Stages across nodes run on Ray, the backend vLLM 0.11.0 requires for more than one
    node (docs/serving/parallelism_scaling.md: "Multi-node vLLM deployments require Ray";
    vllm/config/parallel.py:34,447-478 picks it by itself when the GPUs span nodes, named
    here so the intent is on the command line); flags from vllm/engine/arg_utils.py:649-656."""
    if spec.pipeline_parallel_size == 1:
        return []
    return [
        f"--pipeline-parallel-size={spec.pipeline_parallel_size}",
        "--distributed-executor-backend=ray",
    ]


def adapter_location(name: str, source: str) -> str:
    """What `--lora-modules` names for an adapter: its Hugging Face id, which vLLM downloads
    at start, or for one from a bucket the model cache directory the init container copies
    it into (an absolute path vLLM loads as it is: vllm/lora/utils.py:224-225)."""
    return f"{ADAPTERS_DIR}/{name}" if "://" in source else source


def tgi_input_tokens(max_total_tokens: int) -> int:
    """The prompt budget within TGI's total; TGI needs it strictly below the total."""
    if max_total_tokens > 2 * TGI_MIN_NEW_TOKENS:
        return max_total_tokens - TGI_MIN_NEW_TOKENS
    return max_total_tokens // 2


def tgi_args(spec: ServerSpec) -> list[str]:
    """Arguments of `text-generation-launcher` (the image's entrypoint)."""
    if spec.from_bucket:
        raise ValueError(
            f"{spec.served_name}: TGI cannot load weights from a bucket URI ({spec.model}); "
            "use engine: vllm or an hf_model_id"
        )
    if spec.pipeline_parallel_size > 1:
        raise ValueError(f"{spec.served_name}: TGI serves a replica on one node only")
    args = [
        f"--model-id={spec.model}",
        f"--port={HTTP_PORT}",
        f"--prometheus-port={METRICS_PORTS[Engine.TGI]}",
        f"--num-shard={spec.tensor_parallel_size}",
        f"--cuda-memory-fraction={spec.gpu_memory_utilization}",
        f"--huggingface-hub-cache={MODEL_CACHE}",
        "--usage-stats=off",
    ]
    if spec.max_model_len_tokens is not None:
        args += [
            f"--max-total-tokens={spec.max_model_len_tokens}",
            f"--max-input-tokens={tgi_input_tokens(spec.max_model_len_tokens)}",
        ]
    if spec.quantization is not None:
        # TGI takes the dtype from the quantized checkpoint; it refuses both flags together.
        args.append(f"--quantize={spec.quantization.value}")
    elif spec.dtype is not Dtype.AUTO:
        args.append(f"--dtype={spec.dtype.value}")
    return args


def engine_env(engine: Engine, spec: ServerSpec) -> dict[str, str]:
    """Plain environment: what the image needs under our uid, caches under writable
    volumes, no telemetry."""
    env = {
        **image_contract(engine).required_env(),
        # The root filesystem is read-only; everything an engine writes to $HOME (compile
        # caches, configs) lands in the /tmp emptyDir.
        "HOME": "/tmp",
        "HF_HOME": MODEL_CACHE,
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "DO_NOT_TRACK": "1",
    }
    if engine is Engine.VLLM:
        env["VLLM_NO_USAGE_STATS"] = "1"
    elif not spec.prefix_caching:
        # Only ever to turn it off: the launcher turns prefix caching off by itself for the
        # models that cannot use it (VLM, seq2seq, LoRA, unsupported head sizes), and only
        # when PREFIX_CACHING is unset (launcher/src/main.rs resolve_attention).
        env["PREFIX_CACHING"] = "0"
    return env
