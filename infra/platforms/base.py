"""What every cloud's platform hands back to the program."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from components.seam import KubernetesCluster


@dataclass(frozen=True)
class Platform:
    outputs: Mapping[str, Any] = field(default_factory=dict)
    """Stack outputs, grouped by component (`network`, `cluster`, …)."""
    cluster: KubernetesCluster | None = None
    """The cluster workloads deploy to; None while a cloud builds no cluster yet."""
