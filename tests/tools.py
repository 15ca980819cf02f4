"""External tools some tests need (checkov, node): skipped where they are missing on a
workstation, a failure in CI, where a skip would hide a missing install step."""

import os

import pytest


def in_ci() -> bool:
    """`CI` is set, as every CI service sets it (GitHub Actions sets CI=true)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require(found: bool, tool: str, install: str) -> None:
    """Go on when `tool` is there; else skip, or fail when running in CI."""
    if found:
        return
    message = f"{tool} is not installed ({install})"
    if in_ci():
        pytest.fail(f"{message}; CI is set, and a skipped check in CI hides a missing install step")
    pytest.skip(message)
