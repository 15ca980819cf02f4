"""Many fine-tunes on one base: a model's LoRA adapters are served by its vLLM servers
(vLLM 0.11.0's --enable-lora, read from its wheel), their GPU slots come out of the KV cache,
and the gateway routes each adapter's name to the base model's servers."""

import json

import kubernetes_validate
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from components.enums import Engine
from components.sizing.library import find_model
from components.sizing.lora import LoraSlots, lora_bytes_per_gpu, lora_rank_for
from components.sizing.memory import fit
from infra.cli import main
from infra.config import ConfigError
from infra.diff import diff_plans
from infra.reports.diff import render_diff_markdown
from tests.harness import load, minimal_platform, plan_document, shipped_document, write_document
from tests.workloads.test_endpoint_picker import EPP_PLUGINS, named
from tests.workloads.test_gateway import custom_resources
from workloads.endpoint_picker import picker_name
from workloads.engines import ServerSpec, engine_args

P = "llm-infra:platform"
BASE = "llama-3-1-8b"
ADAPTERS = [
    {"name": "support-bot", "source": "example-org/llama-3.1-8b-support-lora", "rank": 16},
    {"name": "sql-writer", "source": "example-org/llama-3.1-8b-sql-lora", "rank": 64},
]
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
ROUTE = ("aigateway.envoyproxy.io/v1beta1", "AIGatewayRoute")


def with_adapters(adapters=ADAPTERS) -> dict:
    document = shipped_document("dev")
    (model,) = document["config"][P]["models"]
    model["adapters"] = list(adapters)
    return document


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    return plan_document(tmp_path_factory.mktemp("lora"), with_adapters(), stack="dev")


def server(plan):
    return named(plan, DEPLOYMENT, BASE)


def test_vllm_loads_the_adapters_at_start_with_slots_for_them():
    spec = ServerSpec(
        model="meta-llama/Llama-3.1-8B-Instruct",
        served_name=BASE,
        adapters=(("a", "org/a-lora"), ("b", "org/b-lora")),
        max_loras=2,
        max_lora_rank=64,
    )
    args = engine_args(Engine.VLLM, spec)
    # vllm/engine/arg_utils.py:825-850 and entrypoints/openai/cli_args.py:33-66 (0.11.0)
    assert args[-7:] == [
        "--enable-lora",
        "--max-loras=2",
        "--max-lora-rank=64",
        # every adapter kept in CPU memory: none is fetched again mid-step
        "--max-cpu-loras=2",
        "--lora-modules",
        "a=org/a-lora",
        "b=org/b-lora",
    ]
    assert "--enable-lora" not in engine_args(Engine.VLLM, ServerSpec(model="m/x", served_name="x"))


def test_the_rank_is_the_smallest_vllm_accepts_above_every_adapter():
    # vllm/config/lora.py:104 in the 0.11.0 wheel: 8, 16, 32, 64, 128, 256, 320, 512
    assert [lora_rank_for([r]) for r in (1, 8, 9, 16, 64, 65, 300, 512)] == [
        8, 8, 16, 16, 64, 128, 320, 512,
    ]  # fmt: skip
    with pytest.raises(ValueError):
        lora_rank_for([513])


def allocated(arch, gpus, slots):
    """The tensors vLLM 0.11.0 allocates per slot, listed one by one from its LoRA layers
    (lora/layers/base_linear.py, column_parallel_linear.py, vocal_parallel_embedding.py,
    logits_processor.py) for a Llama-family model: an independent count."""
    r, h, v = slots.max_rank, arch.hidden_size, arch.vocab_size
    q = arch.num_attention_heads * arch.head_dim // gpus
    kv = max(1, arch.num_kv_heads // gpus) * arch.head_dim
    i = arch.intermediate_size // gpus
    tensors = []
    for _ in range(arch.num_layers):
        tensors += [(r, h)] * 3 + [(q, r), (kv, r), (kv, r)]  # qkv: 3 slices
        tensors += [(r, q), (h, r)]  # o_proj, row parallel
        tensors += [(r, h)] * 2 + [(i, r), (i, r)]  # gate_up: 2 slices
        tensors += [(r, i), (h, r)]  # down_proj, row parallel
    tensors += [(v + 256, r), (h, r), (256, h)]  # embed_tokens
    # lm_head and its logits, over the vocabulary and the 256 extra rows (llama.py:541-566)
    tensors += [(r, h), (-(-(v + 256) // 256) * 256, r), (256, h)]
    base_rows = 2 * 256 * h  # the extra rows of the base embedding and LM head, once
    return (slots.max_loras * sum(a * b for a, b in tensors) + base_rows) * 2


@given(
    loras=st.integers(1, 8),
    rank=st.sampled_from([8, 16, 32, 64, 128]),
    gpus=st.sampled_from([1, 2, 4, 8]),
)
def test_the_slots_memory_is_what_vllm_allocates(loras, rank, gpus):
    arch = find_model("meta-llama/Llama-3.1-8B-Instruct")
    assert arch is not None
    slots = LoraSlots(loras, rank)
    assert lora_bytes_per_gpu(arch, gpus, slots) == allocated(arch, gpus, slots)


def test_the_slots_come_out_of_the_kv_cache():
    arch = find_model("meta-llama/Llama-3.1-8B-Instruct")
    assert arch is not None
    plain = fit(arch, gpu_memory_gib=24, gpus=1, max_model_len=8192)
    slots = LoraSlots(2, 64)
    served = fit(arch, gpu_memory_gib=24, gpus=1, max_model_len=8192, lora=slots)
    taken = lora_bytes_per_gpu(arch, 1, slots)
    assert served.lora_bytes_per_gpu == taken > 0
    assert served.kv_pool_bytes_per_gpu == plain.kv_pool_bytes_per_gpu - taken
    assert served.max_concurrent_sequences <= plain.max_concurrent_sequences


def test_the_stack_serves_both_adapters_from_the_base_models_servers(plan):
    (container,) = server(plan).inputs["spec"]["template"]["spec"]["containers"]
    args = container["args"]
    assert "--enable-lora" in args and "--max-loras=2" in args and "--max-lora-rank=64" in args
    assert args[-2:] == [f"{a['name']}={a['source']}" for a in ADAPTERS]
    notes = server(plan).inputs["metadata"]["annotations"]
    assert (notes["llm-infra.io/max-loras"], notes["llm-infra.io/max-lora-rank"]) == ("2", "64")
    (sizing,) = plan.sizing
    assert sizing["per_gpu"]["lora_bytes"] > 0 and sizing["fits"]


def test_the_adapters_route_waits_for_the_servers_that_load_them(plan):
    # until the rollout is done, the old servers would answer the adapter's name 404
    deployment = server(plan)
    for route in custom_resources(plan, *ROUTE):
        assert deployment.urn in route.dependencies


def test_the_gateway_routes_each_adapter_to_the_base_models_servers(plan):
    rules = {
        r["name"]: r
        for route in custom_resources(plan, *ROUTE)
        for r in route.inputs["spec"]["rules"]
    }
    # the base model's own rule keeps its endpoint picker
    assert rules[BASE]["backendRefs"][0]["kind"] == "InferencePool"
    backends = {
        b.inputs["metadata"]["name"]: b.inputs["spec"]
        for b in custom_resources(plan, "aigateway.envoyproxy.io/v1beta1", "AIServiceBackend")
    }
    for adapter in ADAPTERS:
        rule = rules[adapter["name"]]
        assert rule["matches"][0]["headers"][0]["value"] == adapter["name"]
        # through the model's Service, not its pool: AI Gateway v1.1.0 adds the pool's
        # picker filter once per route naming the pool (internal/extensionserver/
        # post_translate_modify.go:577-595,655-670), so a second rule would run it twice
        (ref,) = rule["backendRefs"]
        assert "kind" not in ref and ref["name"] in backends
        # and no rename: vLLM serves the adapter under its own name
        assert "modelNameOverride" not in ref
    pools = [
        ref
        for rule in rules.values()
        for ref in rule["backendRefs"]
        if ref.get("kind") == "InferencePool"
    ]
    assert len(pools) == 1  # one rule names the pool
    gateway = plan.outputs["workloads"]["gateway"]
    assert gateway["models"] == [BASE, *(a["name"] for a in ADAPTERS)]
    assert gateway["balancing"] == {
        BASE: "endpoint-picker",
        "support-bot": "service",
        "sql-writer": "service",
    }


def test_the_picker_sees_no_adapter_and_reads_no_lora_series(plan):
    namespace = server(plan).inputs["metadata"]["namespace"]
    picker = named(plan, DEPLOYMENT, picker_name(BASE), namespace)
    (container,) = picker.inputs["spec"]["template"]["spec"]["containers"]
    args = container["args"]
    assert args[args.index("--lora-info-metric") + 1] == ""
    config_map = named(plan, "kubernetes:core/v1:ConfigMap", picker_name(BASE), namespace)
    plugins = yaml.safe_load(next(iter(config_map.inputs["data"].values())))
    types = {p["type"] for p in plugins["plugins"]}
    assert "lora-affinity-scorer" not in types and types <= EPP_PLUGINS


def test_the_stack_with_adapters_renders_valid_objects_and_passes_the_checks(tmp_path, capsys):
    project = write_document(tmp_path, with_adapters(), stack="dev")
    assert main(["--project-dir", str(project), "check", "--stack", "dev"]) == 0
    assert "models fit: yes" in capsys.readouterr().out
    out = tmp_path / "rendered"
    assert main(["--project-dir", str(project), "render", "--stack", "dev", "--out", str(out)]) == 0
    deployment = yaml.safe_load((out / f"deployment-llm-serving-{BASE}.yaml").read_text())
    kubernetes_validate.validate(deployment, "1.34.0", strict=True)


def test_adding_an_adapter_is_a_rolling_restart_the_pr_diff_shows(plan, tmp_path):
    before = plan_document(tmp_path, with_adapters(ADAPTERS[:1]), stack="dev")
    diff = diff_plans(json.loads(before.to_json()), json.loads(plan.to_json()))
    updated = {(c.type, c.name) for c in diff.updated}
    assert (DEPLOYMENT, f"{BASE}-deployment") in updated
    assert "**model sql-writer** added" in render_diff_markdown(diff)


@pytest.mark.parametrize(
    ("change", "path", "says"),
    [
        ({"engine": "tgi"}, "models[0].adapters", "only the vLLM servers here load LoRA"),
        ({"adapters": [{**ADAPTERS[0], "name": "llama"}]}, "models[0].adapters[0].name", "already"),
        ({"adapters": [], "max_loras": 2}, "models[0].max_loras", "has no adapters"),
    ],
)
def test_config_refuses_adapters_it_cannot_serve(change, path, says):
    model = {**minimal_platform()["models"][0], "adapters": ADAPTERS[:1], **change}
    with pytest.raises(ConfigError) as error:
        load(minimal_platform(models=[model]))
    issues = [str(i) for i in error.value.issues]
    assert any(path in i and says in i for i in issues), issues
