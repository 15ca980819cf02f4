"""Run the preflight for a stack's cloud and render the report."""

import json
from dataclasses import asdict
from typing import Any

from components.enums import Cloud
from infra.config import StackConfig
from infra.preflight.aws import aws_preflight
from infra.preflight.findings import Finding, Severity

UNSUPPORTED = {
    Cloud.GCP: (
        "GCP preflight is not supported yet; check accelerator stock and quotas with "
        "`gcloud compute accelerator-types list --filter=zone:<zone>` and "
        "`gcloud compute regions describe <region>` (NVIDIA_*_GPUS quotas)"
    ),
    Cloud.AZURE: (
        "Azure preflight is not supported yet; check VM sizes and vCPU family quotas with "
        "`az vm list-skus --location <region> --size Standard_N` and "
        "`az vm list-usage --location <region>`"
    ),
}


def preflight(config: StackConfig, session_factory: Any) -> list[Finding]:
    if config.cloud is Cloud.AWS:
        return aws_preflight(config, session_factory())
    return [
        Finding(f"{config.cloud.value} preflight", Severity.UNSUPPORTED, UNSUPPORTED[config.cloud])
    ]


def failed(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


def render_preflight_table(stack: str, findings: list[Finding]) -> str:
    errors = sum(f.severity is Severity.ERROR for f in findings)
    warnings = sum(f.severity is Severity.WARNING for f in findings)
    lines = [f"Preflight for stack '{stack}': {errors} error(s), {warnings} warning(s)", ""]
    for finding in findings:
        lines.append(f"  [{finding.severity.value:>11}] {finding.check}: {finding.message}")
        if finding.fix:
            lines.append(f"  {'':>13} fix: {finding.fix}")
    return "\n".join(lines) + "\n"


def render_preflight_json(stack: str, findings: list[Finding]) -> str:
    data = {"stack": stack, "failed": failed(findings), "findings": [asdict(f) for f in findings]}
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
