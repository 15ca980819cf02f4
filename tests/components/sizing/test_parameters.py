import pytest

from components.sizing.architecture import ArchitectureError, from_hf_config
from components.sizing.library import find_model, known_models, load_config_file, load_model
from components.sizing.parameters import count_parameters

# Published safetensors totals of each model (its Hugging Face model card / index).
PUBLISHED = {
    "meta-llama/Llama-2-7b-hf": 6_738_415_616,
    "meta-llama/Llama-2-13b-hf": 13_015_864_320,
    "meta-llama/Llama-2-70b-hf": 68_976_648_192,
    "meta-llama/Meta-Llama-3-8B-Instruct": 8_030_261_248,
    "meta-llama/Llama-3.1-8B-Instruct": 8_030_261_248,
    "meta-llama/Llama-3.1-70B-Instruct": 70_553_706_496,
    "meta-llama/Llama-3.1-405B-Instruct": 405_853_388_800,
    "meta-llama/Llama-3.2-1B-Instruct": 1_235_814_400,
    "meta-llama/Llama-3.2-3B-Instruct": 3_212_749_824,
    "meta-llama/Llama-3.3-70B-Instruct": 70_553_706_496,
    "mistralai/Mistral-7B-Instruct-v0.3": 7_248_023_552,
    "mistralai/Mixtral-8x7B-Instruct-v0.1": 46_702_792_704,
    "mistralai/Mixtral-8x22B-v0.1": 140_620_634_112,
    "Qwen/Qwen2.5-7B-Instruct": 7_615_616_512,
    "Qwen/Qwen2.5-14B-Instruct": 14_770_033_664,
    "Qwen/Qwen2.5-32B-Instruct": 32_763_876_352,
    "Qwen/Qwen2.5-72B-Instruct": 72_706_203_648,
    "Qwen/Qwen3-8B": 8_190_735_360,
    "google/gemma-2-2b-it": 2_614_341_888,
    "google/gemma-2-9b-it": 9_241_705_984,
    "google/gemma-2-27b-it": 27_227_128_320,
    "microsoft/Phi-3-mini-4k-instruct": 3_821_079_552,
    "microsoft/Phi-3-medium-4k-instruct": 13_960_238_080,
    # Gemma 3: the safetensors totals (GGUF `general.parameter_count` of the same
    # checkpoints agrees); the 4B, 12B and 27B include the 416,866,032-parameter SigLIP
    # tower and the projector
    "google/gemma-3-1b-it": 999_885_952,
    "google/gemma-3-4b-it": 4_300_079_472,
    "google/gemma-3-12b-it": 12_187_325_040,
    "google/gemma-3-27b-it": 27_432_406_640,
    # gpt-oss: 20b from openai/gpt-oss examples/reinforcement-fine-tuning.ipynb:1807
    # ("Trainable parameters = 1,990,656 of 20,916,747,840", less the 1,990,656 LoRA
    # parameters); 120b from llama.cpp's and Ollama's parameter count of the checkpoint
    "openai/gpt-oss-20b": 20_914_757_184,
    "openai/gpt-oss-120b": 116_829_156_672,
    # DeepSeek-V2-Lite-Chat: its checkpoint's tensor-by-tensor count (15,706,484,224)
    "deepseek-ai/DeepSeek-V2-Lite-Chat": 15_706_484_224,
    # Mistral Small: 3 (text only) by its safetensors BF16 parameter count; 3.1 with its
    # Pixtral tower and projector by Keras-Hub's preset `params` for the same checkpoint
    "mistralai/Mistral-Small-24B-Instruct-2501": 23_572_403_200,
    "mistralai/Mistral-Small-3.1-24B-Instruct-2503": 24_011_361_280,
    # Phi-4: GGUF `general.parameter_count` and NVIDIA NeMo's `num_parameters` of
    # microsoft/phi-4; Phi-4-mini: its checkpoint's bytes (7,672,066,216) are twice this
    # plus the safetensors headers
    "microsoft/phi-4": 14_659_507_200,
    "microsoft/Phi-4-mini-instruct": 3_836_021_760,
    # Qwen3 MoE: the safetensors index `total_size` (bf16 bytes) halved: 61,064,245,248
    # and 470,187,269,120
    "Qwen/Qwen3-30B-A3B": 30_532_122_624,
    "Qwen/Qwen3-235B-A22B": 235_093_634_560,
    # Llama 4: the Hub's safetensors parameter count (Scout) and the provider-published
    # parameter count (Maverick), each with the vision tower and projector (871,932,416)
    "meta-llama/Llama-4-Scout-17B-16E-Instruct": 108_641_793_536,
    "meta-llama/Llama-4-Maverick-17B-128E-Instruct": 401_583_781_376,
}
# Totals published rounded: within 0.1% of them.
PUBLISHED_ROUNDED = {
    # deepseek-ai/DeepSeek-V3 README.md:47,99 ("671B total parameters"; the 685B on the Hub
    # add the 14B multi-token-prediction module, which serving without speculative
    # decoding does not load); R1 is V3's architecture (DeepSeek-R1 README.md:74-79)
    "deepseek-ai/DeepSeek-V3": 671e9,
    "deepseek-ai/DeepSeek-R1": 671e9,
}


def test_every_library_model_has_a_published_total():
    assert set(known_models()) == set(PUBLISHED) | set(PUBLISHED_ROUNDED)


@pytest.mark.parametrize(("model", "total"), sorted(PUBLISHED.items()))
def test_parameter_count_is_exact(model, total):
    assert count_parameters(load_model(model)).total == total


@pytest.mark.parametrize(("model", "total"), sorted(PUBLISHED_ROUNDED.items()))
def test_parameter_count_is_within_a_tenth_of_a_percent_of_a_rounded_total(model, total):
    assert abs(count_parameters(load_model(model)).total - total) <= total * 0.001


def test_tied_embeddings_have_no_separate_head():
    tied = count_parameters(load_model("Llama-3.2-1B-Instruct"))
    assert tied.lm_head == 0 and tied.embedding == 128256 * 2048
    untied = count_parameters(load_model("Llama-3.1-8B-Instruct"))
    assert untied.lm_head == untied.embedding


def test_explicit_head_dim_wins_over_hidden_over_heads():
    gemma = load_model("gemma-2-9b-it")  # 16 heads × 256 = 4096, not hidden 3584
    assert gemma.head_dim == 256
    q_and_o = 2 * 3584 * 16 * 256
    k_and_v = 2 * 3584 * 8 * 256
    assert count_parameters(gemma).attention == 42 * (q_and_o + k_and_v)


def test_qwen2_counts_qkv_biases_and_no_output_bias():
    qwen = count_parameters(load_model("Qwen2.5-7B-Instruct"))
    assert qwen.biases == 28 * (3584 + 2 * 512)


def test_mixture_of_experts_counts_every_expert_and_the_router():
    mixtral = count_parameters(load_model("Mixtral-8x7B-Instruct-v0.1"))
    assert mixtral.mlp == 32 * 8 * 3 * 4096 * 14336
    assert mixtral.router == 32 * 4096 * 8


def test_llama_attention_bias_flag_adds_q_k_v_and_o_biases():
    config = {
        "model_type": "llama",
        "vocab_size": 100,
        "hidden_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "intermediate_size": 128,
    }
    plain = count_parameters(from_hf_config(config, "x"))
    biased = count_parameters(from_hf_config({**config, "attention_bias": True}, "x"))
    assert biased.total - plain.total == 2 * (64 + 2 * 32 + 64)


def test_a_config_file_on_disk_is_read(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(
        '{"_name_or_path": "my/tune", "model_type": "mistral", "vocab_size": 32768, "hidden_size": 4096,'
        ' "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,'
        ' "head_dim": 128, "intermediate_size": 14336, "max_position_embeddings": 32768}'
    )
    arch = load_config_file(path)
    assert arch.name == "my/tune"
    assert count_parameters(arch).total == PUBLISHED["mistralai/Mistral-7B-Instruct-v0.3"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"model_type": "gpt2"},
            "model_type 'gpt2' is not a family the sizing counts exactly .*; size it as the "
            "library model it is shaped like",
        ),
        (
            {"model_type": "llama", "hidden_size": 4096},
            "needs positive integers for 'vocab_size' \\(got None\\), 'num_hidden_layers'",
        ),
        ({"model_type": "llama", "vocab_size": -1}, "'vocab_size' \\(got -1\\)"),
    ],
)
def test_configs_it_cannot_count_are_refused_with_the_reason(config, message):
    with pytest.raises(ArchitectureError, match=message):
        from_hf_config(config, "x")


def test_unknown_library_names_list_the_known_ones():
    assert find_model("no/such-model") is None
    with pytest.raises(ArchitectureError, match="--model-config"):
        load_model("no/such-model")


def test_library_names_match_by_id_or_short_name_in_any_case():
    assert find_model("QWEN2.5-7B-INSTRUCT") == find_model("Qwen/Qwen2.5-7B-Instruct")


@pytest.mark.parametrize(
    "model",
    [
        "Qwen/Qwen3-30B-A3B",
        "deepseek-ai/DeepSeek-V3",
        "deepseek-ai/DeepSeek-V2-Lite-Chat",
        "openai/gpt-oss-20b",
        "google/gemma-3-1b-it",
        "google/gemma-3-27b-it",
        "meta-llama/Llama-4-Scout-17B-16E-Instruct",
        "mistralai/Mistral-Small-3.1-24B-Instruct-2503",
        "microsoft/phi-4",
    ],
)
def test_size_takes_a_config_json_of_every_family(model, tmp_path, capsys):
    """`size --model-config` reads each family's config.json as the Hub serves it (a
    multimodal one with its text model under text_config)."""
    import json

    from components.sizing.library import _library
    from infra.cli import main

    path = tmp_path / "config.json"
    path.write_text(json.dumps({**_library()[model], "_name_or_path": model}))
    assert main(["size", "--model-config", str(path), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["parameters"] == count_parameters(load_model(model)).total
