"""Compare two plan records: what a change creates, updates, deletes and replaces, what it
does to cost, to model fit and to policy results.

Works on the JSON records (docs/PLAN.md), so a pipeline can diff plans made by two
different checkouts. A stateful resource (bucket, key, volume, cluster, vector DB) that
disappears, changes URN or changes an input its provider cannot update in place is a
replacement: its data is destroyed, and the diff says so first.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# Type-token endings of resources that hold data or identity worth keeping.
STATEFUL_SUFFIXES = (
    ":Bucket",
    ":BucketV2",
    ":Key",
    ":CryptoKey",
    ":KeyRing",
    ":Volume",
    ":Disk",
    ":PersistentVolumeClaim",
    ":PersistentVolume",
    ":StatefulSet",
    ":Cluster",
    ":ManagedCluster",
    ":StorageAccount",
    ":BlobContainer",
    ":Vault",
    ":LogGroup",
)
# Inputs the providers cannot change in place for some stateful types.
REPLACING_INPUTS = {
    "aws:s3/bucket:Bucket": {"bucket", "bucketPrefix"},
    "aws:s3/bucketV2:BucketV2": {"bucket", "bucketPrefix"},
    "aws:kms/key:Key": {"customerMasterKeySpec", "keySpec", "keyUsage"},
    "aws:eks/cluster:Cluster": {"name", "roleArn"},
    "aws:ec2/vpc:Vpc": {"cidrBlock"},
    "aws:ec2/subnet:Subnet": {"cidrBlock", "availabilityZone", "vpcId"},
    "aws:cloudwatch/logGroup:LogGroup": {"name", "namePrefix"},
    "gcp:storage/bucket:Bucket": {"name", "location"},
    "gcp:container/cluster:Cluster": {"name", "location"},
    "gcp:kms/cryptoKey:CryptoKey": {"name", "keyRing"},
    "azure-native:storage:StorageAccount": {"accountName", "resourceGroupName", "location"},
    "azure-native:containerservice:ManagedCluster": {"resourceName", "resourceGroupName"},
}
ROOT_STACK = "pulumi:pulumi:Stack"


def is_stateful(type_token: str) -> bool:
    return type_token.endswith(STATEFUL_SUFFIXES) and not type_token.startswith("pulumi:")


@dataclass(frozen=True)
class Change:
    urn: str
    type: str
    name: str
    keys: list[str]  # inputs (and options, as `options.<name>`) that differ
    replaces: bool
    reason: str = ""


@dataclass(frozen=True)
class Replacement:
    """A stateful resource whose data a change destroys."""

    type: str
    name: str
    urn: str
    reason: str
    successor: str | None  # the URN that takes its place, when one does


@dataclass(frozen=True)
class CostDelta:
    base_min: float
    base_max: float
    head_min: float
    head_max: float
    lines: list[dict[str, Any]] = field(default_factory=list)

    @property
    def min(self) -> float:
        return round(self.head_min - self.base_min, 2)

    @property
    def max(self) -> float:
        return round(self.head_max - self.base_max, 2)


@dataclass(frozen=True)
class ModelChange:
    model: str
    change: str  # added | removed | changed
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    keys: list[str]


@dataclass(frozen=True)
class FrontDoorChange:
    """A change clients of the gateway see: where a model's traffic goes, who may call,
    at what limits, and how the endpoint is reached."""

    subject: str  # "model <name>", "client <name>" or "endpoint"
    before: Any
    after: Any


@dataclass(frozen=True)
class PolicyDelta:
    introduced: list[dict[str, Any]]
    resolved: list[dict[str, Any]]


@dataclass(frozen=True)
class PlanDiff:
    stack: str
    cloud: str
    region: str
    created: list[dict[str, Any]]
    deleted: list[dict[str, Any]]
    updated: list[Change]
    replacements: list[Replacement]
    renamed: list[tuple[str, str]]  # (old URN, new URN) kept by an alias
    cost: CostDelta | None
    models: list[ModelChange]
    policy: PolicyDelta | None
    front_door: list[FrontDoorChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.created or self.deleted or self.updated or self.models or self.front_door)


def diff_plans(base: dict[str, Any], head: dict[str, Any]) -> PlanDiff:
    before = _resources(base)
    after = _resources(head)
    renamed = _aliased(before, after)
    kept_old = {old for old, _ in renamed}
    kept_new = {new for _, new in renamed}
    created = [after[u] for u in sorted(after.keys() - before.keys()) if u not in kept_new]
    deleted = [before[u] for u in sorted(before.keys() - after.keys()) if u not in kept_old]
    updated = [
        change
        for urn in sorted(before.keys() & after.keys())
        if (change := _change(before[urn], after[urn])) is not None
    ]
    updated += [
        change for old, new in renamed if (change := _change(before[old], after[new])) is not None
    ]
    return PlanDiff(
        stack=str(head.get("stack", "")),
        cloud=str(head.get("cloud", "")),
        region=str(head.get("region", "")),
        created=created,
        deleted=deleted,
        updated=updated,
        replacements=_replacements(deleted, created, updated),
        renamed=renamed,
        cost=_cost(base.get("cost"), head.get("cost")),
        models=_models(base.get("sizing") or [], head.get("sizing") or []),
        policy=_policy(base.get("policy"), head.get("policy")),
        front_door=_front_door(_gateway(base), _gateway(head)),
    )


def _resources(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Resources keyed by URN without its stack and project, so that plans of one stack
    made under different stack names still line up."""
    return {_key(r["urn"]): r for r in record.get("resources", []) if r.get("type") != ROOT_STACK}


def _key(urn: str) -> str:
    return urn.split("::", 2)[-1]


def _aliased(
    before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]
) -> list[tuple[str, str]]:
    """Resources that moved to a new URN but carry an alias of their old one: no replacement."""
    gone = before.keys() - after.keys()
    pairs = []
    for urn in sorted(after.keys() - before.keys()):
        for alias in after[urn].get("options", {}).get("aliases", []):
            old = _alias_urn(alias, after[urn], before)
            if old in gone:
                pairs.append((old, urn))
                break
    return pairs


def _alias_urn(
    alias: dict[str, Any], resource: dict[str, Any], before: dict[str, dict[str, Any]]
) -> str | None:
    if "urn" in alias:
        return _key(str(alias["urn"]))
    spec = alias.get("spec", alias)
    name, type_ = spec.get("name", resource["name"]), spec.get("type", resource["type"])
    for urn, old in before.items():
        if old["name"] == name and old["type"] == type_:
            return urn
    return None


def _change(old: dict[str, Any], new: dict[str, Any]) -> Change | None:
    inputs_old, inputs_new = old.get("inputs", {}), new.get("inputs", {})
    keys = sorted(
        k for k in inputs_old.keys() | inputs_new.keys() if inputs_old.get(k) != inputs_new.get(k)
    )
    options_old, options_new = _options(old), _options(new)
    keys += sorted(
        f"options.{k}"
        for k in options_old.keys() | options_new.keys()
        if k != "aliases" and options_old.get(k) != options_new.get(k)
    )
    if _key(old.get("provider") or "") != _key(new.get("provider") or ""):
        keys.append("provider")
    if not keys:
        return None
    forcing = set(new.get("options", {}).get("replace_on_changes", []))
    forcing |= REPLACING_INPUTS.get(new["type"], set())
    if "*" in forcing:
        replacing = keys
    else:
        # a path (`spec.template.x`) forces a replacement when the value under it changes
        replacing = sorted(p for p in forcing if _at(inputs_old, p) != _at(inputs_new, p))
    reason = f"{', '.join(replacing)} cannot change in place" if replacing else ""
    return Change(new["urn"], new["type"], new["name"], keys, bool(replacing), reason)


def _at(inputs: dict[str, Any], path: str) -> Any:
    """The value of the inputs at a dotted path, as `replace_on_changes` names it."""
    found: Any = inputs
    for part in path.split("."):
        if not isinstance(found, dict):
            return None
        found = found.get(part)
    return found


def _options(resource: dict[str, Any]) -> dict[str, Any]:
    options = dict(resource.get("options", {}))
    options["depends_on"] = sorted(_key(u) for u in options.get("depends_on", []))
    if options.get("deleted_with"):
        options["deleted_with"] = _key(options["deleted_with"])
    return options


def _replacements(
    deleted: list[dict[str, Any]], created: list[dict[str, Any]], updated: list[Change]
) -> list[Replacement]:
    found = []
    for gone in deleted:
        if not is_stateful(gone["type"]):
            continue
        successor = next((c["urn"] for c in created if c["type"] == gone["type"]), None)
        reason = (
            "its URN changes (a rename or a new parent) and no alias keeps it"
            if successor
            else "it is removed from the program"
        )
        found.append(Replacement(gone["type"], gone["name"], gone["urn"], reason, successor))
    for change in updated:
        if change.replaces and is_stateful(change.type):
            found.append(
                Replacement(change.type, change.name, change.urn, change.reason, change.urn)
            )
    return found


def _cost(base: dict[str, Any] | None, head: dict[str, Any] | None) -> CostDelta | None:
    if not base or not head:
        return None
    lines = []
    old = {line["component"]: line for line in base.get("lines", [])}
    new = {line["component"]: line for line in head.get("lines", [])}
    for component in sorted(old.keys() | new.keys(), key=lambda c: (c not in new, c)):
        a, b = old.get(component, {}), new.get(component, {})
        delta_min = round(b.get("monthly_usd_min", 0) - a.get("monthly_usd_min", 0), 2)
        delta_max = round(b.get("monthly_usd_max", 0) - a.get("monthly_usd_max", 0), 2)
        if delta_min or delta_max:
            lines.append({"component": component, "min": delta_min, "max": delta_max})
    return CostDelta(
        base_min=base["monthly_usd_min"],
        base_max=base["monthly_usd_max"],
        head_min=head["monthly_usd_min"],
        head_max=head["monthly_usd_max"],
        lines=lines,
    )


MODEL_KEYS = (
    "gpu",
    "gpus",
    "pipeline_parallel",
    "instance_type",
    "max_model_len",
    "fits",
    "max_concurrent_sequences",
    "not_sized",
)


def _models(base: Iterable[dict[str, Any]], head: Iterable[dict[str, Any]]) -> list[ModelChange]:
    old = {m["model"]: m for m in base}
    new = {m["model"]: m for m in head}
    changes = []
    for name in sorted(old.keys() | new.keys()):
        a, b = old.get(name), new.get(name)
        if a is None:
            changes.append(ModelChange(name, "added", None, _summary(b), []))
        elif b is None:
            changes.append(ModelChange(name, "removed", _summary(a), None, []))
        else:
            before, after = _summary(a) or {}, _summary(b) or {}
            keys = [k for k in MODEL_KEYS if before.get(k) != after.get(k)]
            if keys:
                changes.append(ModelChange(name, "changed", before, after, keys))
    return changes


# Keys a record made before them does not carry, with the value they then meant.
MODEL_KEY_DEFAULTS = {"pipeline_parallel": 1}


def _summary(sizing: dict[str, Any] | None) -> dict[str, Any] | None:
    if not sizing:
        return None
    return {k: sizing.get(k, MODEL_KEY_DEFAULTS.get(k)) for k in MODEL_KEYS}


def _policy(base: dict[str, Any] | None, head: dict[str, Any] | None) -> PolicyDelta | None:
    if base is None or head is None:
        return None

    def keyed(result: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
        return {(v.get("rule", ""), v.get("urn", "")): v for v in result.get("violations", [])}

    old, new = keyed(base), keyed(head)
    return PolicyDelta(
        introduced=[new[k] for k in sorted(new.keys() - old.keys())],
        resolved=[old[k] for k in sorted(old.keys() - new.keys())],
    )


def _gateway(record: dict[str, Any]) -> dict[str, Any]:
    return dict((record.get("outputs", {}).get("workloads") or {}).get("gateway") or {})


def _front_door(base: dict[str, Any], head: dict[str, Any]) -> list[FrontDoorChange]:
    """Traffic splits per model, what balances each model's servers (endpoint picker or
    Service), clients and their limits, and the endpoint's URL, as the plans' `gateway`
    outputs state them."""
    changes = []
    if base.get("url") != head.get("url"):
        changes.append(FrontDoorChange("endpoint", base.get("url"), head.get("url")))
    for kind, key in (("model", "routes"), ("balancing", "balancing"), ("client", "clients")):
        old, new = base.get(key) or {}, head.get(key) or {}
        for name in [*old, *(n for n in new if n not in old)]:
            if old.get(name) != new.get(name):
                changes.append(FrontDoorChange(f"{kind} {name}", old.get(name), new.get(name)))
    return changes
