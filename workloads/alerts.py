"""Alerting rules for serving, GPUs and Qdrant, as a PrometheusRule spec, and where
Alertmanager sends them (pure)."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

RECEIVERS_SECRET = "alert-receivers"
"""The Secret that holds each receiver's URL or key, under the receiver's name."""
# prometheus-operator (v0.86.1, pkg/alertmanager/statefulset.go: secretsDir) mounts every
# Secret listed in the Alertmanager's `spec.secrets` at /etc/alertmanager/secrets/<name>/.
SECRETS_DIR = "/etc/alertmanager/secrets"
# Alertmanager v0.28.1 (the chart's image) reads each secret from a file
# (config/notifiers.go): webhook `url_file`, Slack `api_url_file`, PagerDuty
# `routing_key_file`; the URL or key never appears in its configuration.
SECRET_FILE_FIELD = {
    "webhook": ("webhook_configs", "url_file"),
    "slack": ("slack_configs", "api_url_file"),
    "pagerduty": ("pagerduty_configs", "routing_key_file"),
}
NULL_RECEIVER = "null"
ReceiverKind = Literal["webhook", "slack", "pagerduty"]


@dataclass(frozen=True)
class Receiver:
    name: str
    kind: ReceiverKind
    severities: tuple[str, ...] = ("critical", "warning")
    channel: str | None = None
    """Slack only: the channel or user to post to; default the webhook's own."""

    @property
    def secret_file(self) -> str:
        return f"{SECRETS_DIR}/{RECEIVERS_SECRET}/{self.name}"


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
    thresholds: AlertThresholds,
    *,
    serving_namespace: str,
    data_namespace: str,
    qdrant: str,
    more_serving_namespaces: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """`more_serving_namespaces`: other namespaces model servers run in (TGI's own)."""
    t = thresholds
    watched = "|".join([serving_namespace, *more_serving_namespaces, data_namespace])
    ours = f'namespace=~"{watched}"'
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


def _receiver(receiver: Receiver) -> dict[str, Any]:
    configs, field = SECRET_FILE_FIELD[receiver.kind]
    entry: dict[str, Any] = {field: receiver.secret_file, "send_resolved": True}
    if receiver.channel is not None:
        entry["channel"] = receiver.channel
    return {"name": receiver.name, configs: [entry]}


def alertmanager_config(receivers: Sequence[Receiver]) -> dict[str, Any]:
    """kube-prometheus-stack's `alertmanager.config` for these receivers: every alert goes to
    each receiver that takes its severity, and the stack's always-firing Watchdog to none.

    Helm merges these maps into the chart's default config (its `global` and
    `inhibit_rules` stay); the `routes` and `receivers` lists replace the chart's."""
    routes: list[dict[str, Any]] = [
        {"receiver": NULL_RECEIVER, "matchers": ['alertname = "Watchdog"']}
    ]
    for receiver in receivers:
        severities = "|".join(receiver.severities)
        routes.append(
            {
                "receiver": receiver.name,
                "matchers": [f'severity =~ "{severities}"'],
                # and on to the next receiver: PagerDuty and Slack can both take a critical
                "continue": True,
            }
        )
    return {
        "route": {
            "receiver": NULL_RECEIVER,
            "group_by": ["namespace", "alertname"],
            "routes": routes,
        },
        "receivers": [{"name": NULL_RECEIVER}, *(_receiver(r) for r in receivers)],
    }
