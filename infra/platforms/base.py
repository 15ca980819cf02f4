"""What every cloud's platform hands back to the program."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Platform:
    outputs: Mapping[str, Any] = field(default_factory=dict)
    """Stack outputs, grouped by component (`network`, `cluster`, …)."""
