"""AWS: EKS, nodes, network, S3, KMS, IAM, logs."""

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policies.lib.props import environment, get, items
from policies.lib.rules import Resource, Rule, StackRule, rule, stack_rule

EKS = "aws:eks/cluster:Cluster"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
CONTROL_PLANE_LOGS = {"api", "audit", "authenticator", "controllerManager", "scheduler"}
WORLD = {"0.0.0.0/0", "::/0"}
BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")


@rule(
    "eks-endpoint-private-in-prod",
    "EKS API endpoints are private in prod",
    [EKS],
    mirrors="CKV_AWS_39 / compliance-policies eks-cluster-disallow-api-endpoint-public-access",
)
def eks_private_endpoint(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if environment(resource.props, config) == "prod" and get(
        resource.props, "vpcConfig", "endpointPublicAccess", default=True
    ):
        yield "the cluster API is reachable from the internet; set endpoint_access: private"


@rule(
    "eks-public-endpoint-restricted",
    "A public EKS endpoint admits only listed ranges outside dev",
    [EKS],
    mirrors="CKV_AWS_38",
)
def eks_public_cidrs(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    public = get(resource.props, "vpcConfig", "endpointPublicAccess", default=True)
    cidrs = set(items(resource.props, "vpcConfig", "publicAccessCidrs")) or WORLD
    if public and environment(resource.props, config) != "dev" and cidrs & WORLD:
        yield "the public API endpoint admits 0.0.0.0/0; list your egress ranges"


@rule(
    "eks-secrets-encryption",
    "EKS envelope-encrypts Kubernetes secrets with a KMS key",
    [EKS],
    mirrors="CKV_AWS_58 / compliance-policies eks-cluster-encryption-config",
)
def eks_secrets(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    encryption = get(resource.props, "encryptionConfig", default={})
    if "secrets" not in items(encryption, "resources") or not get(encryption, "provider", "keyArn"):
        yield "secrets are not encrypted with a KMS key (encryptionConfig)"


@rule(
    "eks-control-plane-logs", "EKS ships every control-plane log type", [EKS], mirrors="CKV_AWS_37"
)
def eks_logs(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    missing = CONTROL_PLANE_LOGS - set(items(resource.props, "enabledClusterLogTypes"))
    if missing:
        yield f"control-plane logs not enabled: {', '.join(sorted(missing))}"


@rule(
    "launch-template-imdsv2", "Nodes require IMDSv2 tokens", [LAUNCH_TEMPLATE], mirrors="CKV_AWS_79"
)
def imdsv2(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if get(resource.props, "metadataOptions", "httpTokens") != "required":
        yield "metadataOptions.httpTokens is not 'required' (IMDSv1 stays open)"


@rule(
    "launch-template-hop-limit",
    "Pods cannot reach the node's instance metadata (hop limit 1)",
    [LAUNCH_TEMPLATE],
    mirrors="compliance-policies launch-template-metadata-hop-limit",
)
def hop_limit(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if get(resource.props, "metadataOptions", "httpPutResponseHopLimit", default=2) > 1:
        yield "metadataOptions.httpPutResponseHopLimit is above 1: pods can borrow the node's role"


@rule(
    "launch-template-no-public-ip",
    "Nodes get no public IP",
    [LAUNCH_TEMPLATE],
    mirrors="CKV_AWS_88",
)
def no_public_ip(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for interface in items(resource.props, "networkInterfaces"):
        if get(interface, "associatePublicIpAddress") in (True, "true"):
            yield "a network interface associates a public IP"


@rule(
    "launch-template-encrypted-volumes",
    "Node volumes are encrypted",
    [LAUNCH_TEMPLATE],
    mirrors="CKV_AWS_8 / compliance-policies launch-template-disallow-unencrypted-block-device",
)
def encrypted_volumes(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for mapping in items(resource.props, "blockDeviceMappings"):
        if get(mapping, "ebs", "encrypted") not in (True, "true"):
            yield f"block device {get(mapping, 'deviceName', default='?')} is not encrypted"


@rule(
    "ebs-volume-encrypted",
    "EBS volumes are encrypted",
    ["aws:ebs/volume:Volume"],
    mirrors="CKV_AWS_3",
)
def ebs_encrypted(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if not get(resource.props, "encrypted", default=False):
        yield "the volume is not encrypted"


@rule(
    "security-group-no-world-ingress",
    "No security group admits the whole internet",
    [
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    ],
    mirrors="CKV_AWS_24 / CKV_AWS_25 / CKV_AWS_260",
)
def no_world_ingress(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    rules = items(resource.props, "ingress") or [resource.props]
    for entry in rules:
        sources = set(items(entry, "cidrBlocks")) | set(items(entry, "ipv6CidrBlocks"))
        sources |= {get(entry, "cidrIpv4"), get(entry, "cidrIpv6")} - {None}
        if sources & WORLD:
            ports = f"{get(entry, 'fromPort')}-{get(entry, 'toPort')}"
            yield f"ingress from {', '.join(sorted(sources & WORLD))} (ports {ports})"


@rule(
    "subnet-no-public-ip-on-launch",
    "Subnets do not hand out public IPs",
    ["aws:ec2/subnet:Subnet"],
    mirrors="CKV_AWS_130",
)
def subnet_public_ip(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if get(resource.props, "mapPublicIpOnLaunch", default=False):
        yield "mapPublicIpOnLaunch is true"


@rule(
    "default-security-group-closed",
    "The VPC's default security group allows nothing",
    ["aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"],
    mirrors="CKV2_AWS_12",
)
def default_sg(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if items(resource.props, "ingress") or items(resource.props, "egress"):
        yield "the default security group has rules; empty it"


@rule(
    "s3-public-access-block",
    "Buckets block every form of public access",
    ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"],
    mirrors="CKV_AWS_53 / CKV_AWS_54 / CKV_AWS_55 / CKV_AWS_56",
)
def public_access_block(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    keys = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    off = [k for k in keys if get(resource.props, k) is not True]
    if off:
        yield f"not blocked: {', '.join(off)}"


@rule(
    "s3-encryption-customer-key",
    "Buckets encrypt with a customer-managed KMS key",
    ["aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"],
    mirrors="CKV_AWS_145",
)
def bucket_kms(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for entry in items(resource.props, "rules") or [{}]:
        default = get(entry, "applyServerSideEncryptionByDefault", default={})
        if get(default, "sseAlgorithm") != "aws:kms" or not get(default, "kmsMasterKeyId"):
            yield "default encryption is not aws:kms with a customer key"


@rule(
    "s3-versioning",
    "Buckets keep versions",
    ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"],
    mirrors="CKV_AWS_21",
)
def versioning(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if get(resource.props, "versioningConfiguration", "status") != "Enabled":
        yield "versioning is not Enabled"


def _policy_document(value: Any) -> Mapping[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return {}
    return value if isinstance(value, Mapping) else {}


def _statements(value: Any) -> list[Mapping[str, Any]]:
    statements = get(_policy_document(value), "Statement", default=[])
    statements = [statements] if isinstance(statements, Mapping) else statements
    return [s for s in statements if isinstance(s, Mapping)]


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]


@stack_rule(
    "s3-tls-only",
    "Every bucket's policy denies requests without TLS",
    mirrors="CKV_AWS_70-family / compliance-policies s3-bucket-ssl-requests-only",
)
def tls_only(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str | None]]:
    denied: set[str] = set()
    for policy in (r for r in resources if r.type == "aws:s3/bucketPolicy:BucketPolicy"):
        for statement in _statements(policy.props.get("policy")):
            secure = get(statement, "Condition", "Bool", "aws:SecureTransport")
            if statement.get("Effect") == "Deny" and str(secure).lower() == "false":
                denied.update(policy.input_from("bucket"))
    for bucket in (r for r in resources if r.type in BUCKET_TYPES):
        if bucket.urn not in denied:
            yield (
                f"bucket {bucket.name} has no policy denying aws:SecureTransport=false",
                bucket.urn,
            )


@rule("kms-key-rotation", "KMS keys rotate yearly", ["aws:kms/key:Key"], mirrors="CKV_AWS_7")
def kms_rotation(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if not get(resource.props, "enableKeyRotation", default=False):
        yield "enableKeyRotation is off"


IAM_POLICY_TYPES = (
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/policy:Policy",
    "aws:iam/userPolicy:UserPolicy",
)


@rule(
    "iam-no-wildcard-actions",
    "IAM policies never allow every action of a service",
    IAM_POLICY_TYPES,
    mirrors="CKV_AWS_290 / CKV_AWS_355 / compliance-policies iam-policy-disallow-star-action",
)
def wildcard_actions(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for statement in _statements(resource.props.get("policy")):
        if statement.get("Effect", "Allow") != "Allow":
            continue
        for action in _as_list(statement.get("Action")):
            if action == "*" or str(action).endswith(":*"):
                yield f"allows {action}"


@rule(
    "iam-no-wildcard-resources-for-data",
    "Data actions (S3, KMS) name their resources",
    IAM_POLICY_TYPES,
    mirrors="CKV_AWS_289",
)
def wildcard_resources(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for statement in _statements(resource.props.get("policy")):
        actions = [str(a) for a in _as_list(statement.get("Action"))]
        if statement.get("Effect", "Allow") == "Allow" and "*" in _as_list(
            statement.get("Resource")
        ):
            data = [a for a in actions if a.startswith(("s3:", "kms:"))]
            if data:
                yield f"{', '.join(data)} on Resource '*'"


@rule(
    "irsa-trust-pinned",
    "Web-identity roles trust exactly one service account and the STS audience",
    ["aws:iam/role:Role"],
    mirrors="compliance-policies iam-role-web-identity-condition",
)
def irsa_trust(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for statement in _statements(resource.props.get("assumeRolePolicy")):
        if "sts:AssumeRoleWithWebIdentity" not in _as_list(statement.get("Action")):
            continue
        equals = get(statement, "Condition", "StringEquals", default={})
        subjects = [v for k, v in equals.items() if k.endswith(":sub")]
        audiences = [v for k, v in equals.items() if k.endswith(":aud")]
        if (
            len(subjects) != 1
            or not str(subjects[0]).startswith("system:serviceaccount:")
            or "*" in str(subjects[0])
        ):
            yield "the trust is not pinned to one service account (StringEquals <issuer>:sub)"
        if audiences != ["sts.amazonaws.com"]:
            yield "the trust does not require the sts.amazonaws.com audience"
        if get(statement, "Condition", "StringLike"):
            yield "StringLike conditions widen the trust; use StringEquals"


@rule(
    "log-group-encrypted",
    "Log groups are encrypted with a KMS key in prod",
    ["aws:cloudwatch/logGroup:LogGroup"],
    mirrors="CKV_AWS_158",
)
def log_group_kms(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if environment(resource.props, config) == "prod" and not get(resource.props, "kmsKeyId"):
        yield "kmsKeyId is not set"


@rule(
    "node-group-no-remote-access",
    "Node groups allow no SSH remote access",
    ["aws:eks/nodeGroup:NodeGroup"],
    mirrors="CKV_AWS_100",
)
def no_remote_access(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if get(resource.props, "remoteAccess"):
        yield "remoteAccess is configured"


@stack_rule("vpc-flow-logs-in-prod", "Prod VPCs have flow logs", mirrors="CKV2_AWS_11")
def flow_logs(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str | None]]:
    logged = {
        u for r in resources if r.type == "aws:ec2/flowLog:FlowLog" for u in r.input_from("vpcId")
    }
    for vpc in (r for r in resources if r.type == "aws:ec2/vpc:Vpc"):
        if environment(vpc.props, config) == "prod" and vpc.urn not in logged:
            yield f"VPC {vpc.name} has no flow log", vpc.urn


RULES: list[Rule | StackRule] = [
    eks_private_endpoint,
    eks_public_cidrs,
    eks_secrets,
    eks_logs,
    imdsv2,
    hop_limit,
    no_public_ip,
    encrypted_volumes,
    ebs_encrypted,
    no_world_ingress,
    subnet_public_ip,
    default_sg,
    public_access_block,
    bucket_kms,
    versioning,
    tls_only,
    kms_rotation,
    wildcard_actions,
    wildcard_resources,
    irsa_trust,
    log_group_kms,
    no_remote_access,
    flow_logs,
]
