"""AWS preflight with the caller's credentials: zones that offer each instance type, vCPU
quotas for the stack's maximum scale, and support for the Kubernetes version.

Read-only: describe_availability_zones, describe_instance_type_offerings and
describe_instance_types (EC2), get_service_quota (Service Quotas),
describe_cluster_versions (EKS), and with an in-network deploy runner get_connection
(CodeConnections): the runner registers with GitHub through that connection.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from components.catalog import catalog, resolve_instance
from components.catalog.pricing import price_catalog
from components.enums import CapacityType, Cloud, DeployRunner
from infra.config import StackConfig
from infra.cost import system_pool_shape
from infra.preflight.findings import Finding, Severity

P = "llm-infra:platform"


@dataclass(frozen=True)
class Quota:
    code: str
    name: str


# EC2 vCPU quotas by instance family letter and capacity type.
QUOTAS = {
    ("G", CapacityType.ON_DEMAND): Quota("L-DB2E81BA", "Running On-Demand G and VT instances"),
    ("P", CapacityType.ON_DEMAND): Quota("L-417A185B", "Running On-Demand P instances"),
    ("G", CapacityType.SPOT): Quota("L-3819A6DF", "All G and VT Spot Instance Requests"),
    ("P", CapacityType.SPOT): Quota("L-7212CCBC", "All P Spot Instance Requests"),
    ("standard", CapacityType.ON_DEMAND): Quota(
        "L-1216C47A", "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"
    ),
}


@dataclass(frozen=True)
class Demand:
    """Instances the stack runs at maximum scale in one pool."""

    where: str  # config path of the pool
    zones_key: str  # config path that picks its zones
    instance_type: str
    count: int
    capacity: CapacityType
    zones: tuple[str, ...]


def aws_preflight(config: StackConfig, session: Any) -> list[Finding]:
    ec2 = session.client("ec2", region_name=config.region)
    zones = _zones(config, ec2)
    demands = _demands(config, zones)
    findings = _offerings(ec2, demands)
    findings += _quotas(session.client("service-quotas", region_name=config.region), ec2, demands)
    findings.append(_kubernetes_version(session.client("eks", region_name=config.region), config))
    arn = config.deploy.aws_connection_arn
    if config.deploy.runner is DeployRunner.IN_NETWORK and arn:
        region = arn.split(":")[3]
        findings.append(_connection(session.client("codeconnections", region_name=region), arn))
    return findings


def _connection(connections: Any, arn: str) -> Finding:
    """A connection created outside the console stays PENDING until someone completes it
    there (Developer Tools console user guide, "connections-update"); CodeBuild's webhook
    cannot be created through it until then."""
    check = "github connection"
    where = f"{P}.deploy.aws_connection_arn"
    try:
        reply = connections.get_connection(ConnectionArn=arn)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return Finding(
                check,
                Severity.ERROR,
                f"{where}: no connection {arn}",
                "create it in Developer Tools → Settings → Connections and copy its ARN",
            )
        return Finding(check, Severity.WARNING, f"could not read {arn}: {error}", "check it")
    except BotoCoreError as error:
        return Finding(check, Severity.WARNING, f"could not read {arn}: {error}", "check it")
    connection = reply.get("Connection", {})
    status = str(connection.get("ConnectionStatus", ""))
    name = connection.get("ConnectionName", arn)
    if status == "AVAILABLE":
        return Finding(check, Severity.OK, f"connection '{name}' to GitHub is available")
    return Finding(
        check,
        Severity.ERROR,
        f"{where}: connection '{name}' is {status or 'in no known state'}, so CodeBuild cannot "
        "register the deploy runner with GitHub",
        "complete it in Developer Tools → Settings → Connections (Update pending connection)",
    )


def _zones(config: StackConfig, ec2: Any) -> tuple[str, ...]:
    if config.network.availability_zones:
        return config.network.availability_zones
    reply = ec2.describe_availability_zones(
        Filters=[
            {"Name": "state", "Values": ["available"]},
            {"Name": "zone-type", "Values": ["availability-zone"]},
        ]
    )
    names = sorted(z["ZoneName"] for z in reply["AvailabilityZones"])
    return tuple(names[: config.network.zone_count])


def _demands(config: StackConfig, zones: tuple[str, ...]) -> list[Demand]:
    # the CPU pool as the platform builds it (sized from what the stack runs there)
    instance_type, _, max_nodes = system_pool_shape(config, price_catalog().clouds[Cloud.AWS])
    demands = [
        Demand(
            f"{P}.cluster.system_pool",
            f"{P}.network.availability_zones",
            instance_type,
            max_nodes,
            CapacityType.ON_DEMAND,
            zones,
        )
    ]
    for index, pool in enumerate(config.gpu_pools):
        instance = resolve_instance(
            catalog(),
            Cloud.AWS,
            gpu=pool.gpu,
            instance_type=pool.instance_type,
            gpus_per_node=pool.gpus_per_node,
        )
        demands.append(
            Demand(
                f"{P}.gpu_pools[{index}]",
                f"{P}.gpu_pools[{index}].zones",
                instance.name,
                pool.max_nodes,
                pool.capacity_type,
                pool.zones or zones,
            )
        )
    return demands


def _offerings(ec2: Any, demands: list[Demand]) -> list[Finding]:
    types = sorted({d.instance_type for d in demands})
    offered: dict[str, set[str]] = defaultdict(set)
    paginator = ec2.get_paginator("describe_instance_type_offerings")
    for page in paginator.paginate(
        LocationType="availability-zone", Filters=[{"Name": "instance-type", "Values": types}]
    ):
        for offering in page["InstanceTypeOfferings"]:
            offered[offering["InstanceType"]].add(offering["Location"])
    findings = []
    for demand in demands:
        missing = [z for z in demand.zones if z not in offered[demand.instance_type]]
        check = f"offering {demand.instance_type}"
        if not missing:
            findings.append(
                Finding(
                    check,
                    Severity.OK,
                    f"{demand.instance_type} is offered in {', '.join(demand.zones)}",
                )
            )
            continue
        usable = sorted(offered[demand.instance_type] & set(demand.zones)) or sorted(
            offered[demand.instance_type]
        )
        findings.append(
            Finding(
                check,
                Severity.ERROR,
                f"{demand.where}: {demand.instance_type} is not offered in {', '.join(missing)}",
                _zone_fix(demand, usable) if usable else "pick another instance type or region",
            )
        )
    return findings


def _zone_fix(demand: Demand, usable: list[str]) -> str:
    fix = f"set {demand.zones_key} to zones that offer it ({', '.join(usable)})"
    if demand.zones_key.endswith("availability_zones"):
        fix += f", or choose another {demand.where}.instance_type"
    return fix


def _family(instance_type: str) -> str:
    letter = instance_type[0].upper()
    return letter if letter in {"G", "P"} else "standard"


def _quotas(quotas: Any, ec2: Any, demands: list[Demand]) -> list[Finding]:
    vcpus = _vcpus(ec2, {d.instance_type for d in demands})
    needed: dict[tuple[str, CapacityType], list[str]] = defaultdict(list)
    totals: dict[tuple[str, CapacityType], int] = defaultdict(int)
    for demand in demands:
        key = (_family(demand.instance_type), demand.capacity)
        totals[key] += demand.count * vcpus[demand.instance_type]
        needed[key].append(
            f"{demand.count} × {demand.instance_type} ({vcpus[demand.instance_type]} vCPUs)"
        )
    findings = []
    for key, total in sorted(totals.items()):
        quota = QUOTAS.get(key)
        if quota is None or total == 0:
            continue
        check = f"quota {quota.code}"
        try:
            value = _quota_value(quotas, quota.code)
        except (ClientError, BotoCoreError) as error:
            findings.append(
                Finding(
                    check,
                    Severity.WARNING,
                    f"could not read '{quota.name}': {error}",
                    "check it in the Service Quotas console",
                )
            )
            continue
        parts = " + ".join(needed[key])
        if value < total:
            findings.append(
                Finding(
                    check,
                    Severity.ERROR,
                    f"'{quota.name}' is {value:g} vCPUs; the stack needs {total} at max "
                    f"scale ({parts})",
                    f"aws service-quotas request-service-quota-increase --service-code ec2 "
                    f"--quota-code {quota.code} --desired-value {total}",
                )
            )
        else:
            findings.append(
                Finding(check, Severity.OK, f"'{quota.name}' {value:g} vCPUs covers {total}")
            )
    return findings


def _quota_value(quotas: Any, code: str) -> float:
    try:
        reply = quotas.get_service_quota(ServiceCode="ec2", QuotaCode=code)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NoSuchResourceException":
            raise
        reply = quotas.get_aws_default_service_quota(ServiceCode="ec2", QuotaCode=code)
    return float(reply["Quota"]["Value"])


def _vcpus(ec2: Any, types: Iterable[str]) -> dict[str, int]:
    known = {t.name: t.vcpus for t in catalog().instances[Cloud.AWS]}
    unknown = sorted(t for t in types if t not in known)
    if unknown:
        reply = ec2.describe_instance_types(InstanceTypes=unknown)
        known.update(
            {t["InstanceType"]: t["VCpuInfo"]["DefaultVCpus"] for t in reply["InstanceTypes"]}
        )
    return known


def _kubernetes_version(eks: Any, config: StackConfig) -> Finding:
    version = config.cluster.kubernetes_version
    check = f"kubernetes {version}"
    try:
        reply = eks.describe_cluster_versions(clusterType="eks", clusterVersions=[version])
    except (ClientError, BotoCoreError) as error:
        return Finding(
            check,
            Severity.WARNING,
            f"could not read EKS versions: {error}",
            "check `aws eks describe-cluster-versions`",
        )
    entries = reply.get("clusterVersions", [])
    if not entries:
        return Finding(
            check,
            Severity.ERROR,
            f"{P}.cluster.kubernetes_version: EKS does not offer {version} in {config.region}",
            "use a version `aws eks describe-cluster-versions` lists",
        )
    status = str(entries[0].get("versionStatus") or entries[0].get("status") or "").upper()
    if "EXTENDED" in status:
        return Finding(
            check,
            Severity.WARNING,
            f"EKS {version} is in extended support (billed at $0.60 per cluster-hour, not $0.10)",
            "upgrade to a version in standard support",
        )
    if "UNSUPPORTED" in status or "END_OF" in status:
        return Finding(
            check,
            Severity.ERROR,
            f"EKS {version} is no longer supported",
            "use a supported version",
        )
    return Finding(check, Severity.OK, f"EKS {version} is in standard support")
