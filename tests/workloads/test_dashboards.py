import json
import re

import pytest

from components.catalog import catalog
from components.enums import Cloud
from workloads.dashboards import (
    CLIENT_LABEL,
    DCGM_MODEL_NAMES,
    STEP_MINUTES,
    cost_dashboard,
    dashboards,
)
from workloads.gateway import CLIENT_HEADER, ai_gateway_values

# The device name the NVIDIA driver (NVML, so DCGM's `modelName` label) reports on each
# instance family of the catalog, per cloud: the GPU the cloud's instance pages name (AWS
# G5 "A10G", P4d "A100 40GB SXM4", P4de "A100 80GB", P5 "H100 80GB HBM3"; GCP A2 standard
# "A100 40GB", A2 ultra "A100 80GB", A3 High "H100 80GB"; Azure NVadsA10 v5 "A10", NC A100
# v4 "A100 80GB PCIe", ND A100 v4 "A100 40GB", NDm A100 v4 "A100 80GB", NC H100 v5
# "H100 NVL", ND H100 v5 "H100 80GB") written the way nvidia-smi names that part.
DEVICE_NAMES = {
    Cloud.AWS: {
        "g5.": ["NVIDIA A10G"],
        "g6.": ["NVIDIA L4"],
        "p4d.": ["NVIDIA A100-SXM4-40GB"],
        "p4de.": ["NVIDIA A100-SXM4-80GB"],
        "p5.": ["NVIDIA H100 80GB HBM3"],
    },
    Cloud.GCP: {
        "g2-": ["NVIDIA L4"],
        "a2-highgpu-": ["NVIDIA A100-SXM4-40GB"],
        "a2-ultragpu-": ["NVIDIA A100-SXM4-80GB"],
        "a3-highgpu-": ["NVIDIA H100 80GB HBM3"],
    },
    Cloud.AZURE: {
        # the full A10 with the datacenter driver, or its whole-GPU vGPU profile
        "Standard_NV36ads_A10_v5": ["NVIDIA A10", "NVIDIA A10-24Q"],
        "Standard_NV72ads_A10_v5": ["NVIDIA A10", "NVIDIA A10-24Q"],
        "Standard_NC24ads_A100_v4": ["NVIDIA A100 80GB PCIe"],
        "Standard_NC48ads_A100_v4": ["NVIDIA A100 80GB PCIe"],
        "Standard_NC96ads_A100_v4": ["NVIDIA A100 80GB PCIe"],
        "Standard_ND96amsr_A100_v4": ["NVIDIA A100-SXM4-80GB"],
        "Standard_ND96asr_v4": ["NVIDIA A100-SXM4-40GB"],
        "Standard_NC40ads_H100_v5": ["NVIDIA H100 NVL"],
        "Standard_NC80adis_H100_v5": ["NVIDIA H100 NVL"],
        "Standard_ND96isr_H100_v5": ["NVIDIA H100 80GB HBM3"],
    },
}


def exprs(dashboard):
    return " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])


def panel(dashboard, title):
    (found,) = [p for p in dashboard["panels"] if p["title"] == title]
    return found["targets"][0]["expr"]


def test_three_dashboards_as_json_files():
    files = dashboards({"l4": 0.8})
    assert set(files) == {"llm-serving.json", "llm-gpus.json", "llm-cost.json"}
    serving = json.loads(files["llm-serving.json"])
    text = exprs(serving)
    for metric in ("generation_tokens", "time_to_first_token", "num_requests_waiting", "kv_cache"):
        assert metric in text
    gpus = exprs(json.loads(files["llm-gpus.json"]))
    for metric in ("DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_POWER_USAGE"):
        assert metric in gpus


def test_cost_multiplies_gpu_count_by_each_gpu_price():
    text = exprs(cost_dashboard({"l4": 0.8048, "h100": 6.88}))
    assert "* 0.8048" in text and "* 6.88" in text
    assert DCGM_MODEL_NAMES["h100"] in text


@pytest.mark.parametrize("cloud", list(Cloud))
def test_every_catalog_gpu_on_every_cloud_is_priced_as_its_own_type(cloud):
    instances = catalog().instances[cloud]
    assert instances
    for instance in instances:
        (names,) = [
            n for prefix, n in DEVICE_NAMES[cloud].items() if instance.name.startswith(prefix)
        ]
        for name in names:
            matching = {
                gpu for gpu, pattern in DCGM_MODEL_NAMES.items() if re.fullmatch(pattern, name)
            }
            assert matching == {instance.gpu.value}, (instance.name, name, matching)


def test_gpu_hours_are_hours_not_samples():
    # count_over_time counts samples: over [24h:1h] it gave at most 24 whatever the GPUs.
    # The GPUs present at each step, times the step in hours, are GPU-hours.
    dashboard = cost_dashboard({"l4": 0.8})
    hours = panel(dashboard, "GPU hours (last 24h)")
    assert "count_over_time" not in exprs(dashboard)
    assert hours == (
        "sum_over_time((count(DCGM_FI_DEV_GPU_UTIL) or vector(0))"
        f"[24h:{STEP_MINUTES}m]) * {STEP_MINUTES} / 60"
    )
    cost = panel(dashboard, "GPU cost, last 24h (USD)")
    assert cost.startswith("sum_over_time((") and cost.endswith(f"* {STEP_MINUTES} / 60")
    assert "* 0.8" in cost


def test_the_gateway_usage_dashboard_prices_each_clients_output_tokens_per_model():
    """Per client: requests, input and output tokens per model (the AI Gateway's metrics
    with the client label), and the last day's output tokens × each model's planned cost
    per million output tokens."""
    files = dashboards({"l4": 0.8}, {"llama": 2.5, "qwen": 1.0})
    usage = json.loads(files["llm-gateway-usage.json"])
    text = exprs(usage)
    assert "gen_ai_server_request_duration_seconds_count" in text
    assert 'gen_ai_token_type="input"' in text and 'gen_ai_token_type="output"' in text
    assert text.count("sum by (llm_infra_client, gen_ai_request_model)") == 3
    cost = panel(usage, "Cost per client, last 24h (USD, output tokens × planned $ per million)")
    assert cost == (
        "sum by (llm_infra_client) ("
        'increase(gen_ai_client_token_usage_sum{gen_ai_token_type="output",'
        'gen_ai_request_model="llama"}[24h]) * 2.5e-06 or '
        'increase(gen_ai_client_token_usage_sum{gen_ai_token_type="output",'
        'gen_ai_request_model="qwen"}[24h]) * 1e-06)'
    )
    assert "llm-gateway-usage.json" not in dashboards({"l4": 0.8})


def test_the_label_is_the_one_the_ai_gateway_is_told_to_set():
    mapping = ai_gateway_values({})["controller"]["metricsRequestHeaderAttributes"]
    header, attribute = mapping.split(":")
    assert header == CLIENT_HEADER
    # the OpenTelemetry Prometheus exporter writes attribute dots as underscores
    assert attribute.replace(".", "_") == CLIENT_LABEL
