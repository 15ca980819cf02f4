"""External tools some tests need (checkov, node): skipped where they are missing on a
workstation, a failure in CI, where a skip would hide a missing install step."""

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHECKOV = ROOT / ".venv-tools" / "bin" / "checkov"
CHECKOV_EXEMPTIONS = ROOT / "tests" / "workloads" / "checkov-exemptions.yaml"


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


def checkov_failures(directory: Path) -> list[str]:
    """checkov's Kubernetes checks over the manifests in `directory` (`llm-infra render`),
    less the exemptions listed with their reasons in tests/workloads/checkov-exemptions.yaml.
    checkov knows the built-in kinds only: a custom resource's pods (a LeaderWorkerSet's)
    are the policy packs' to check."""
    require(CHECKOV.exists(), "checkov", "`make tools` installs it into .venv-tools")
    entries = yaml.safe_load(CHECKOV_EXEMPTIONS.read_text()) or []
    assert all(entry.get("reason") for entry in entries), "every exemption needs a reason"
    exempt = {(e["check"], e["resource"]) for e in entries}
    result = subprocess.run(
        [
            str(CHECKOV),
            "--quiet",
            "--compact",
            "--framework",
            "kubernetes",
            "-d",
            str(directory),
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stdout)
    failures = []
    for part in report if isinstance(report, list) else [report]:
        for failed in part.get("results", {}).get("failed_checks", []):
            key = (failed["check_id"], failed["resource"])
            if key not in exempt and (key[0], "*") not in exempt:
                failures.append(f"{key[0]} {key[1]} ({failed['check_name']})")
    return failures
