"""Defaults that depend on the environment: dev is cheap, prod is hardened.

This table is the single source of those defaults: the loader applies it before
validation, and the config reference (docs/CONFIG.md) is generated from it.
"""

import copy
from collections.abc import Mapping
from typing import Any

from components.enums import CapacityType, EndpointAccess, Environment, NatStrategy

DEV, STAGING, PROD = Environment.DEV, Environment.STAGING, Environment.PROD

ENVIRONMENT_DEFAULTS: Mapping[str, Mapping[Environment, Any]] = {
    # One NAT gateway is a single zone of failure for egress; prod pays for one per zone.
    "network.nat": {
        DEV: NatStrategy.SINGLE,
        STAGING: NatStrategy.SINGLE,
        PROD: NatStrategy.ONE_PER_AZ,
    },
    "cluster.endpoint_access": {
        DEV: EndpointAccess.PUBLIC_AND_PRIVATE,
        STAGING: EndpointAccess.PRIVATE,
        PROD: EndpointAccess.PRIVATE,
    },
    "cluster.log_retention_days": {DEV: 30, STAGING: 90, PROD: 365},
    # Spot GPUs cost a third to a half of on-demand; interruptions are acceptable outside prod.
    "gpu_pools[].capacity_type": {
        DEV: CapacityType.SPOT,
        STAGING: CapacityType.SPOT,
        PROD: CapacityType.ON_DEMAND,
    },
    "gpu_pools[].min_nodes": {DEV: 0, STAGING: 0, PROD: 1},
    # One replica outside prod: a model at zero has no queue metric to wake it up (GPU pools
    # still scale to zero around it); two in prod so one can be drained or lost.
    "models[].min_replicas": {DEV: 1, STAGING: 1, PROD: 2},
    "models[].max_replicas": {DEV: 1, STAGING: 2, PROD: 4},
    "vector_db.replicas": {DEV: 1, STAGING: 1, PROD: 3},
    # Two proxies behind the gateway's load balancer, so one can be drained or lost.
    "gateway.replicas": {DEV: 1, STAGING: 2, PROD: 2},
    "monitoring.retention_days": {DEV: 7, STAGING: 15, PROD: 30},
    # Data outlives a dev stack only if asked; staging and prod keep it by default.
    "protect_state": {DEV: False, STAGING: True, PROD: True},
    # A model whose fit was never checked may not deploy to prod; elsewhere it is listed.
    "require_sized_models": {DEV: False, STAGING: False, PROD: True},
}


def apply_environment_defaults(raw: Mapping[str, Any], environment: Environment) -> dict[str, Any]:
    """A copy of `raw` with every unset environment-driven key filled in.

    Values of the wrong shape are left alone for validation to report.
    """
    result = copy.deepcopy(dict(raw))
    for path, by_env in ENVIRONMENT_DEFAULTS.items():
        _set_default(result, path.split("."), by_env[environment])
    return result


def _set_default(node: Any, segments: list[str], value: Any) -> None:
    head, rest = segments[0], segments[1:]
    if head.endswith("[]"):
        items = node.get(head[:-2]) if isinstance(node, dict) else None
        if isinstance(items, list):
            for item in items:
                _set_default(item, rest, value)
        return
    if not isinstance(node, dict):
        return
    if not rest:
        node.setdefault(head, value.value if hasattr(value, "value") else value)
        return
    child = node.setdefault(head, {})
    _set_default(child, rest, value)
