"""Reading resource inputs as the engine sends them (provider wire names, camelCase)."""

from collections.abc import Mapping, Sequence
from typing import Any

# pulumi_policy's own proxy types and unknown test (proxy.py, pulumi-policy 1.x): private
# names, read here so a rule sees what the engine sent; tests/policies cover the behaviour.
from pulumi_policy.proxy import _DictProxy, _is_unknown, _ListProxy

from infra.offline.convert import UNKNOWN

ENVIRONMENT_KEYS = ("llm-infra-environment", "llm-infra.io/environment")
STRICTEST_ENVIRONMENT = "prod"


def get(props: Any, *path: str | int, default: Any = None) -> Any:
    """props["a"]["b"][0] without KeyErrors: `default` when any step is missing."""
    node = props
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, Sequence) or isinstance(node, str) or part >= len(node):
                return default
            node = node[part]
        else:
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
    return default if node is None else node


def items(props: Any, *path: str | int) -> list[Any]:
    value = get(props, *path, default=[])
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else []


def labels(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """Tags (AWS, Azure), labels (GCP) or Kubernetes metadata labels."""
    for path in (("tags",), ("labels",), ("resourceLabels",), ("metadata", "labels")):
        found = get(props, *path)
        if isinstance(found, Mapping):
            return found
    return {}


def environment(props: Mapping[str, Any], config: Mapping[str, Any]) -> str:
    """The stack environment a resource belongs to: its own tag, else the pack config,
    else prod (the strictest reading)."""
    tags = labels(props)
    for key in ENVIRONMENT_KEYS:
        if isinstance(tags.get(key), str):
            return str(tags[key])
    return str(config.get("environment") or STRICTEST_ENVIRONMENT)


def stack_environment(resources: Sequence[Any], config: Mapping[str, Any]) -> str:
    for resource in resources:
        tags = labels(resource.props)
        for key in ENVIRONMENT_KEYS:
            if isinstance(tags.get(key), str):
                return str(tags[key])
    return str(config.get("environment") or STRICTEST_ENVIRONMENT)


def plain(value: Any) -> Any:
    """The engine's read-only proxies as plain dicts and lists, for code that walks whole
    resources. Reading an unknown value through a proxy raises (pulumi_policy proxy.py
    `_raise_if_unknown`), which would stop a stack rule on any first preview; the proxies'
    targets (`proxy["__target"]`) are read instead, and an unknown becomes `UNKNOWN`, as in
    the offline plan."""
    if isinstance(value, (_DictProxy, _ListProxy)):
        value = value["__target"]
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [plain(v) for v in value]
    if _is_unknown(value):
        return UNKNOWN
    return value
