import json

from workloads.dashboards import DCGM_MODEL_NAMES, cost_dashboard, dashboards


def exprs(dashboard):
    return " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])


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
