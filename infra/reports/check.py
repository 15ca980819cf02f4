"""Renderings of `llm-infra check`: table, Markdown, JSON and SARIF 2.1.0."""

import json
from dataclasses import asdict
from typing import Any

from infra.policy.check import CheckReport
from infra.policy.runner import Diagnostic
from infra.reports.fit import fit_verdict

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _where(d: Diagnostic) -> str:
    return f"{d.type} {d.name}" if d.urn else "stack"


def _summary(report: CheckReport) -> str:
    rules = sum(len(p.policies) for p in report.packs)
    cost = report.record.get("cost") or {}
    money = (
        f"; ${cost['monthly_usd_min']:,.0f}–${cost['monthly_usd_max']:,.0f} a month" if cost else ""
    )
    fits = fit_verdict(report.record.get("sizing", []))
    return (
        f"{len(report.mandatory)} mandatory and {len(report.advisory)} advisory violation(s), "
        f"{len(report.exemptions)} exemption(s), {rules} rules over "
        f"{len(report.record.get('resources', []))} resources; "
        f"models fit: {fits}{money}"
    )


def render_check_table(report: CheckReport) -> str:
    verdict = "PASSED" if report.passed else "FAILED"
    lines = [f"Check of stack '{report.stack}': {verdict}", f"  {_summary(report)}", ""]
    for d in report.diagnostics:
        lines.append(f"  [{d.enforcement}] {d.pack}/{d.policy} on {_where(d)}: {d.message}")
    for e in report.exemptions:
        lines.append(f"  [exempted] {e.pack}/{e.policy}: {e.reason}")
    return "\n".join(lines) + "\n"


def render_check_markdown(report: CheckReport) -> str:
    verdict = "✅ passed" if report.passed else "❌ failed"
    lines = [f"### llm-infra check · `{report.stack}`: {verdict}", "", _summary(report), ""]
    if report.diagnostics:
        lines += ["| level | rule | resource | finding |", "|---|---|---|---|"]
        lines += [
            f"| {d.enforcement} | `{d.pack}/{d.policy}` | {_where(d)} | "
            f"{d.message.replace('|', '/')} |"
            for d in report.diagnostics
        ]
        lines.append("")
    if report.exemptions:
        lines += [f"- exempted `{e.pack}/{e.policy}`: {e.reason}" for e in report.exemptions]
        lines.append("")
    return "\n".join(lines)


def render_check_json(report: CheckReport) -> str:
    data = {
        "stack": report.stack,
        "passed": report.passed,
        "packs": [
            {"name": p.pack, "version": p.version, "policies": len(p.policies)}
            for p in report.packs
        ],
        "violations": [asdict(d) for d in report.diagnostics],
        "exemptions": [asdict(e) for e in report.exemptions],
        "sizing": report.record.get("sizing", []),
        "cost": report.record.get("cost"),
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def render_check_sarif(report: CheckReport) -> str:
    runs: list[dict[str, Any]] = []
    for pack in report.packs:
        rules = [
            {
                "id": p.name,
                "name": p.name,
                "shortDescription": {"text": p.description},
                "defaultConfiguration": {
                    "level": "error" if p.enforcement == "mandatory" else "warning"
                },
            }
            for p in pack.policies
        ]
        results = [
            {
                "ruleId": d.policy,
                "level": "error" if d.enforcement == "mandatory" else "warning",
                "message": {"text": f"{_where(d)}: {d.message}"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": report.stack_file},
                            "region": {"startLine": 1},
                        },
                        "logicalLocations": [
                            {"fullyQualifiedName": d.urn or report.stack, "kind": "resource"}
                        ],
                    }
                ],
                "partialFingerprints": {"llmInfraResource": f"{d.policy}:{d.urn}"},
            }
            for d in report.diagnostics
            if d.pack == pack.pack
        ]
        runs.append(
            {
                "tool": {"driver": {"name": pack.pack, "version": pack.version, "rules": rules}},
                "automationDetails": {"id": f"llm-infra-check/{report.stack}/{pack.pack}"},
                "results": results,
            }
        )
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
