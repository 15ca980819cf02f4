"""An S3 bucket for the platform's data: private, encrypted with its own key, versioned."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.aws.kms import rotated_key, stateful
from components.aws.policies import tls_only_bucket_policy


@dataclass(frozen=True)
class BucketArgs:
    purpose: str
    """What the bucket holds, for the key's description (`model weights`, …)."""
    keep: bool = False
    """Protect the bucket and its key, and keep both when they leave the stack (prod)."""
    noncurrent_version_days: int = 30
    """Days an overwritten or deleted object version is kept before it expires."""
    abort_multipart_days: int = 7
    """Days before an unfinished multipart upload is aborted and its parts freed."""
    tags: Mapping[str, str] = field(default_factory=dict)


class Bucket(pulumi.ComponentResource):
    """A private S3 bucket.

    Creates: a KMS key with rotation (`-key`); the bucket (`-bucket`); default SSE-KMS
    encryption with that key and an S3 bucket key (`-encryption`); versioning
    (`-versioning`); all four public-access blocks (`-public-access`); object ownership
    BucketOwnerEnforced, so ACLs are off (`-ownership`); a policy denying any request
    without TLS (`-tls-only`); a lifecycle expiring noncurrent versions and aborting
    incomplete multipart uploads (`-lifecycle`). With `keep`, the bucket and key are
    protected and retained on delete.
    """

    logical_name: str
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: BucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("llm-infra:aws:Bucket", name, None, opts)
        self.logical_name = name
        child = pulumi.ResourceOptions(parent=self)
        tags = {**args.tags, "Name": name}

        key = rotated_key(
            f"{name}-key",
            description=f"llm-infra {args.purpose} bucket ({name})",
            tags=tags,
            opts=stateful(self, args.keep),
        )
        bucket = aws.s3.Bucket(f"{name}-bucket", tags=tags, opts=stateful(self, args.keep))
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": key.arn,
                    },
                    # One data key per bucket instead of per object: far fewer KMS calls
                    # when a model server reads thousands of weight shards.
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=bucket.id,
            policy=bucket.arn.apply(lambda arn: json.dumps(tls_only_bucket_policy(arn))),
            # S3 rejects concurrent changes to a bucket's policy and its public-access
            # block; ordering them avoids a conflict on first create.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                {
                    "id": "expire-noncurrent-versions",
                    "status": "Enabled",
                    "filter": {},
                    "noncurrent_version_expiration": {
                        "noncurrent_days": args.noncurrent_version_days
                    },
                },
                {
                    "id": "abort-incomplete-multipart-uploads",
                    "status": "Enabled",
                    "filter": {},
                    "abort_incomplete_multipart_upload": {
                        "days_after_initiation": args.abort_multipart_days
                    },
                },
            ],
            # Noncurrent-version rules only mean something once versioning is on.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )

        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.key_arn = key.arn
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "key_arn": self.key_arn,
            }
        )
