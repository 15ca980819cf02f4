from components.catalog import catalog
from components.catalog.pricing import price_catalog
from components.enums import Cloud, GpuType, Quantization
from components.sizing.library import load_model
from components.sizing.lora import LoraSlots
from components.sizing.memory import fit
from components.sizing.recommend import MIN_SEQUENCES, longest_context, recommend
from components.sizing.throughput import EFFICIENCY, decode_throughput, usd_per_million_tokens


def test_the_recommendation_is_the_cheapest_setup_that_holds_enough_sequences():
    arch = load_model("Llama-3.1-70B-Instruct")
    best = recommend(
        arch, catalog=catalog(), prices=price_catalog(), cloud=Cloud.AWS, max_model_len=8192
    )
    assert best is not None and best.fit.fits
    assert best.fit.max_concurrent_sequences >= MIN_SEQUENCES
    # nothing in the catalog that also qualifies is cheaper
    for instance in catalog().instances[Cloud.AWS]:
        if not instance.default:
            continue
        per_gpu = price_catalog().instance(Cloud.AWS, instance.name).usd / instance.gpus
        for gpus in (1, 2, 4, 8):
            if gpus > instance.gpus:
                continue
            other = fit(
                arch,
                gpu_memory_gib=catalog().gpu_memory_gib(instance),
                gpus=gpus,
                max_model_len=8192,
            )
            if other.fits and other.max_concurrent_sequences >= MIN_SEQUENCES:
                assert per_gpu * gpus >= best.usd_per_hour - 1e-9


def test_a_model_no_setup_holds_gets_no_recommendation():
    arch = load_model("Llama-3.1-405B-Instruct")
    assert (
        recommend(
            arch, catalog=catalog(), prices=price_catalog(), cloud=Cloud.GCP, max_model_len=131072
        )
        is None
    )


def test_quantization_makes_a_smaller_setup_enough():
    arch = load_model("Llama-3.1-70B-Instruct")
    plain = recommend(
        arch, catalog=catalog(), prices=price_catalog(), cloud=Cloud.AWS, max_model_len=8192
    )
    awq = recommend(
        arch,
        catalog=catalog(),
        prices=price_catalog(),
        cloud=Cloud.AWS,
        max_model_len=8192,
        quantization=Quantization.AWQ,
    )
    assert plain and awq and awq.usd_per_hour < plain.usd_per_hour


def test_longest_context_is_the_edge_of_fitting():
    arch = load_model("Llama-3.1-8B-Instruct")
    memory = catalog().gpus[GpuType.L4].memory_gib
    longest = longest_context(arch, gpu_memory_gib=memory, gpus=1)
    assert longest is not None and longest % 1024 == 0
    assert fit(arch, gpu_memory_gib=memory, gpus=1, max_model_len=longest).fits
    assert not fit(arch, gpu_memory_gib=memory, gpus=1, max_model_len=longest + 1024).fits


def test_decode_throughput_follows_the_bandwidth_formula():
    arch = load_model("Llama-3.1-8B-Instruct")
    result = fit(arch, gpu_memory_gib=80, gpus=1, max_model_len=4096)
    speed = decode_throughput(result, bandwidth_gbps=2039)
    step_bytes = (
        result.weights_bytes_per_gpu
        + speed.batch * speed.context_tokens * result.kv_bytes_per_token_per_gpu
    )
    expected = speed.batch / (step_bytes / (2039e9 * EFFICIENCY))
    assert abs(speed.output_tokens_per_second - expected) < 1e-6
    assert speed.batch == 64  # an 80 GB GPU holds far more than the batch cap
    # twice the bandwidth, twice the tokens
    assert abs(decode_throughput(result, 4078).output_tokens_per_second - 2 * expected) < 1e-6


def test_cost_per_million_tokens():
    arch = load_model("Llama-3.1-8B-Instruct")
    speed = decode_throughput(fit(arch, gpu_memory_gib=80, gpus=1, max_model_len=4096), 2039)
    per_million = usd_per_million_tokens(3.6, speed)
    assert per_million is not None
    assert abs(per_million - 3.6 / (speed.output_tokens_per_second * 3600) * 1e6) < 1e-9
    unfit = decode_throughput(fit(arch, gpu_memory_gib=10, gpus=1, max_model_len=4096), 600)
    assert usd_per_million_tokens(1.0, unfit) is None


def test_a_setup_recommended_for_a_model_with_adapters_holds_their_slots():
    # the slots' memory comes out of the KV cache (components/sizing/lora.py), so the fix a
    # failed fit suggests must be sized with them, or it may not fit either
    arch = load_model("meta-llama/Llama-3.1-8B-Instruct")
    slots = LoraSlots(max_loras=8, max_rank=64)
    plain = longest_context(arch, gpu_memory_gib=22.49, gpus=1)
    with_slots = longest_context(arch, gpu_memory_gib=22.49, gpus=1, lora=slots)
    assert plain is not None and with_slots is not None and with_slots < plain
    found = recommend(
        arch,
        catalog=catalog(),
        prices=price_catalog(),
        cloud=Cloud.AWS,
        max_model_len=arch.max_position_embeddings,
        lora=slots,
    )
    assert found is not None
    assert found.fit.lora_bytes_per_gpu > 0
    again = fit(
        arch,
        gpu_memory_gib=catalog().gpu_memory_gib(found.instance),
        gpus=found.gpus,
        max_model_len=arch.max_position_embeddings,
        lora=slots,
    )
    assert again.fits and again.max_concurrent_sequences >= MIN_SEQUENCES
