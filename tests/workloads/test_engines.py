import pytest

from components.enums import Dtype, Engine, Quantization
from workloads import engines
from workloads.engines import ServerSpec, tgi_args, tgi_input_tokens, vllm_args

SPEC = ServerSpec(
    model="meta-llama/Llama-3.1-70B-Instruct",
    served_name="llama-3-1-70b",
    tensor_parallel_size=4,
    max_model_len_tokens=32768,
    gpu_memory_utilization=0.92,
)


def test_vllm_gets_the_model_first_then_tensor_parallel_context_and_memory():
    args = vllm_args(SPEC)
    assert args[0] == "meta-llama/Llama-3.1-70B-Instruct"
    assert "--tensor-parallel-size=4" in args
    assert "--max-model-len=32768" in args
    assert "--gpu-memory-utilization=0.92" in args
    assert "--dtype=bfloat16" in args
    assert "--enable-prefix-caching" in args
    assert f"--port={engines.HTTP_PORT}" in args
    assert not any(a.startswith("--quantization") for a in args)


def test_vllm_quantization_and_prefix_caching_off():
    spec = ServerSpec(
        model="x/y", served_name="y", quantization=Quantization.AWQ, prefix_caching=False
    )
    args = vllm_args(spec)
    assert "--quantization=awq" in args
    assert "--no-enable-prefix-caching" in args
    assert not any(a.startswith("--max-model-len") for a in args)


def test_vllm_streams_weights_from_a_bucket():
    args = vllm_args(ServerSpec(model="s3://models/llama", served_name="llama"))
    assert args[0] == "s3://models/llama"
    assert "--load-format=runai_streamer" in args


def test_tgi_shards_across_the_gpus_and_splits_the_context():
    args = tgi_args(SPEC)
    assert "--model-id=meta-llama/Llama-3.1-70B-Instruct" in args
    assert "--num-shard=4" in args
    assert "--max-total-tokens=32768" in args
    assert f"--max-input-tokens={32768 - engines.TGI_MIN_NEW_TOKENS}" in args
    assert "--cuda-memory-fraction=0.92" in args
    assert "--dtype=bfloat16" in args
    assert f"--port={engines.HTTP_PORT}" in args


def test_tgi_takes_quantize_instead_of_dtype():
    args = tgi_args(ServerSpec(model="x/y", served_name="y", quantization=Quantization.GPTQ))
    assert "--quantize=gptq" in args
    assert not any(a.startswith("--dtype") for a in args)
    auto = tgi_args(ServerSpec(model="x/y", served_name="y", dtype=Dtype.AUTO))
    assert not any(a.startswith("--dtype") for a in auto)


def test_tgi_refuses_bucket_weights_with_the_fix():
    with pytest.raises(ValueError, match="engine: vllm"):
        tgi_args(ServerSpec(model="s3://b/m", served_name="m"))


@pytest.mark.parametrize("total", [128, 2048, 2049, 8192, 131072])
def test_tgi_input_budget_is_positive_and_below_the_total(total):
    assert 0 < tgi_input_tokens(total) < total


def test_images_are_pinned_and_overridable():
    for engine in Engine:
        tag = engines.image(engine).rsplit(":", 1)[1]
        assert tag and tag != "latest"
    assert engines.image(Engine.VLLM, "v0.10.2") == "vllm/vllm-openai:v0.10.2"


def test_each_engine_has_its_queue_metric():
    assert engines.QUEUE_METRICS == {
        Engine.VLLM: "vllm:num_requests_waiting",
        Engine.TGI: "tgi_queue_size",
    }


def test_engines_write_only_under_mounted_volumes():
    for engine in Engine:
        env = engines.engine_env(engine, SPEC)
        assert env["HOME"] == "/tmp"
        assert env["HF_HOME"] == engines.MODEL_CACHE
