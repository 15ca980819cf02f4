"""IAM and resource policy documents, as plain dictionaries (serialise with json.dumps).

Pure functions of ARNs and names, so each document is tested on its own and the
components only wire them to resources.
"""

from collections.abc import Sequence
from typing import Any

Document = dict[str, Any]
VERSION = "2012-10-17"

BUCKET_READ_ACTIONS = ("s3:GetBucketLocation", "s3:ListBucket")
OBJECT_READ_ACTIONS = ("s3:GetObject", "s3:GetObjectAttributes")
OBJECT_WRITE_ACTIONS = (
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
)
BUCKET_WRITE_ACTIONS = ("s3:ListBucketMultipartUploads",)
KEY_READ_ACTIONS = ("kms:Decrypt", "kms:DescribeKey")
# SSE-KMS writes ask for a data key; multipart completion also decrypts (read set).
KEY_WRITE_ACTIONS = ("kms:GenerateDataKey",)


def document(statements: Sequence[Document]) -> Document:
    return {"Version": VERSION, "Statement": list(statements)}


def service_trust_policy(*services: str) -> Document:
    """A role that AWS services (`eks.amazonaws.com`, `ec2.amazonaws.com`, …) may assume."""
    return document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": sorted(services) if len(services) > 1 else services[0]},
                "Action": "sts:AssumeRole",
            }
        ]
    )


def issuer_host(issuer_url: str) -> str:
    """The OIDC issuer as IAM condition keys spell it: without the scheme."""
    return issuer_url.removeprefix("https://")


def irsa_trust_policy(
    oidc_provider_arn: str, issuer_url: str, namespace: str, service_account: str
) -> Document:
    """A role that exactly one Kubernetes service account may assume (IRSA)."""
    host = issuer_host(issuer_url)
    return document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                        f"{host}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ]
    )


def bucket_access_statements(
    bucket_arn: str, key_arn: str, *, write: bool, sid: str
) -> list[Document]:
    """Least-privilege access to one bucket, its objects and its KMS key; nothing else."""
    bucket_actions = BUCKET_READ_ACTIONS + (BUCKET_WRITE_ACTIONS if write else ())
    object_actions = OBJECT_READ_ACTIONS + (OBJECT_WRITE_ACTIONS if write else ())
    key_actions = KEY_READ_ACTIONS + (KEY_WRITE_ACTIONS if write else ())
    return [
        {
            "Sid": f"{sid}Bucket",
            "Effect": "Allow",
            "Action": list(bucket_actions),
            "Resource": bucket_arn,
        },
        {
            "Sid": f"{sid}Objects",
            "Effect": "Allow",
            "Action": list(object_actions),
            "Resource": f"{bucket_arn}/*",
        },
        {"Sid": f"{sid}Key", "Effect": "Allow", "Action": list(key_actions), "Resource": key_arn},
    ]


def cluster_encryption_policy(key_arn: str) -> Document:
    """What the EKS cluster role needs to envelope-encrypt secrets with one key."""
    return document(
        [
            {
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                "Resource": key_arn,
            }
        ]
    )


def tls_only_bucket_policy(bucket_arn: str) -> Document:
    """Deny every request to the bucket or its objects that does not use TLS."""
    return document(
        [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
    )


def account_key_policy(account_id: str, partition: str, extra: Sequence[Document] = ()) -> Document:
    """A KMS key policy: the account administers the key through IAM, plus `extra`."""
    return document(
        [
            {
                "Sid": "AccountAdministersThroughIam",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            *extra,
        ]
    )


def logs_key_statement(account_id: str, partition: str, region: str) -> Document:
    """Let CloudWatch Logs use a key, only for this account's log groups in this region."""
    return {
        "Sid": "CloudWatchLogsUse",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{region}.amazonaws.com"},
        "Action": [
            "kms:Encrypt*",
            "kms:Decrypt*",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:Describe*",
        ],
        "Resource": "*",
        "Condition": {
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": (
                    f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
                )
            }
        },
    }


def flow_logs_delivery_policy(log_group_arn: str) -> Document:
    """What the VPC flow logs service needs to write into one log group."""
    return document(
        [
            {
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogGroups",
                    "logs:DescribeLogStreams",
                ],
                "Resource": [log_group_arn, f"{log_group_arn}:*"],
            }
        ]
    )


def cluster_autoscaler_policy(cluster_name: str) -> Document:
    """The Cluster Autoscaler's permissions: read everywhere (the describe calls take no
    resource), change only Auto Scaling groups tagged as this cluster's."""
    return document(
        [
            {
                "Sid": "Discover",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "autoscaling:DescribeTags",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                    "eks:DescribeNodegroup",
                ],
                "Resource": "*",
            },
            {
                "Sid": "ScaleOwnGroups",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:SetDesiredCapacity",
                    "autoscaling:TerminateInstanceInAutoScalingGroup",
                ],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"
                    }
                },
            },
        ]
    )
