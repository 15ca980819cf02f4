"""Kubernetes object parts in the SDK's wire shape (camelCase mappings)."""

from collections.abc import Mapping, Sequence
from typing import Any


def wire(value: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> Any:
    """Pass a mapping (or a list of them) as a resource argument. Typed `Any` on purpose:
    checking nested mappings against the SDK's unions of TypedDicts and Outputs costs mypy
    exponential time and memory (gigabytes for one Deployment); the policy packs and the
    schema tests check these objects instead."""
    return value
