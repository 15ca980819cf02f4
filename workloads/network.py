"""Who may reach a workload: NetworkPolicy ingress rules as plain values."""

from collections.abc import Mapping, Sequence
from typing import Any

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


def from_namespaces(namespaces: Sequence[str], ports: Sequence[int]) -> dict[str, Any]:
    """An ingress rule: pods of these namespaces (by their immutable name label) on these
    ports."""
    return {
        "from": [
            {
                "namespaceSelector": {
                    "matchExpressions": [
                        {
                            "key": NAMESPACE_NAME_LABEL,
                            "operator": "In",
                            "values": sorted(set(namespaces)),
                        }
                    ]
                }
            }
        ],
        "ports": [{"protocol": "TCP", "port": port} for port in sorted(set(ports))],
    }


def ingress_policy_spec(
    pod_labels: Mapping[str, str], rules: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """Ingress to the selected pods only by `rules`; egress is left open (weights and
    images come from outside)."""
    return {
        "podSelector": {"matchLabels": dict(pod_labels)},
        "policyTypes": ["Ingress"],
        "ingress": list(rules),
    }
