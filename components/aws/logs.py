"""CloudWatch log groups the platform writes to: KMS-encrypted, with a retention."""

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws.cloudwatch import RETENTION_DAYS
from components.aws.kms import rotated_key, stateful
from components.aws.policies import account_key_policy, logs_key_statement


@dataclass(frozen=True)
class LogGroup:
    key: aws.kms.Key
    log_group: aws.cloudwatch.LogGroup


def encrypted_log_group(
    resource_name: str,
    *,
    log_group_name: str | None,
    retention_days: int,
    region: str,
    keep: bool,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> LogGroup:
    """A log group (`resource_name`) encrypted with its own rotating key (`<name>-key`)
    that CloudWatch Logs may use only for this account's log groups in `region`. Without
    `log_group_name` the group is named after the resource, with a random suffix."""
    if retention_days not in RETENTION_DAYS:
        raise ValueError(
            f"{retention_days} days is not a CloudWatch Logs retention "
            f"(allowed: {', '.join(map(str, RETENTION_DAYS))})"
        )
    identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent))
    partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=parent))
    policy = pulumi.Output.all(identity.account_id, partition.partition).apply(
        lambda values: json.dumps(
            account_key_policy(
                values[0], values[1], [logs_key_statement(values[0], values[1], region)]
            )
        )
    )
    key = rotated_key(
        f"{resource_name}-key",
        description=f"Encryption of the log group {log_group_name or resource_name}",
        policy=policy,
        tags={**tags, "Name": f"{resource_name}-key"},
        opts=stateful(parent, keep),
    )
    log_group = aws.cloudwatch.LogGroup(
        resource_name,
        name=log_group_name,
        retention_in_days=retention_days,
        kms_key_id=key.arn,
        tags={**tags, "Name": resource_name},
        opts=stateful(parent, keep),
    )
    return LogGroup(key=key, log_group=log_group)
