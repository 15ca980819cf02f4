"""Outputs AWS would return for the resources and data sources the program uses."""

import re
from collections.abc import Callable
from typing import Any

from infra.offline.mocks.context import MockContext

ID_PREFIXES = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/route:Route": "r",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/flowLog:FlowLog": "fl",
}

Extra = Callable[[MockContext, str, dict[str, Any]], dict[str, Any]]


def resource(
    ctx: MockContext, typ: str, name: str, inputs: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    prefix = ID_PREFIXES.get(typ)
    resource_id = (
        f"{prefix}-{ctx.digest(typ, name)}"
        if prefix
        else f"{name}-{ctx.digest(typ, name, length=8)}"
    )
    service, kind = _service_and_kind(typ)
    state = {
        "arn": f"arn:aws:{service}:{ctx.region}:{ctx.aws_account_id}:{kind}/{resource_id}",
        "tagsAll": dict(inputs.get("tags") or {}),
    }
    extra = EXTRAS.get(typ)
    if extra is not None:
        state.update(extra(ctx, resource_id, inputs))
    return resource_id, state


def _service_and_kind(typ: str) -> tuple[str, str]:
    module, kind = typ.split(":")[1], typ.split(":")[2]
    service = module.split("/")[0]
    return service, re.sub(r"(?<!^)(?=[A-Z])", "-", kind).lower()


def _vpc(ctx: MockContext, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "ownerId": ctx.aws_account_id,
        "defaultSecurityGroupId": f"sg-{ctx.digest(rid, 'default-sg')}",
        "defaultNetworkAclId": f"acl-{ctx.digest(rid, 'default-acl')}",
        "mainRouteTableId": f"rtb-{ctx.digest(rid, 'main-rtb')}",
    }


def _subnet(ctx: MockContext, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    zone = str(inputs.get("availabilityZone", f"{ctx.region}a"))
    return {"ownerId": ctx.aws_account_id, "availabilityZoneId": f"use1-az{ord(zone[-1]) - 96}"}


def _eip(ctx: MockContext, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"allocationId": rid, "publicIp": ctx.ip(rid), "domain": "vpc"}


def _nat(ctx: MockContext, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "publicIp": ctx.ip(rid),
        "privateIp": "10.255.0.10",
        "networkInterfaceId": f"eni-{ctx.digest(rid)}",
    }


EXTRAS: dict[str, Extra] = {
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/subnet:Subnet": _subnet,
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/natGateway:NatGateway": _nat,
}


def call(ctx: MockContext, token: str, args: dict[str, Any]) -> dict[str, Any] | None:
    letters = "abcdef"
    if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
        return {
            "id": ctx.region,
            "names": [f"{ctx.region}{c}" for c in letters],
            "zoneIds": [f"use1-az{i + 1}" for i in range(len(letters))],
            "state": args.get("state", "available"),
        }
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        return {
            "id": ctx.aws_account_id,
            "accountId": ctx.aws_account_id,
            "arn": f"arn:aws:sts::{ctx.aws_account_id}:assumed-role/offline/plan",
            "userId": "AROAOFFLINEPLAN:plan",
        }
    if token == "aws:index/getRegion:getRegion":
        return {
            "id": ctx.region,
            "name": ctx.region,
            "region": ctx.region,
            "description": ctx.region,
        }
    if token == "aws:index/getPartition:getPartition":
        return {
            "id": "aws",
            "partition": "aws",
            "dnsSuffix": "amazonaws.com",
            "reverseDnsPrefix": "com.amazonaws",
        }
    return None
