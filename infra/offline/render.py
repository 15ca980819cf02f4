"""Human renderings of a plan record: a terminal tree and a Markdown summary."""

from collections.abc import Iterator

from infra.offline.monitor import ROOT_STACK_TYPE
from infra.offline.record import PlanRecord, ResourceRecord
from infra.reports.fit import fit_line, fit_verdict
from infra.stages import deploy_line

PROVIDER_PREFIX = "pulumi:providers:"


def summary_line(plan: PlanRecord) -> str:
    resources = [r for r in plan.resources if r.type != ROOT_STACK_TYPE]
    providers = sum(1 for r in resources if r.type.startswith(PROVIDER_PREFIX))
    components = sum(1 for r in resources if not r.custom)
    custom = len(resources) - providers - components
    return (
        f"{_count(len(resources), 'resource')} to create: {_count(custom, 'cloud resource')}, "
        f"{_count(components, 'component')}, {_count(providers, 'provider')}"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def heading(plan: PlanRecord) -> str:
    return (
        f"Plan for stack '{plan.stack}' of {plan.project}: {plan.cloud} {plan.region}, "
        f"{plan.environment} environment"
    )


def render_table(plan: PlanRecord) -> str:
    lines = [heading(plan), ""]
    lines += _tree(plan)
    counts = plan.type_counts()
    width = max((len(t) for t in counts), default=0)
    lines += ["", "Resources by type:"]
    lines += [f"  {t.ljust(width)}  {n:>4}" for t, n in sorted(counts.items())]
    if plan.sizing:
        lines += ["", f"Models fit: {fit_verdict(plan.sizing)}"]
        lines += [f"  {fit_line(r)}" for r in plan.sizing]
    lines += ["", f"Outputs: {', '.join(plan.outputs) or 'none'}"]
    deploy = deploy_line(plan)
    if deploy:
        lines.append(f"Deploy: {deploy}")
    lines.append(f"Summary: {summary_line(plan)}")
    return "\n".join(lines) + "\n"


def render_markdown(plan: PlanRecord) -> str:
    counts = plan.type_counts()
    deploy = deploy_line(plan)
    lines = [
        f"### {heading(plan)}",
        "",
        f"**{summary_line(plan)}**",
        "",
        *([f"Deploy: {deploy}", ""] if deploy else []),
        *(
            [f"Models fit: **{fit_verdict(plan.sizing)}**", ""]
            + [f"- {fit_line(r)}" for r in plan.sizing]
            + [""]
            if plan.sizing
            else []
        ),
        "| Resource type | Count |",
        "|---|---:|",
    ]
    lines += [f"| `{t}` | {n} |" for t, n in sorted(counts.items())]
    lines += ["", "<details><summary>Resource tree</summary>", "", "```"]
    lines += _tree(plan)
    lines += ["```", "", "</details>"]
    return "\n".join(lines) + "\n"


def _tree(plan: PlanRecord) -> list[str]:
    children: dict[str | None, list[ResourceRecord]] = {}
    for resource in plan.resources:
        children.setdefault(resource.parent, []).append(resource)
    roots = [r for r in plan.resources if r.type == ROOT_STACK_TYPE]
    tops = children.get(roots[0].urn, []) if roots else []
    tops += [r for r in children.get(None, []) if r.type != ROOT_STACK_TYPE]
    return list(_branch(_ordered(tops), children, ""))


def _branch(
    nodes: list[ResourceRecord], children: dict[str | None, list[ResourceRecord]], indent: str
) -> Iterator[str]:
    for index, node in enumerate(nodes):
        last = index == len(nodes) - 1
        below = _ordered(children.get(node.urn, []))
        count = f"  ({_descendants(node, children)} resources)" if below else ""
        yield f"{indent}{'└─ ' if last else '├─ '}+ {node.type}  {node.name}{count}"
        yield from _branch(below, children, indent + ("   " if last else "│  "))


def _descendants(node: ResourceRecord, children: dict[str | None, list[ResourceRecord]]) -> int:
    return sum(1 + _descendants(c, children) for c in children.get(node.urn, []))


def _ordered(nodes: list[ResourceRecord]) -> list[ResourceRecord]:
    # components first, then providers, then resources; each group by type and name
    return sorted(
        nodes, key=lambda r: (r.custom, not r.type.startswith(PROVIDER_PREFIX), r.type, r.name)
    )
