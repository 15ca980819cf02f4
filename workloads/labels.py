"""Label sets shared by a workload's objects: what selects its pods and what names its parts."""

from collections.abc import Mapping

PART_OF = "llm-infra"
MANAGED_BY = "pulumi"


def selector_labels(name: str, component: str) -> dict[str, str]:
    """The labels a workload's Service, PDB, NetworkPolicy and monitors select its pods by.

    Stable for the workload's life: a Deployment's selector cannot change once created.
    """
    return {"app.kubernetes.io/name": component, "app.kubernetes.io/instance": name}


def workload_labels(
    name: str, component: str, version: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Selector labels plus the descriptive ones every object of the workload carries."""
    return {
        **selector_labels(name, component),
        "app.kubernetes.io/version": version,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        **(extra or {}),
    }
