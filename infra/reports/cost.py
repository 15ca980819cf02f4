"""`llm-infra cost`: the monthly estimate as a table, Markdown or JSON."""

import json
from dataclasses import asdict

from infra.cost import CostReport, ModelCost


def render_cost_json(report: CostReport) -> str:
    return json.dumps(asdict(report), indent=2, sort_keys=True) + "\n"


def _money(value: float | None) -> str:
    return "n/a" if value is None else f"${value:,.2f}"


def render_cost_table(report: CostReport) -> str:
    width = max(len(line.component) for line in report.lines)
    lines = [
        f"Monthly cost on {report.cloud} ({report.hours_per_month:g} h/month; prices for "
        f"{report.priced_region}, stack in {report.stack_region})",
        "",
        f"  {'component'.ljust(width)}  {'at min scale':>14}  {'at max scale':>14}  detail",
    ]
    for line in report.lines:
        lines.append(
            f"  {line.component.ljust(width)}  {_money(line.monthly_usd_min):>14}  "
            f"{_money(line.monthly_usd_max):>14}  {line.detail}"
        )
    lines.append(
        f"  {'total'.ljust(width)}  {_money(report.monthly_usd_min):>14}  "
        f"{_money(report.monthly_usd_max):>14}"
    )
    lines += ["", "Per model (replica = its share of a node):"]
    for model in report.models:
        lines.append(
            f"  {model.name}: {model.gpus_per_replica} GPU(s) on {model.instance_type}, "
            f"{_money(model.usd_per_replica_hour)}/h per replica, "
            f"{_money(model.usd_per_hour_at_min_replicas)}/h at {model.min_replicas} replicas, "
            f"{_throughput(model)}"
        )
    lines += ["", "Prices used:"]
    seen = set()
    for line in report.lines:
        for price in line.prices:
            key = (price.item, price.usd)
            if key not in seen:
                seen.add(key)
                lines.append(
                    f"  {price.item}: {price.usd} ({price.source}, as of {price.as_of}, "
                    f"{price.confidence})"
                )
    return "\n".join(lines) + "\n"


def _throughput(model: ModelCost) -> str:
    if model.output_tokens_per_second_per_replica is None:
        return "not sized: its throughput and cost per token are unknown"
    return (
        f"~{model.output_tokens_per_second_per_replica:g} output tok/s per replica, "
        f"{_money(model.usd_per_million_output_tokens)} per million output tokens"
    )


def _per_million(model: ModelCost) -> str:
    if model.output_tokens_per_second_per_replica is None:
        return "not sized"
    return _money(model.usd_per_million_output_tokens)


def render_cost_markdown(report: CostReport) -> str:
    lines = [
        f"### Monthly cost on {report.cloud}: {_money(report.monthly_usd_min)} – "
        f"{_money(report.monthly_usd_max)}",
        "",
        "| component | at min scale | at max scale | detail |",
        "|---|---:|---:|---|",
    ]
    lines += [
        f"| {line.component} | {_money(line.monthly_usd_min)} | {_money(line.monthly_usd_max)} "
        f"| {line.detail} |"
        for line in report.lines
    ]
    lines += [
        f"| **total** | **{_money(report.monthly_usd_min)}** "
        f"| **{_money(report.monthly_usd_max)}** | |",
        "",
        "| model | GPUs × instance | $/h at min replicas | $ per million output tokens |",
        "|---|---|---:|---:|",
    ]
    lines += [
        f"| {m.name} | {m.gpus_per_replica} × {m.instance_type} | "
        f"{_money(m.usd_per_hour_at_min_replicas)} | {_per_million(m)} |"
        for m in report.models
    ]
    return "\n".join(lines) + "\n"
