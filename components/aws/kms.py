"""Customer-managed KMS keys: every key the platform creates rotates yearly."""

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

# Thirty days (the longest AWS allows) to notice and cancel a key deletion, because
# deleting a key makes everything encrypted with it unreadable.
DELETION_WINDOW_DAYS = 30


def rotated_key(
    resource_name: str,
    *,
    description: str,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
    policy: pulumi.Input[str] | None = None,
) -> aws.kms.Key:
    """A symmetric KMS key with automatic rotation; `policy` defaults to the account's."""
    return aws.kms.Key(
        resource_name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=DELETION_WINDOW_DAYS,
        policy=policy,
        tags=dict(tags),
        opts=opts,
    )


def stateful(parent: pulumi.Resource, keep: bool) -> pulumi.ResourceOptions:
    """Options for a resource that holds data: in prod it can be neither deleted by a
    change nor removed from the cloud when it leaves the stack."""
    return pulumi.ResourceOptions(parent=parent, protect=keep, retain_on_delete=keep)
