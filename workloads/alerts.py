"""Alerting rules for serving, GPUs and Qdrant, as a PrometheusRule spec (pure)."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AlertThresholds:
    ttft_p95_seconds: float = 2.0
    """Time to first token, 95th percentile, above which users notice."""
    requests_waiting: int = 10
    """Requests queued on one model for 5 minutes: the autoscaler is not keeping up."""
    kv_cache_usage: float = 0.9
    gpu_idle_hours: int = 1
    restarts_per_30m: int = 2


def _alert(name: str, expr: str, duration: str, severity: str, summary: str) -> dict[str, Any]:
    return {
        "alert": name,
        "expr": expr,
        "for": duration,
        "labels": {"severity": severity},
        "annotations": {"summary": summary},
    }


def rule_groups(
    thresholds: AlertThresholds, *, serving_namespace: str, data_namespace: str, qdrant: str
) -> list[dict[str, Any]]:
    t = thresholds
    ours = f'namespace=~"{serving_namespace}|{data_namespace}"'
    serving = [
        _alert(
            "LLMTimeToFirstTokenHigh",
            "histogram_quantile(0.95, sum by (namespace, service, le) "
            "(rate(vllm:time_to_first_token_seconds_bucket[5m]))) "
            f"> {t.ttft_p95_seconds}",
            "10m",
            "warning",
            f"{{{{ $labels.service }}}}: p95 time to first token above {t.ttft_p95_seconds}s",
        ),
        _alert(
            "LLMRequestsWaiting",
            f"(sum by (namespace, service) (vllm:num_requests_waiting) > {t.requests_waiting}) "
            f"or (sum by (namespace, service) (tgi_queue_size) > {t.requests_waiting})",
            "5m",
            "warning",
            f"{{{{ $labels.service }}}}: more than {t.requests_waiting} requests waiting "
            "for 5 minutes",
        ),
        _alert(
            "LLMKVCacheNearlyFull",
            "max by (namespace, service) "
            "(vllm:kv_cache_usage_perc or vllm:gpu_cache_usage_perc) "
            f"> {t.kv_cache_usage}",
            "5m",
            "warning",
            f"{{{{ $labels.service }}}}: KV cache above {t.kv_cache_usage:.0%}; requests "
            "are being preempted",
        ),
    ]
    gpus = [
        _alert(
            "GPUIdle",
            # A node whose every GPU did nothing for the whole window still costs its price.
            f"max by (Hostname) (max_over_time(DCGM_FI_DEV_GPU_UTIL[{t.gpu_idle_hours}h])) < 1",
            "5m",
            "info",
            f"{{{{ $labels.Hostname }}}}: GPUs idle for {t.gpu_idle_hours}h while the node "
            "runs (cost)",
        ),
    ]
    data = [
        _alert(
            "QdrantDown",
            f'(up{{namespace="{data_namespace}",service="{qdrant}"}} == 0) or '
            f'absent(up{{namespace="{data_namespace}",service="{qdrant}"}})',
            "5m",
            "critical",
            "Qdrant is down or not scraped",
        ),
    ]
    pods = [
        _alert(
            "PodRestarting",
            f"increase(kube_pod_container_status_restarts_total{{{ours}}}[30m]) "
            f"> {t.restarts_per_30m}",
            "0m",
            "warning",
            "{{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) restarts",
        ),
        _alert(
            "ContainerOOMKilled",
            f'(kube_pod_container_status_last_terminated_reason{{reason="OOMKilled",{ours}}} '
            "== 1) and on (namespace, pod, container) "
            f"(increase(kube_pod_container_status_restarts_total{{{ours}}}[15m]) > 0)",
            "0m",
            "warning",
            "{{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) was OOM-killed",
        ),
    ]
    return [
        {"name": "llm-serving", "rules": serving},
        {"name": "llm-gpus", "rules": gpus},
        {"name": "llm-data", "rules": data},
        {"name": "llm-pods", "rules": pods},
    ]
