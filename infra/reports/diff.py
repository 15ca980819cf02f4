"""Renderings of a plan diff: a pull-request comment (Markdown), a terminal table, JSON."""

import json
from dataclasses import asdict
from typing import Any

from infra.diagram import mermaid
from infra.diff import FrontDoorChange, PlanDiff
from infra.reports.fit import placement

MARKER = "<!-- llm-infra-diff stack={stack} -->"


def marker(stack: str) -> str:
    """The hidden first line a workflow finds to update its own comment."""
    return MARKER.format(stack=stack)


def _signed(value: float) -> str:
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return f"{sign}${abs(value):,.2f}"


def headline(diff: PlanDiff) -> str:
    parts = [
        f"{len(diff.created)} to create",
        f"{len(diff.updated)} to update",
        f"{len(diff.deleted)} to delete",
    ]
    if diff.replacements:
        parts.append(f"⚠️ {len(diff.replacements)} stateful resource(s) destroyed")
    text = " · ".join(parts)
    if diff.cost is not None:
        text += f" · cost at max scale {_signed(diff.cost.max)}/month"
    return text


def render_diff_markdown(diff: PlanDiff, head_record: dict[str, Any] | None = None) -> str:
    lines = [
        marker(diff.stack),
        f"### llm-infra plan diff · `{diff.stack}` ({diff.cloud} {diff.region})",
        "",
        f"**{headline(diff)}**" if not diff.empty else "**No changes.**",
        "",
    ]
    for replaced in diff.replacements:
        successor = f" and replaced by `{replaced.successor}`" if replaced.successor else ""
        lines += [
            "> [!CAUTION]",
            f"> `{replaced.type}` **{replaced.name}** would be **destroyed**{successor}: "
            f"{replaced.reason}. Its data is lost. If this is a rename, keep the resource with "
            "an alias: `ResourceOptions(aliases=[pulumi.Alias(name=...)])`.",
            "",
        ]
    lines += [
        "| | resources |",
        "|---|---:|",
        f"| create | {len(diff.created)} |",
        f"| update | {len(diff.updated)} |",
        f"| delete | {len(diff.deleted)} |",
        f"| renamed with an alias | {len(diff.renamed)} |",
        "",
    ]
    lines += _cost_section(diff)
    lines += _details("Created", [f"`{r['type']}` {r['name']}" for r in diff.created])
    lines += _details(
        "Updated",
        [
            f"`{c.type}` {c.name}: {', '.join(c.keys)}" + (" **(replaced)**" if c.replaces else "")
            for c in diff.updated
        ],
    )
    lines += _details("Deleted", [f"`{r['type']}` {r['name']}" for r in diff.deleted])
    lines += _details("Renamed with an alias", [f"`{old}` → `{new}`" for old, new in diff.renamed])
    lines += _models_section(diff)
    lines += _details("Front door", [front_door_line(c) for c in diff.front_door])
    lines += _policy_section(diff)
    if head_record is not None:
        lines += [
            "<details><summary>Platform diagram</summary>",
            "",
            "```mermaid",
            mermaid(head_record).rstrip(),
            "```",
            "",
            "</details>",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def _details(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    return [
        f"<details><summary>{title} ({len(items)})</summary>",
        "",
        *[f"- {i}" for i in items],
        "",
        "</details>",
        "",
    ]


def _cost_section(diff: PlanDiff) -> list[str]:
    cost = diff.cost
    if cost is None:
        return ["Cost: not available (a plan record without a `cost` estimate).", ""]
    lines = [
        "| monthly cost | base | head | change |",
        "|---|---:|---:|---:|",
        f"| at min scale | ${cost.base_min:,.2f} | ${cost.head_min:,.2f} | {_signed(cost.min)} |",
        f"| at max scale | ${cost.base_max:,.2f} | ${cost.head_max:,.2f} | {_signed(cost.max)} |",
        "",
    ]
    if cost.lines:
        lines += _details(
            "Cost changes by component",
            [
                f"{line['component']}: {_signed(line['min'])} at min, {_signed(line['max'])} at max"
                for line in cost.lines
            ],
        )
    return lines


def _models_section(diff: PlanDiff) -> list[str]:
    items = []
    for change in diff.models:
        if change.change == "added" and change.after and change.after.get("not_sized"):
            items.append(f"**{change.model}** added: not sized: {change.after['not_sized']}")
        elif change.change == "added" and change.after:
            a = change.after
            items.append(
                f"**{change.model}** added: {placement(a)}, "
                f"fits: {a['fits']}, {a['max_concurrent_sequences']} sequences at "
                f"{a['max_model_len']} tokens"
            )
        elif change.change == "removed":
            items.append(f"**{change.model}** removed")
        elif change.before and change.after:
            moves = ", ".join(f"{k}: {change.before[k]} → {change.after[k]}" for k in change.keys)
            items.append(f"**{change.model}**: {moves}")
    return _details("Model fit", items)


def front_door_line(change: FrontDoorChange) -> str:
    """`model llama: llama 100% → llama 90%, llama-canary 10%`, `client team-a: added`."""
    if change.before is None:
        return f"**{change.subject}** added: {_front(change.after)}"
    if change.after is None:
        return f"**{change.subject}** removed (was {_front(change.before)})"
    return f"**{change.subject}**: {_front(change.before)} → {_front(change.after)}"


def _front(value: Any) -> str:
    if isinstance(value, list):  # a model's traffic split
        return ", ".join(f"{t['server']} {t['percent']:g}%" for t in value)
    if isinstance(value, dict):  # a client's limits
        limits = [f"{k.replace('_', ' ')} {v}" for k, v in value.items() if v is not None]
        return ", ".join(limits) or "no limits"
    return str(value)


def _policy_section(diff: PlanDiff) -> list[str]:
    if diff.policy is None:
        return ["Policy: not evaluated in these plans.", ""]
    items = [
        f"introduced: `{v.get('rule')}` on `{v.get('urn')}`: {v.get('message', '')}"
        for v in diff.policy.introduced
    ]
    items += [f"resolved: `{v.get('rule')}` on `{v.get('urn')}`" for v in diff.policy.resolved]
    if not items:
        return ["Policy: no violations introduced or resolved.", ""]
    return _details("Policy", items)


def render_diff_table(diff: PlanDiff) -> str:
    lines = [
        f"Plan diff for stack '{diff.stack}' ({diff.cloud} {diff.region}): {headline(diff)}",
        "",
    ]
    for replaced in diff.replacements:
        lines.append(f"!! DESTROYS DATA: {replaced.type} {replaced.name}: {replaced.reason}")
    lines += [f"  + {r['type']}  {r['name']}" for r in diff.created]
    lines += [
        f"  ~ {c.type}  {c.name}  ({', '.join(c.keys)})" + ("  [replace]" if c.replaces else "")
        for c in diff.updated
    ]
    lines += [f"  - {r['type']}  {r['name']}" for r in diff.deleted]
    lines += [f"  > {old} -> {new} (alias)" for old, new in diff.renamed]
    if diff.cost is not None:
        lines.append(
            f"Cost per month: min {_signed(diff.cost.min)}, max {_signed(diff.cost.max)} "
            f"(max ${diff.cost.base_max:,.2f} -> ${diff.cost.head_max:,.2f})"
        )
    for change in diff.models:
        lines.append(f"Model {change.model}: {change.change} {', '.join(change.keys)}".rstrip())
    lines += [f"Front door: {front_door_line(c).replace('**', '')}" for c in diff.front_door]
    return "\n".join(lines) + "\n"


def render_diff_json(diff: PlanDiff) -> str:
    data = asdict(diff)
    if diff.cost is not None:
        data["cost"]["delta_min"] = diff.cost.min
        data["cost"]["delta_max"] = diff.cost.max
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
