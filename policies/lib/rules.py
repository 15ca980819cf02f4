"""Rules as plain functions, turned into pulumi_policy policies.

A resource rule is `check(resource, config) -> messages`; a stack rule is
`check(resources, config) -> (message, urn)` pairs. Every policy takes an `exemptions`
config list of `{type, name, reason}`: a matching resource is reported as not applicable
with the reason, so exemptions show up in the output instead of vanishing.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.lib.pods import template_views
from policies.lib.props import plain

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY

EXEMPTIONS_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "type": {"type": "string"},
            "name": {"type": "string"},
            "reason": {"type": "string"},
        },
        "required": ["reason"],
    },
    "default": [],
}


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    # input name -> URNs it comes from (stack rules only: the engine sends them there)
    inputs_from: Mapping[str, list[str]] = field(default_factory=dict)
    # stack rules only: what it depends on, its provider's and parent's URNs
    dependencies: tuple[str, ...] = ()
    provider: str | None = None
    parent: str | None = None

    def input_from(self, key: str) -> list[str]:
        return list(self.inputs_from.get(key, []))


ResourceCheck = Callable[[Resource, Mapping[str, Any]], Iterable[str]]
StackCheck = Callable[[Sequence[Resource], Mapping[str, Any]], Iterable[tuple[str, str | None]]]


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    types: tuple[str, ...]
    check: ResourceCheck
    mirrors: str = ""  # the public rule it mirrors: Checkov id, compliance-policies name, PSS
    enforcement: EnforcementLevel = MANDATORY
    config: dict[str, dict[str, Any]] = field(default_factory=dict)  # JSON schema, with defaults
    # an exemption a resource declares itself (returns the reason), listed like any other
    declared_exemption: Callable[[Resource], str | None] | None = None


@dataclass(frozen=True)
class StackRule:
    name: str
    description: str
    check: StackCheck
    mirrors: str = ""
    enforcement: EnforcementLevel = MANDATORY
    config: dict[str, dict[str, Any]] = field(default_factory=dict)


def rule(
    name: str,
    description: str,
    types: Iterable[str],
    *,
    mirrors: str = "",
    enforcement: EnforcementLevel = MANDATORY,
    config: dict[str, dict[str, Any]] | None = None,
    declared_exemption: Callable[[Resource], str | None] | None = None,
) -> Callable[[ResourceCheck], Rule]:
    def wrap(check: ResourceCheck) -> Rule:
        return Rule(
            name,
            description,
            tuple(types),
            check,
            mirrors,
            enforcement,
            config or {},
            declared_exemption,
        )

    return wrap


def applies(types: tuple[str, ...], type_: str) -> bool:
    """Exact type tokens, or prefixes ending in '*' ("aws:*")."""
    return type_ in types or any(t.endswith("*") and type_.startswith(t[:-1]) for t in types)


def stack_rule(
    name: str,
    description: str,
    *,
    mirrors: str = "",
    enforcement: EnforcementLevel = MANDATORY,
    config: dict[str, dict[str, Any]] | None = None,
) -> Callable[[StackCheck], StackRule]:
    def wrap(check: StackCheck) -> StackRule:
        return StackRule(name, description, check, mirrors, enforcement, config or {})

    return wrap


def _schema(config: dict[str, dict[str, Any]]) -> PolicyConfigSchema:
    return PolicyConfigSchema(properties={**config, "exemptions": EXEMPTIONS_SCHEMA})


def _settings(defaults: dict[str, dict[str, Any]], given: Mapping[str, Any]) -> dict[str, Any]:
    settings = {key: spec.get("default") for key, spec in defaults.items()}
    settings["exemptions"] = []
    settings.update(given or {})
    return settings


def _describe(description: str, mirrors: str) -> str:
    return f"{description} (mirrors {mirrors})" if mirrors else description


def _exemption(settings: Mapping[str, Any], type_: str, name: str) -> str | None:
    for entry in settings.get("exemptions") or []:
        if entry.get("type", type_) == type_ and entry.get("name", name) == name:
            return str(entry.get("reason", "no reason given"))
    return None


def skipped_create(type_: str, props: Any) -> bool:
    """A Kubernetes resource this update leaves out and that does not exist yet: the
    platform stage of a two-stage deploy (`pulumi up --exclude`, infra/stages.py). The
    engine still shows it to the packs, with no properties: resource policies get the
    inputs the untargeted Check stub returns, none for a new resource (step_generator.go),
    stack policies the nil outputs of its skipped-create step (step.go,
    NewSkippedCreateStep). It is not being deployed, so no rule asks anything of it. (A
    Kubernetes resource being deployed always has properties: `apiVersion` and `kind`.)"""
    return type_.startswith("kubernetes:") and not plain(props)


def resource_policy(definition: Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if not applies(definition.types, args.resource_type):
            return
        if skipped_create(args.resource_type, args.props):
            return
        settings = _settings(definition.config, args.get_config())
        resource = Resource(args.resource_type, args.name, args.urn, args.props)
        reason = _exemption(settings, args.resource_type, args.name)
        if reason is None and definition.declared_exemption is not None:
            reason = definition.declared_exemption(resource)
        if reason is not None:
            args.not_applicable(f"exempted {args.resource_type} {args.name}: {reason}")
        # each pod template of the workload (a LeaderWorkerSet's leader and worker) in turn
        for role, props in template_views(args.resource_type, args.props):
            view = Resource(args.resource_type, args.name, args.urn, props)
            for message in definition.check(view, settings):
                report(f"{role} pods: {message}" if role else message, None)

    return ResourceValidationPolicy(
        name=definition.name,
        description=_describe(definition.description, definition.mirrors),
        validate=validate,
        enforcement_level=definition.enforcement,
        config_schema=_schema(definition.config),
    )


def stack_policy(definition: StackRule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        settings = _settings(definition.config, args.get_config())
        resources = [
            Resource(
                r.resource_type,
                r.name,
                r.urn,
                r.props,
                {k: [d.urn for d in v] for k, v in r.property_dependencies.items()},
                dependencies=tuple(d.urn for d in r.dependencies),
                provider=r.provider.urn if r.provider else None,
                parent=r.parent.urn if r.parent else None,
            )
            for r in args.resources
            if _exemption(settings, r.resource_type, r.name) is None
            and not skipped_create(r.resource_type, r.props)
        ]
        for message, urn in definition.check(resources, settings):
            report(message, urn)

    return StackValidationPolicy(
        name=definition.name,
        description=_describe(definition.description, definition.mirrors),
        validate=validate,
        enforcement_level=definition.enforcement,
        config_schema=_schema(definition.config),
    )


def policies(definitions: Iterable[Rule | StackRule]) -> list[Any]:
    return [resource_policy(d) if isinstance(d, Rule) else stack_policy(d) for d in definitions]
