"""The plan record: every resource the program registers, as a stable, documented JSON.

Schema (docs/PLAN.md): schema_version, project, stack, cloud, environment, region,
resources[] {urn, type, name, parent, provider, custom, inputs, dependencies,
property_dependencies, options}, outputs, sizing[] (per model), cost. Resources are
sorted by URN and keys are sorted, so the same config always gives byte-identical JSON.
"""

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ResourceOptions:
    protect: bool = False
    retain_on_delete: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    delete_before_replace: bool = False
    depends_on: list[str] = field(default_factory=list)
    replace_on_changes: list[str] = field(default_factory=list)
    additional_secret_outputs: list[str] = field(default_factory=list)
    aliases: list[dict[str, Any]] = field(default_factory=list)
    deleted_with: str | None = None
    custom_timeouts: dict[str, str] = field(default_factory=dict)
    import_id: str | None = None


@dataclass(frozen=True)
class ResourceRecord:
    urn: str
    type: str
    name: str
    parent: str | None
    provider: str | None
    custom: bool
    inputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    options: ResourceOptions


@dataclass(frozen=True)
class PlanRecord:
    project: str
    stack: str
    cloud: str
    environment: str
    region: str
    resources: list[ResourceRecord]
    outputs: dict[str, Any]
    sizing: list[dict[str, Any]] = field(default_factory=list)
    cost: dict[str, Any] | None = None
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    # Queries used by tests, renderers and checks.
    def of_type(self, type_: str) -> list[ResourceRecord]:
        return [r for r in self.resources if r.type == type_]

    def get(self, type_: str, name: str) -> ResourceRecord:
        matches = [r for r in self.resources if r.type == type_ and r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources of type {type_} named {name}")
        return matches[0]

    @cached_property
    def index(self) -> dict[str, ResourceRecord]:
        """The resources by URN (built once per record; not part of the record's JSON)."""
        return {r.urn: r for r in self.resources}

    def by_urn(self, urn: str) -> ResourceRecord:
        return self.index[urn]

    def children(self, urn: str) -> list[ResourceRecord]:
        return [r for r in self.resources if r.parent == urn]

    def type_counts(self) -> Counter[str]:
        return Counter(r.type for r in self.resources if r.type != "pulumi:pulumi:Stack")
