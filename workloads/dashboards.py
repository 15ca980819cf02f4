"""Grafana dashboards (serving, GPU, cost) as JSON documents (pure)."""

import json
from collections.abc import Mapping
from typing import Any

# DCGM's `modelName` label is the driver's device name (NVML); per llm-infra GPU type, the
# names of every instance the catalog has on any cloud, as a PromQL regex (anchored at both
# ends). The A10G is AWS's variant of the A10 that Azure's NVadsA10 v5 sizes carry
# ("NVIDIA A10", or "NVIDIA A10-<n>Q" under Azure's vGPU driver); "A10" alone would also
# match the A100s.
DCGM_MODEL_NAMES = {
    "a10g": "NVIDIA A10(G|-[0-9]+[A-Z])?",
    "l4": "NVIDIA L4",
    "a100-40gb": "NVIDIA A100[- ].*40GB.*",
    "a100-80gb": "NVIDIA A100[- ].*80GB.*",
    "h100": "NVIDIA H100( .*)?",
}
# Dashboards sum sampled gauges over time at this step; a sample stands for a step.
STEP_MINUTES = 5


def _panel(index: int, title: str, targets: Mapping[str, str], unit: str) -> dict[str, Any]:
    return {
        "id": index + 1,
        "type": "timeseries",
        "title": title,
        "gridPos": {"h": 8, "w": 12, "x": (index % 2) * 12, "y": (index // 2) * 8},
        "datasource": {"type": "prometheus", "uid": "prometheus"},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [
            {"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend}
            for i, (legend, expr) in enumerate(targets.items())
        ],
    }


def _dashboard(uid: str, title: str, panels: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "tags": ["llm-infra"],
        "timezone": "utc",
        "schemaVersion": 39,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "panels": panels,
    }


def serving_dashboard() -> dict[str, Any]:
    by = "sum by (service)"
    return _dashboard(
        "llm-serving",
        "LLM serving",
        [
            _panel(
                0,
                "Generated tokens per second",
                {
                    "{{service}} (vLLM)": f"{by} (rate(vllm:generation_tokens_total[5m]))",
                    "{{service}} (TGI)": f"{by} (rate(tgi_request_generated_tokens_sum[5m]))",
                },
                "short",
            ),
            _panel(
                1,
                "Time to first token, p95",
                {
                    "{{service}}": "histogram_quantile(0.95, sum by (service, le) "
                    "(rate(vllm:time_to_first_token_seconds_bucket[5m])))"
                },
                "s",
            ),
            _panel(
                2,
                "Requests waiting",
                {
                    "{{service}} (vLLM)": f"{by} (vllm:num_requests_waiting)",
                    "{{service}} (TGI)": f"{by} (tgi_queue_size)",
                },
                "short",
            ),
            _panel(
                3,
                "KV cache usage",
                {
                    "{{service}}": "max by (service) "
                    "(vllm:kv_cache_usage_perc or vllm:gpu_cache_usage_perc)"
                },
                "percentunit",
            ),
        ],
    )


def gpu_dashboard() -> dict[str, Any]:
    pod = "{{namespace}}/{{pod}} GPU {{gpu}}"
    return _dashboard(
        "llm-gpus",
        "GPUs",
        [
            _panel(0, "GPU utilisation", {pod: "DCGM_FI_DEV_GPU_UTIL"}, "percent"),
            _panel(1, "GPU memory used", {pod: "DCGM_FI_DEV_FB_USED * 1024 * 1024"}, "bytes"),
            _panel(2, "GPU power", {pod: "DCGM_FI_DEV_POWER_USAGE"}, "watt"),
            _panel(
                3,
                "GPUs by model",
                {"{{modelName}}": "count by (modelName) (DCGM_FI_DEV_GPU_UTIL)"},
                "short",
            ),
        ],
    )


def gpu_count(gpu: str) -> str:
    """GPUs of one type present now (0 when none)."""
    return f'(count(DCGM_FI_DEV_GPU_UTIL{{modelName=~"{DCGM_MODEL_NAMES[gpu]}"}}) or vector(0))'


def over_last_day(per_hour: str) -> str:
    """A per-hour quantity summed over the last 24 hours: its value every step, times the
    step in hours (a sample count would count steps, not hours)."""
    return f"sum_over_time(({per_hour})[24h:{STEP_MINUTES}m]) * {STEP_MINUTES} / 60"


def cost_dashboard(gpu_hourly_usd: Mapping[str, float]) -> dict[str, Any]:
    """GPU hours × the catalog's price per GPU hour, per GPU type the stack uses."""
    rate = (
        " + ".join(f"{gpu_count(gpu)} * {price}" for gpu, price in sorted(gpu_hourly_usd.items()))
        or "vector(0)"
    )
    return _dashboard(
        "llm-cost",
        "GPU cost",
        [
            _panel(0, "GPU cost per hour (USD)", {"USD/h": rate}, "currencyUSD"),
            _panel(
                1,
                "GPU hours (last 24h)",
                {"GPU hours": over_last_day("count(DCGM_FI_DEV_GPU_UTIL) or vector(0)")},
                "short",
            ),
            _panel(2, "GPU cost, last 24h (USD)", {"USD": over_last_day(rate)}, "currencyUSD"),
            _panel(
                3,
                "Idle GPUs",
                {"idle": "count(DCGM_FI_DEV_GPU_UTIL < 1) or vector(0)"},
                "short",
            ),
        ],
    )


# Envoy AI Gateway's token and request metrics (OTel GenAI names as Prometheus exports them:
# envoyproxy/ai-gateway@v1.1.0 internal/metrics/genai.go:14-60, metrics_impl.go:110-181; its
# own dashboard queries gen_ai_client_token_usage_sum: examples/monitoring/
# grafana-dashboard.json), with the caller's name as the label the gateway maps from its
# client header (controller.metricsRequestHeaderAttributes).
TOKENS = "gen_ai_client_token_usage_sum"
REQUESTS = "gen_ai_server_request_duration_seconds_count"
CLIENT_LABEL = "llm_infra_client"
MODEL_LABEL = "gen_ai_request_model"


def tokens(kind: str, model: str | None = None) -> str:
    """Token counter of one type (`input`, `output`; v1.1.0 records no `total`)."""
    match = f'gen_ai_token_type="{kind}"' + (f',{MODEL_LABEL}="{model}"' if model else "")
    return f"{TOKENS}{{{match}}}"


def client_cost_last_day(usd_per_million_output: Mapping[str, float]) -> str:
    """Per client, the last 24 hours' output tokens of each model times that model's
    planned cost per million output tokens (GPU time / throughput, from `llm-infra cost`)."""
    terms = [
        f"increase({tokens('output', model)}[24h]) * {price / 1e6:.10g}"
        for model, price in sorted(usd_per_million_output.items())
    ]
    return f"sum by ({CLIENT_LABEL}) ({' or '.join(terms)})" if terms else "vector(0)"


def usage_dashboard(usd_per_million_output: Mapping[str, float]) -> dict[str, Any]:
    """What each client (API key or token claim) asks of each model, and what it costs."""
    by = f"sum by ({CLIENT_LABEL}, {MODEL_LABEL})"
    who = f"{{{{{CLIENT_LABEL}}}}} → {{{{{MODEL_LABEL}}}}}"
    return _dashboard(
        "llm-gateway-usage",
        "Gateway usage and cost per client",
        [
            _panel(0, "Requests per second", {who: f"{by} (rate({REQUESTS}[5m]))"}, "reqps"),
            _panel(
                1,
                "Input tokens per second",
                {who: f"{by} (rate({tokens('input')}[5m]))"},
                "short",
            ),
            _panel(
                2,
                "Output tokens per second",
                {who: f"{by} (rate({tokens('output')}[5m]))"},
                "short",
            ),
            _panel(
                3,
                "Cost per client, last 24h (USD, output tokens × planned $ per million)",
                {f"{{{{{CLIENT_LABEL}}}}}": client_cost_last_day(usd_per_million_output)},
                "currencyUSD",
            ),
        ],
    )


def dashboards(
    gpu_hourly_usd: Mapping[str, float],
    usd_per_million_output: Mapping[str, float] | None = None,
) -> dict[str, str]:
    """File name → dashboard JSON, as the Grafana sidecar loads them; the gateway's usage
    dashboard when there is a gateway (`usd_per_million_output`, per served model)."""
    found = {
        "llm-serving.json": json.dumps(serving_dashboard(), indent=2, sort_keys=True),
        "llm-gpus.json": json.dumps(gpu_dashboard(), indent=2, sort_keys=True),
        "llm-cost.json": json.dumps(cost_dashboard(gpu_hourly_usd), indent=2, sort_keys=True),
    }
    if usd_per_million_output is not None:
        found["llm-gateway-usage.json"] = json.dumps(
            usage_dashboard(usd_per_million_output), indent=2, sort_keys=True
        )
    return found
