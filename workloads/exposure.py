"""How every server of ours is reached: a ClusterIP Service, a PodDisruptionBudget, a
NetworkPolicy admitting only the listed sources, and, with monitoring, a ServiceMonitor."""

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from workloads.monitors import service_monitor
from workloads.network import ingress_policy_spec
from workloads.wire import wire


def expose(
    name: str,
    *,
    metadata: Mapping[str, Any],
    selector: Mapping[str, str],
    ports: Sequence[Mapping[str, Any]],
    ingress: Sequence[Mapping[str, Any]],
    monitor: Mapping[str, Any] | None,
    monitoring: Sequence[pulumi.Resource],
    provider: k8s.Provider,
    parent: pulumi.Resource,
    opts: pulumi.ResourceOptions,
    service_annotations: Mapping[str, str] | None = None,
    disruption_selector: Mapping[str, str] | None = None,
) -> k8s.core.v1.Service:
    """Creates `<name>-service`, `<name>-pdb` (one pod down at a time), `<name>-network-policy`
    and, when `monitor` is given and the monitoring operators exist, `<name>-service-monitor`.
    `service_annotations` go on the Service only (e.g. how long Pulumi waits for it);
    `disruption_selector`, when given, is what the PDB counts instead of `selector` (every
    pod of a group, where the Service selects its leaders only).
    """
    service_metadata = dict(metadata)
    if service_annotations:
        service_metadata["annotations"] = {
            **(metadata.get("annotations") or {}),
            **service_annotations,
        }
    service = k8s.core.v1.Service(
        f"{name}-service",
        metadata=wire(service_metadata),
        spec=wire({"type": "ClusterIP", "selector": dict(selector), "ports": list(ports)}),
        opts=opts,
    )
    k8s.policy.v1.PodDisruptionBudget(
        f"{name}-pdb",
        metadata=wire(dict(metadata)),
        spec=wire(
            {
                "maxUnavailable": 1,
                "selector": {"matchLabels": dict(disruption_selector or selector)},
            }
        ),
        opts=opts,
    )
    k8s.networking.v1.NetworkPolicy(
        f"{name}-network-policy",
        metadata=wire(dict(metadata)),
        spec=wire(ingress_policy_spec(selector, [dict(rule) for rule in ingress])),
        opts=opts,
    )
    if monitor is not None and monitoring:
        service_monitor(
            f"{name}-service-monitor",
            metadata=metadata,
            spec=monitor,
            provider=provider,
            parent=parent,
            operator=[*monitoring, service],
        )
    return service
