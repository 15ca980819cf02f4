"""`llm-infra check`: plan the stack, size and cost it, and run both policy packs over it."""

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.jsonfile import JsonFileError, read_json_object
from infra.config import StackConfig
from infra.offline.plan import plan_with_config
from infra.offline.stackfile import StackFileError
from infra.policy.runner import Diagnostic, Exemption, PackResult, analyze, started_pack
from workloads.contract_check import RUNS_AS_ROOT

PACKS = ("security", "cost", "deploy")
# A workload whose image must run as uid 0 says so, with the reason, in this annotation
# (workloads/model_server.py); the rule it is exempt from lists it with that reason.
RUN_AS_NON_ROOT_RULE = "k8s-run-as-non-root"


@dataclass(frozen=True)
class CheckReport:
    stack: str
    stack_file: str
    record: dict[str, Any]
    packs: list[PackResult]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    exemptions: list[Exemption] = field(default_factory=list)

    @property
    def mandatory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.enforcement == "mandatory"]

    @property
    def advisory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.enforcement != "mandatory"]

    @property
    def passed(self) -> bool:
        return not self.mandatory


def root_exemptions(record: dict[str, Any]) -> list[dict[str, str]]:
    """Exemptions from k8s-run-as-non-root that the plan's own workloads declare."""
    found = []
    for resource in record.get("resources", []):
        annotations = ((resource.get("inputs") or {}).get("metadata") or {}).get("annotations")
        reason = (annotations or {}).get(RUNS_AS_ROOT)
        if reason:
            found.append({"type": resource["type"], "name": resource["name"], "reason": reason})
    return found


def pack_config(
    config: StackConfig, given: dict[str, Any], record: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What the stack itself says about the rules (its environment, its budget, the
    workloads that must run as root), under the caller's own settings."""
    merged: dict[str, Any] = {"*": {"environment": config.environment.value}}
    if config.cost.monthly_budget_usd is not None:
        merged["cost-monthly-budget"] = {"monthly_budget_usd": config.cost.monthly_budget_usd}
    if exempt := root_exemptions(record or {}):
        merged[RUN_AS_NON_ROOT_RULE] = {"exemptions": exempt}
    for key, value in given.items():
        # a bare level ("advisory") keeps the stack's settings for that rule
        settings = {"enforcementLevel": value} if isinstance(value, str) else dict(value)
        ours = merged.get(key, {})
        if "exemptions" in ours and "exemptions" in settings:
            settings["exemptions"] = [*ours["exemptions"], *settings["exemptions"]]
        merged[key] = {**ours, **settings}
    return merged


def run_check(
    stack: str, project_dir: Path | None, policy_config: dict[str, Any] | None = None
) -> CheckReport:
    config, plan = plan_with_config(stack, project_dir)
    record = json.loads(plan.to_json())
    settings = pack_config(config, policy_config or {}, record)
    root = Path(__file__).resolve().parents[2] / "policies"

    def run(pack: str) -> PackResult:
        with started_pack(root / pack) as stub:
            return analyze(stub, record, settings)

    with ThreadPoolExecutor(max_workers=len(PACKS)) as pool:
        results = list(pool.map(run, PACKS))
    diagnostics = sorted(
        (d for r in results for d in r.diagnostics),
        key=lambda d: (d.enforcement != "mandatory", d.pack, d.policy, d.urn),
    )
    return CheckReport(
        stack=stack,
        stack_file=f"Pulumi.{stack}.yaml",
        record=record,
        packs=results,
        diagnostics=diagnostics,
        exemptions=[e for r in results for e in r.exemptions],
    )


def load_policy_config(path: Path) -> dict[str, Any]:
    try:
        return read_json_object(path, "an object of policy name to settings")
    except JsonFileError as error:
        raise StackFileError(str(error)) from None
