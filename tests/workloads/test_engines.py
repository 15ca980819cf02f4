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


def test_vllm_runs_the_api_server_module_and_names_the_model_with_a_flag():
    # vllm-project/vllm@v0.11.0: docker/Dockerfile:542 ENTRYPOINT ["python3", "-m",
    # "vllm.entrypoints.openai.api_server"]. That module's parser takes a positional
    # `model_tag` (vllm/entrypoints/openai/cli_args.py:241) but never copies it into the
    # model (api_server.py:1947-1953; only `vllm serve` does, cli/serve.py:47-48), so a bare
    # positional would serve the default model, Qwen/Qwen3-0.6B (vllm/config/model.py:92),
    # under our name. The command is set explicitly and the model passed as --model.
    assert engines.command(Engine.VLLM) == ["python3", "-m", "vllm.entrypoints.openai.api_server"]
    args = vllm_args(SPEC)
    assert args[0] == "--model=meta-llama/Llama-3.1-70B-Instruct"
    assert not [a for a in args if not a.startswith("--")], "no positional argument"


def test_vllm_gets_tensor_parallel_context_and_memory():
    args = vllm_args(SPEC)
    assert "--tensor-parallel-size=4" in args
    assert "--max-model-len=32768" in args
    assert "--gpu-memory-utilization=0.92" in args
    assert "--dtype=bfloat16" in args
    assert "--enable-prefix-caching" in args
    assert f"--port={engines.HTTP_PORT}" in args
    assert not any(a.startswith("--quantization") for a in args)


@pytest.mark.parametrize("method", [Quantization.AWQ, Quantization.GPTQ])
def test_vllm_detects_awq_and_gptq_from_the_checkpoint_in_float16(method):
    # vllm-project/vllm@v0.11.0: awq_marlin.py:110-126 and gptq_marlin.py:181-196 pick the
    # Marlin kernel only when the user named no method (or the Marlin one); naming `awq` or
    # `gptq` forces the slow kernel. A checkpoint Marlin cannot take falls back to awq.py /
    # gptq.py, whose get_supported_act_dtypes is [torch.half] (awq.py:56-57, gptq.py:102-103),
    # and config/__init__.py:267-272 rejects any other dtype; Marlin takes half and bfloat16
    # (awq_marlin.py:86-87). So: no --quantization, and float16 for the default bfloat16.
    args = vllm_args(ServerSpec(model="x/y-AWQ", served_name="y", quantization=method))
    assert not any(a.startswith("--quantization") for a in args)
    assert "--dtype=float16" in args
    auto = vllm_args(
        ServerSpec(model="x/y", served_name="y", quantization=method, dtype=Dtype.AUTO)
    )
    assert "--dtype=auto" in auto


def test_vllm_fp8_is_named_and_keeps_bfloat16():
    # fp8 is no override of a checkpoint format: naming it quantizes a bf16 checkpoint at
    # load; vllm-project/vllm@v0.11.0 quantization/fp8.py:110-111 takes bfloat16 and half.
    args = vllm_args(ServerSpec(model="x/y", served_name="y", quantization=Quantization.FP8))
    assert "--quantization=fp8" in args
    assert "--dtype=bfloat16" in args


def test_vllm_prefix_caching_off():
    args = vllm_args(ServerSpec(model="x/y", served_name="y", prefix_caching=False))
    assert "--no-enable-prefix-caching" in args
    assert not any(a.startswith("--max-model-len") for a in args)


def test_vllm_streams_weights_from_a_bucket():
    args = vllm_args(ServerSpec(model="s3://models/llama", served_name="llama"))
    assert args[0] == "--model=s3://models/llama"
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


def test_images_are_the_contracts_pinned_tags():
    assert engines.image(Engine.VLLM) == "vllm/vllm-openai:v0.11.0"
    assert engines.image(Engine.TGI) == "ghcr.io/huggingface/text-generation-inference:3.3.5"
    # TGI's own entrypoint (Dockerfile:249 at v3.3.5), set explicitly too
    assert engines.command(Engine.TGI) == ["/tgi-entrypoint.sh"]


def test_tgi_sends_no_usage_stats():
    # launcher/src/main.rs:891-895 at v3.3.5: --usage-stats defaults to "on"
    assert "--usage-stats=off" in tgi_args(SPEC)


def test_tgi_prefix_caching_is_left_to_the_launcher_unless_turned_off():
    # launcher/src/main.rs:131-199 at v3.3.5 (resolve_attention) turns prefix caching off for
    # VLM, seq2seq and LoRA models and unsupported head sizes only while PREFIX_CACHING is
    # unset; setting it to 1 would bypass those checks.
    assert "PREFIX_CACHING" not in engines.engine_env(Engine.TGI, SPEC)
    off = ServerSpec(model="x/y", served_name="y", prefix_caching=False)
    assert engines.engine_env(Engine.TGI, off)["PREFIX_CACHING"] == "0"


def test_vllm_has_a_user_name_under_an_arbitrary_uid():
    # torch 2.8.0 (vllm-project/vllm@v0.11.0 requirements/cuda.txt:9) names inductor's cache
    # dir after getpass.getuser() (torch/_inductor/runtime/cache_dir_utils.py:23), which
    # reads LOGNAME, USER, LNAME, USERNAME, then pwd.getpwuid(): uid 10001 has no passwd
    # entry in the image, so without these the first compile raises KeyError.
    env = engines.engine_env(Engine.VLLM, SPEC)
    assert env["USER"] and env["LOGNAME"]


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
