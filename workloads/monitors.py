"""Prometheus operator objects: ServiceMonitors, as plain specs and as resources."""

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from workloads.wire import wire

MONITORING_API = "monitoring.coreos.com/v1"
SCRAPE_INTERVAL = "15s"


def service_monitor_spec(
    namespace: str,
    selector: Mapping[str, str],
    port: str,
    *,
    path: str = "/metrics",
    extra: Mapping[str, Any] | None = None,
    without_labels: Sequence[str] = (),
) -> dict[str, Any]:
    """Scrapes the Services matching `selector` that carry none of `without_labels`: a
    Service that selects the same pods as another (a headless one for peer discovery)
    would get every pod scraped once per Service."""
    label_selector: dict[str, Any] = {"matchLabels": dict(selector)}
    if without_labels:
        label_selector["matchExpressions"] = [
            {"key": key, "operator": "DoesNotExist"} for key in without_labels
        ]
    return {
        "selector": label_selector,
        "namespaceSelector": {"matchNames": [namespace]},
        "endpoints": [{"port": port, "path": path, "interval": SCRAPE_INTERVAL, **(extra or {})}],
    }


def service_monitor(
    name: str,
    *,
    metadata: Mapping[str, Any],
    spec: Mapping[str, Any],
    provider: k8s.Provider,
    parent: pulumi.Resource,
    operator: Sequence[pulumi.Resource],
) -> k8s.apiextensions.CustomResource:
    """A ServiceMonitor created after the operator whose CRD defines it."""
    return k8s.apiextensions.CustomResource(
        name,
        api_version=MONITORING_API,
        kind="ServiceMonitor",
        metadata=wire(dict(metadata)),
        spec=wire(dict(spec)),
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=list(operator)),
    )
