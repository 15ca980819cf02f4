"""`llm-infra check`: plan the stack (or several), size and cost it, and run the policy
packs over it."""

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue
from typing import Any

from components.jsonfile import JsonFileError, read_json_object
from components.sizing.architecture import ArchitectureError
from infra.config import ConfigError, StackConfig
from infra.offline.plan import plan_with_config
from infra.offline.stackfile import StackFileError
from infra.policy.runner import Diagnostic, Exemption, PackResult, analyze, started_pack

PACKS = ("security", "cost", "deploy")
# What a stack's own input can get wrong: reported for that stack, the others still checked.
INPUT_ERRORS = (ConfigError, StackFileError, ArchitectureError)


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


def pack_config(config: StackConfig, given: dict[str, Any]) -> dict[str, Any]:
    """What the stack itself says about the rules (its environment, its budget), under the
    caller's own settings."""
    merged: dict[str, Any] = {"*": {"environment": config.environment.value}}
    if config.cost.monthly_budget_usd is not None:
        merged["cost-monthly-budget"] = {"monthly_budget_usd": config.cost.monthly_budget_usd}
    for key, value in given.items():
        # a bare level ("advisory") keeps the stack's settings for that rule
        settings = {"enforcementLevel": value} if isinstance(value, str) else dict(value)
        merged[key] = {**merged.get(key, {}), **settings}
    return merged


def run_check(
    stack: str, project_dir: Path | None, policy_config: dict[str, Any] | None = None
) -> CheckReport:
    (report,) = run_checks([stack], project_dir, policy_config)
    return report


def run_checks(
    stacks: Sequence[str],
    project_dir: Path | None,
    policy_config: dict[str, Any] | None = None,
    *,
    failures: dict[str, Exception] | None = None,
) -> list[CheckReport]:
    """Check each stack, in one process. The packs start at once, each in its own process,
    and analyze each stack's plan as soon as it is made (taking their whole configuration
    again for each: runner.analyze), while this process plans the next stack.

    A stack whose input is wrong (`INPUT_ERRORS`) raises, unless `failures` is given: then
    its error is put there under its name and the other stacks are still checked. A pack
    that fails stops the run before the next stack is planned."""
    root = Path(__file__).resolve().parents[2] / "policies"
    inboxes: dict[str, Queue[tuple[dict[str, Any], dict[str, Any]] | None]] = {
        pack: Queue() for pack in PACKS
    }

    def run(pack: str) -> list[PackResult]:
        with started_pack(root / pack) as stub:
            results = []
            while (work := inboxes[pack].get()) is not None:
                results.append(analyze(stub, *work))
            return results

    records, planned = [], []
    with ThreadPoolExecutor(max_workers=len(PACKS)) as pool:
        running = [pool.submit(run, pack) for pack in PACKS]
        try:
            for stack in stacks:
                for done in (f for f in running if f.done()):
                    done.result()  # a pack that died: its error, now
                try:
                    config, plan = plan_with_config(stack, project_dir)
                except INPUT_ERRORS as error:
                    if failures is None:
                        raise
                    failures[stack] = error
                    continue
                record = json.loads(plan.to_json())
                records.append(record)
                planned.append(stack)
                for inbox in inboxes.values():
                    inbox.put((record, pack_config(config, policy_config or {})))
        finally:
            for inbox in inboxes.values():
                inbox.put(None)
        by_pack = [future.result() for future in running]
    reports = []
    for index, stack in enumerate(planned):
        results = [found[index] for found in by_pack]
        diagnostics = sorted(
            (d for r in results for d in r.diagnostics),
            key=lambda d: (d.enforcement != "mandatory", d.pack, d.policy, d.urn),
        )
        reports.append(
            CheckReport(
                stack=stack,
                stack_file=f"Pulumi.{stack}.yaml",
                record=records[index],
                packs=results,
                diagnostics=diagnostics,
                exemptions=[e for r in results for e in r.exemptions],
            )
        )
    return reports


def load_policy_config(path: Path) -> dict[str, Any]:
    try:
        return read_json_object(path, "an object of policy name to settings")
    except JsonFileError as error:
        raise StackFileError(str(error)) from None
