"""Turn recorded registrations into plan records: plain JSON values, secrets masked."""

from typing import Any

from google.protobuf import json_format
from pulumi.runtime import rpc

from infra.offline.monitor import ROOT_STACK_TYPE, Registration
from infra.offline.record import ResourceOptions, ResourceRecord

SECRET = "[secret]"
UNKNOWN = "[unknown]"


def plain(value: Any) -> Any:
    """A wire value as JSON: secrets masked, unknowns marked, whole numbers as ints."""
    if isinstance(value, dict):
        signature = value.get(rpc._special_sig_key)
        if signature == rpc._special_secret_sig:
            return SECRET
        if signature == rpc._special_resource_sig:
            return value.get("urn")
        if signature in (rpc._special_asset_sig, rpc._special_archive_sig):
            kind = "asset" if signature == rpc._special_asset_sig else "archive"
            return {kind: {k: plain(v) for k, v in value.items() if k != rpc._special_sig_key}}
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if value == rpc.UNKNOWN:
        return UNKNOWN
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def to_record(registration: Registration, project: str, stack: str) -> ResourceRecord:
    request = registration.request
    inputs = plain(json_format.MessageToDict(request.object)) if request.object else {}
    property_dependencies = {
        key: sorted(set(deps.urns))
        for key, deps in sorted(request.propertyDependencies.items())
        if deps.urns
    }
    dependencies = sorted(set(request.dependencies))
    implied = {urn for urns in property_dependencies.values() for urn in urns}
    timeouts = request.customTimeouts
    options = ResourceOptions(
        protect=bool(request.protect),
        retain_on_delete=bool(request.retainOnDelete),
        ignore_changes=list(request.ignoreChanges),
        delete_before_replace=bool(request.deleteBeforeReplace),
        depends_on=[urn for urn in dependencies if urn not in implied],
        replace_on_changes=list(request.replaceOnChanges),
        additional_secret_outputs=list(request.additionalSecretOutputs),
        aliases=[_alias(spec) for spec in request.aliases],
        deleted_with=request.deletedWith or None,
        custom_timeouts={
            k: v
            for k, v in (
                ("create", timeouts.create),
                ("update", timeouts.update),
                ("delete", timeouts.delete),
            )
            if v
        },
        import_id=request.importId or None,
    )
    is_stack = request.type == ROOT_STACK_TYPE
    return ResourceRecord(
        urn=registration.urn,
        type=request.type,
        name=request.name,
        parent=None if is_stack else (request.parent or None),
        provider=_provider(request, project, stack),
        custom=bool(request.custom),
        inputs=inputs,
        dependencies=dependencies,
        property_dependencies=property_dependencies,
        options=options,
    )


def _provider(request: Any, project: str, stack: str) -> str | None:
    if not request.custom or request.type.startswith("pulumi:providers:"):
        return None
    if request.provider:
        return str(request.provider).rsplit("::", 1)[0]
    # The engine gives a custom resource without an explicit provider the package's
    # default provider, named after the plugin version.
    package = request.type.split(":")[0]
    name = f"default_{request.version.replace('.', '_')}" if request.version else "default"
    return f"urn:pulumi:{stack}::{project}::pulumi:providers:{package}::{name}"


def default_provider_records(
    records: list[ResourceRecord], project: str, stack: str
) -> list[ResourceRecord]:
    """The default providers the engine would create for `records`, as records themselves:
    children of the root stack, with the provider's config taken from the stack."""
    explicit = {r.urn for r in records}
    wanted = sorted({r.provider for r in records if r.provider and r.provider not in explicit})
    prefix = f"urn:pulumi:{stack}::{project}::"
    root = f"{prefix}{ROOT_STACK_TYPE}::{project}-{stack}"
    return [
        ResourceRecord(
            urn=urn,
            type=urn[len(prefix) :].split("::")[0],
            name=urn.rsplit("::", 1)[1],
            parent=root,
            provider=None,
            custom=True,
            inputs={},
            dependencies=[],
            property_dependencies={},
            options=ResourceOptions(),
        )
        for urn in wanted
    ]


def _alias(spec: Any) -> dict[str, Any]:
    fields = json_format.MessageToDict(spec, preserving_proto_field_name=True)
    return {k: v for k, v in sorted(fields.items())}
