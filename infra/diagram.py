"""A Mermaid diagram of a plan: its top-level components and the edges between them."""

import re
from typing import Any

ROOT_STACK = "pulumi:pulumi:Stack"
PROVIDER = "pulumi:providers:"


def mermaid(record: dict[str, Any]) -> str:
    """`flowchart LR` of the resources directly under the stack (components first), with an
    edge A --> B when anything inside B depends on anything inside A."""
    resources = {r["urn"]: r for r in record.get("resources", [])}
    root = next((u for u, r in resources.items() if r["type"] == ROOT_STACK), None)
    tops = sorted(
        (
            u
            for u, r in resources.items()
            if r.get("parent") == root and not r["type"].startswith(PROVIDER)
        ),
        key=lambda u: (resources[u]["custom"], resources[u]["name"]),
    )
    top_of = {urn: _top(urn, resources, root) for urn in resources}
    ids = {urn: f"n{i}" for i, urn in enumerate(tops)}
    lines = ["flowchart LR"]
    for urn in tops:
        resource = resources[urn]
        inside = sum(1 for u in resources if top_of[u] == urn and u != urn)
        detail = f"{_short(resource['type'])}" + (f" · {inside} resources" if inside else "")
        shape = ('["', '"]') if not resource["custom"] else ('("', '")')
        lines.append(
            f"  {ids[urn]}{shape[0]}{_label(resource['name'])}<br/>{_label(detail)}{shape[1]}"
        )
    edges = set()
    for urn, resource in resources.items():
        target = top_of.get(urn)
        for dependency in resource.get("dependencies", []):
            source = top_of.get(dependency)
            if source in ids and target in ids and source != target:
                edges.add((ids[source], ids[target]))
    lines += [f"  {a} --> {b}" for a, b in sorted(edges)]
    return "\n".join(lines) + "\n"


def _top(urn: str, resources: dict[str, dict[str, Any]], root: str | None) -> str | None:
    current = urn
    seen = set()
    while current in resources and resources[current].get("parent") not in (root, None):
        if current in seen:
            return None
        seen.add(current)
        current = resources[current]["parent"]
    return current if current in resources else None


def _short(type_token: str) -> str:
    return type_token.rsplit(":", 1)[-1] if type_token.startswith("llm-infra:") else type_token


def _label(text: str) -> str:
    return re.sub(r'["<>]', "", text)
