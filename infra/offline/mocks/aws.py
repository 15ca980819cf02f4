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
    custom_id = ID_BUILDERS.get(typ)
    if custom_id is not None:
        resource_id = custom_id(ctx, name, inputs)
    service, kind = _service_and_kind(typ)
    # IAM is global: its ARNs carry no region.
    region = "" if service == "iam" else ctx.region
    state = {
        "arn": f"arn:aws:{service}:{region}:{ctx.aws_account_id}:{kind}/{resource_id}",
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


def _physical(ctx: MockContext, name: str, inputs: dict[str, Any], key: str = "name") -> str:
    """The provider's auto-naming: the logical name plus a random suffix, unless given."""
    given = inputs.get(key)
    return str(given) if given else f"{name}-{ctx.digest(name, 'auto', length=7)}"


def _uuid(ctx: MockContext, *parts: str) -> str:
    h = ctx.digest(*parts, length=32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


def _iam_arn(ctx: MockContext, kind: str, path: str) -> str:
    return f"arn:aws:iam::{ctx.aws_account_id}:{kind}/{path}"


def _role(ctx: MockContext, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": rid,
        "arn": _iam_arn(ctx, "role", rid),
        "uniqueId": f"AROA{ctx.digest(rid, length=17).upper()}",
    }


def _oidc_provider(ctx: MockContext, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    host = str(inputs.get("url", "")).removeprefix("https://")
    return {"arn": _iam_arn(ctx, "oidc-provider", host)}


def _bucket(ctx: MockContext, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "bucket": rid,
        "arn": f"arn:aws:s3:::{rid}",
        "bucketDomainName": f"{rid}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{rid}.s3.{ctx.region}.amazonaws.com",
        "region": ctx.region,
    }


def _kms_key(ctx: MockContext, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"keyId": rid, "arn": f"arn:aws:kms:{ctx.region}:{ctx.aws_account_id}:key/{rid}"}


def _log_group(ctx: MockContext, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": rid,
        "arn": f"arn:aws:logs:{ctx.region}:{ctx.aws_account_id}:log-group:{rid}",
    }


def _placement_group(ctx: MockContext, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """A placement group's id is its name (EC2 API, CreatePlacementGroup: GroupName)."""
    return {"name": rid, "placementGroupId": f"pg-{ctx.digest(rid, length=17)}"}


def _eks_cluster(ctx: MockContext, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    oidc_id = ctx.digest(rid, "oidc", length=32).upper()
    endpoint_id = ctx.digest(rid, "endpoint", length=32).upper()
    return {
        "name": rid,
        "arn": f"arn:aws:eks:{ctx.region}:{ctx.aws_account_id}:cluster/{rid}",
        "endpoint": f"https://{endpoint_id}.gr7.{ctx.region}.eks.amazonaws.com",
        "certificateAuthority": {"data": "TU9DSyBDRVJUSUZJQ0FURSBBVVRIT1JJVFk="},
        "identities": [
            {"oidcs": [{"issuer": f"https://oidc.eks.{ctx.region}.amazonaws.com/id/{oidc_id}"}]}
        ],
        "platformVersion": "eks.1",
        "status": "ACTIVE",
        "clusterId": _uuid(ctx, rid, "cluster-id"),
        "vpcConfig": {
            **dict(inputs.get("vpcConfig") or {}),
            "clusterSecurityGroupId": f"sg-{ctx.digest(rid, 'cluster-sg')}",
            "vpcId": f"vpc-{ctx.digest(rid, 'vpc')}",
        },
    }


def _node_group(ctx: MockContext, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    cluster, _, group = rid.partition(":")
    return {
        "nodeGroupName": group,
        "arn": (
            f"arn:aws:eks:{ctx.region}:{ctx.aws_account_id}:nodegroup/{cluster}/{group}/"
            f"{_uuid(ctx, rid)}"
        ),
        "status": "ACTIVE",
        "resources": [{"autoscalingGroups": [{"name": f"eks-{group}-{_uuid(ctx, rid, 'asg')}"}]}],
    }


def _launch_template(ctx: MockContext, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": _physical(ctx, rid, inputs),
        "latestVersion": 1,
        "defaultVersion": 1,
        "arn": f"arn:aws:ec2:{ctx.region}:{ctx.aws_account_id}:launch-template/{rid}",
    }


def _addon(ctx: MockContext, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    cluster, addon = str(inputs.get("clusterName")), str(inputs.get("addonName"))
    return {
        "arn": (
            f"arn:aws:eks:{ctx.region}:{ctx.aws_account_id}:addon/{cluster}/{addon}/"
            f"{_uuid(ctx, rid)}"
        ),
        "addonVersion": inputs.get("addonVersion") or "v0.0.0-eksbuild.1",
    }


def _access_entry(ctx: MockContext, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "accessEntryArn": (
            f"arn:aws:eks:{ctx.region}:{ctx.aws_account_id}:access-entry/"
            f"{inputs.get('clusterName')}/role/{ctx.aws_account_id}/{_uuid(ctx, rid)}"
        ),
        "type": inputs.get("type") or "STANDARD",
    }


# Resources whose id is not a prefixed hex string in the real cloud.
ID_BUILDERS: dict[str, Callable[[MockContext, str, dict[str, Any]], str]] = {
    "aws:iam/role:Role": _physical,
    "aws:iam/rolePolicy:RolePolicy": lambda ctx, name, inputs: (
        f"{inputs.get('role')}:{_physical(ctx, name, inputs)}"
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": lambda ctx, name, inputs: (
        f"{inputs.get('role')}/{inputs.get('policyArn')}"
    ),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": lambda ctx, name, inputs: _iam_arn(
        ctx, "oidc-provider", str(inputs.get("url", "")).removeprefix("https://")
    ),
    "aws:s3/bucket:Bucket": lambda ctx, name, inputs: _physical(ctx, name, inputs, "bucket"),
    "aws:kms/key:Key": lambda ctx, name, inputs: _uuid(ctx, "kms", name),
    "aws:cloudwatch/logGroup:LogGroup": _physical,
    "aws:ec2/placementGroup:PlacementGroup": _physical,
    "aws:eks/cluster:Cluster": _physical,
    "aws:eks/nodeGroup:NodeGroup": lambda ctx, name, inputs: (
        f"{inputs.get('clusterName')}:{_physical(ctx, name, inputs, 'nodeGroupName')}"
    ),
    "aws:eks/addon:Addon": lambda ctx, name, inputs: (
        f"{inputs.get('clusterName')}:{inputs.get('addonName')}"
    ),
    "aws:eks/accessEntry:AccessEntry": lambda ctx, name, inputs: (
        f"{inputs.get('clusterName')}:{inputs.get('principalArn')}"
    ),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": lambda ctx, name, inputs: (
        f"{inputs.get('clusterName')}#{inputs.get('principalArn')}#{inputs.get('policyArn')}"
    ),
}

EXTRAS: dict[str, Extra] = {
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/subnet:Subnet": _subnet,
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/natGateway:NatGateway": _nat,
    "aws:iam/role:Role": _role,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:kms/key:Key": _kms_key,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:ec2/placementGroup:PlacementGroup": _placement_group,
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:eks/addon:Addon": _addon,
    "aws:eks/accessEntry:AccessEntry": _access_entry,
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
