"""Drive a policy pack over the analyzer gRPC protocol, as `pulumi preview --policy-pack` does.

The pack starts as `python -u -m pulumi.policy <engine-address> .` in its folder and
prints its port. Then: GetAnalyzerInfo (policies, their config schemas and initial
config), Configure (the whole config at once: schema defaults, then the pack's initial
config, then the caller's), ConfigureStack, Analyze for each resource with its inputs
and provider, AnalyzeStack with every resource, parents and dependencies. Resource
diagnostics arrive without a URN; the caller's URN is attached here.
"""

import select
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from infra.offline.convert import SECRET, UNKNOWN

ROOT_STACK = "pulumi:pulumi:Stack"
ENFORCEMENT = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
LEVELS = {name: value for value, name in ENFORCEMENT.items()}
START_TIMEOUT_S = 60


class PolicyPackError(Exception):
    """A pack that would not start or answer; the message says which and why."""


@dataclass(frozen=True)
class PolicyInfo:
    name: str
    description: str
    enforcement: str
    stack_policy: bool


@dataclass(frozen=True)
class Diagnostic:
    pack: str
    policy: str
    description: str
    message: str
    enforcement: str
    urn: str  # empty for stack-wide findings
    type: str
    name: str


@dataclass(frozen=True)
class Exemption:
    pack: str
    policy: str
    urn: str
    reason: str


@dataclass(frozen=True)
class PackResult:
    pack: str
    version: str
    policies: list[PolicyInfo]
    diagnostics: list[Diagnostic]
    exemptions: list[Exemption]


@contextmanager
def started_pack(pack_dir: Path) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", "."],
        cwd=pack_dir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        port = _read_port(process, pack_dir)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=START_TIMEOUT_S)
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()


def _read_port(process: subprocess.Popen[bytes], pack_dir: Path) -> int:
    assert process.stdout is not None and process.stderr is not None
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            line = process.stdout.readline().decode().strip()
            if line.isdigit():
                return int(line)
        if process.poll() is not None:
            break
    error = (
        process.stderr.read().decode(errors="replace").strip() if process.poll() is not None else ""
    )
    tail = error.splitlines()[-1] if error else "it printed no port in time"
    raise PolicyPackError(f"policy pack {pack_dir} did not start: {tail}")


def analyze(
    stub: analyzer_pb2_grpc.AnalyzerStub,
    record: Mapping[str, Any],
    config: Mapping[str, Any] | None = None,
) -> PackResult:
    """Run every policy of the pack behind `stub` over the plan record's resources."""
    info = stub.GetAnalyzerInfo(empty_pb2.Empty())
    policies = [
        PolicyInfo(
            p.name,
            p.description,
            ENFORCEMENT.get(p.enforcementLevel, "advisory"),
            p.policy_type == analyzer_pb2.POLICY_TYPE_STACK,
        )
        for p in info.policies
    ]
    stub.Configure(_configure_request(info, config or {}))
    stub.ConfigureStack(
        analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=str(record.get("stack", "")),
            project=str(record.get("project", "")),
            organization="organization",
            dry_run=True,
        )
    )
    resources = [r for r in record.get("resources", []) if r["type"] != ROOT_STACK]
    by_urn = {r["urn"]: r for r in resources}
    diagnostics: list[Diagnostic] = []
    exemptions: list[Exemption] = []
    for resource in resources:
        reply = stub.Analyze(_analyze_request(resource, by_urn))
        diagnostics += _diagnostics(info.name, reply, resource, by_urn)
        exemptions += [
            Exemption(info.name, n.policy_name, resource["urn"], n.reason)
            for n in reply.not_applicable
            if n.reason.startswith("exempted")
        ]
    stack_reply = stub.AnalyzeStack(
        analyzer_pb2.AnalyzeStackRequest(resources=[_stack_resource(r, by_urn) for r in resources])
    )
    diagnostics += _diagnostics(info.name, stack_reply, None, by_urn)
    return PackResult(info.name, info.version, policies, diagnostics, exemptions)


def _configure_request(
    info: Any, given: Mapping[str, Any]
) -> analyzer_pb2.ConfigureAnalyzerRequest:
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for policy in info.policies:
        properties: dict[str, Any] = {}
        schema = json_format.MessageToDict(policy.configSchema.properties)
        for key, spec in schema.items():
            if isinstance(spec, dict) and "default" in spec:
                properties[key] = spec["default"]
        level = policy.enforcementLevel
        initial = info.initialConfig.get(policy.name) if policy.name in info.initialConfig else None
        if initial is not None:
            properties.update(json_format.MessageToDict(initial.properties))
            level = initial.enforcementLevel or level
        override = given.get(policy.name)
        if isinstance(override, str):
            level = LEVELS[override]
        elif isinstance(override, Mapping):
            override = dict(override)
            if "enforcementLevel" in override:
                level = LEVELS[str(override.pop("enforcementLevel"))]
            properties.update(override)
        for key, value in given.get("*", {}).items():  # settings for every policy of the pack
            properties.setdefault(key, value)
        struct = struct_pb2.Struct()
        struct.update(properties)
        request.policyConfig[policy.name].CopyFrom(
            analyzer_pb2.PolicyConfig(enforcementLevel=level, properties=struct)
        )
    return request


def _wire(value: Any) -> Any:
    """Plan-record values back to what the engine sends: unknowns and secrets as such."""
    if value == UNKNOWN:
        return rpc.UNKNOWN
    if value == SECRET:
        return {rpc._special_sig_key: rpc._special_secret_sig, "value": SECRET}
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(_wire(dict(values)))
    return struct


def _options(resource: Mapping[str, Any]) -> analyzer_pb2.AnalyzerResourceOptions:
    options = resource.get("options", {})
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=bool(options.get("protect")),
        ignoreChanges=list(options.get("ignore_changes", [])),
        deleteBeforeReplace=bool(options.get("delete_before_replace")),
        additionalSecretOutputs=list(options.get("additional_secret_outputs", [])),
        parent=resource.get("parent") or "",
    )


def _provider(
    resource: Mapping[str, Any], by_urn: Mapping[str, Any]
) -> analyzer_pb2.AnalyzerProviderResource | None:
    provider = by_urn.get(resource.get("provider") or "")
    if provider is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        type=provider["type"],
        properties=_struct(provider.get("inputs", {})),
        urn=provider["urn"],
        name=provider["name"],
    )


def _analyze_request(
    resource: Mapping[str, Any], by_urn: Mapping[str, Any]
) -> analyzer_pb2.AnalyzeRequest:
    request = analyzer_pb2.AnalyzeRequest(
        type=resource["type"],
        properties=_struct(resource.get("inputs", {})),
        urn=resource["urn"],
        name=resource["name"],
        options=_options(resource),
    )
    provider = _provider(resource, by_urn)
    if provider is not None:
        request.provider.CopyFrom(provider)
    return request


def _stack_resource(
    resource: Mapping[str, Any], by_urn: Mapping[str, Any]
) -> analyzer_pb2.AnalyzerResource:
    entry = analyzer_pb2.AnalyzerResource(
        type=resource["type"],
        properties=_struct(resource.get("inputs", {})),
        urn=resource["urn"],
        name=resource["name"],
        options=_options(resource),
        parent=resource.get("parent") or "",
        dependencies=list(resource.get("dependencies", [])),
    )
    for key, urns in resource.get("property_dependencies", {}).items():
        entry.propertyDependencies[key].urns.extend(urns)
    provider = _provider(resource, by_urn)
    if provider is not None:
        entry.provider.CopyFrom(provider)
    return entry


def _diagnostics(
    pack: str, reply: Any, resource: Mapping[str, Any] | None, by_urn: Mapping[str, Any]
) -> list[Diagnostic]:
    found = []
    for d in reply.diagnostics:
        urn = d.urn or (resource["urn"] if resource else "")
        target = by_urn.get(urn, {})
        # the pack prefixes each message with the policy's description
        message = d.message.removeprefix(f"{d.description}\n") if d.description else d.message
        found.append(
            Diagnostic(
                pack=pack,
                policy=d.policyName,
                description=d.description,
                message=message,
                enforcement=ENFORCEMENT.get(d.enforcementLevel, "advisory"),
                urn=urn,
                type=str(target.get("type", "")),
                name=str(target.get("name", "")),
            )
        )
    return found
