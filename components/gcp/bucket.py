"""A GCS bucket for the platform's data: private, encrypted with its own key, versioned."""

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from components.gcp.kms import allow_key_use, key_ring, rotated_key, stateful
from components.gcp.labels import gcp_labels


@dataclass(frozen=True)
class BucketArgs:
    purpose: str
    """What the bucket holds (`model weights`, …), for the record."""
    location: str
    """The region the bucket and its key live in (a CMEK key must share the bucket's
    location)."""
    keep: bool = False
    """Protect the bucket, its key and key ring, and keep them when they leave the stack."""
    noncurrent_version_days: int = 30
    """Days an overwritten or deleted object version is kept before it is deleted."""
    abort_multipart_days: int = 7
    """Days before an unfinished multipart (XML API) upload is aborted and its parts freed."""
    labels: Mapping[str, str] = field(default_factory=dict)


class Bucket(pulumi.ComponentResource):
    """A private, regional GCS bucket.

    Creates: a key ring (`-key-ring`) and a crypto key rotated every 90 days (`-key`); the
    project's Cloud Storage service agent (from `gcp.storage.get_project_service_account`)
    as encrypter/decrypter on that key only (`-key-user`), which GCS needs before a bucket
    can default to it; the bucket (`-bucket`) with uniform bucket-level access (no ACLs),
    public access prevention enforced, versioning, the key as its default KMS key, and
    lifecycle rules that delete noncurrent versions after `noncurrent_version_days` and
    abort incomplete multipart uploads after `abort_multipart_days`. With `keep`, the
    bucket, key and key ring are protected and retained on delete.

    Readers need no KMS permission: GCS encrypts and decrypts as its service agent.
    """

    logical_name: str
    bucket_name: pulumi.Output[str]
    bucket_url: pulumi.Output[str]
    key_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: BucketArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        project: pulumi.Input[str] | None = None,
    ) -> None:
        """`project`: where the bucket and its key live (the provider's project when None);
        given `ProjectApis.project_id`, they wait for the Cloud KMS and Cloud Storage APIs."""
        super().__init__("llm-infra:gcp:Bucket", name, None, opts)
        self.logical_name = name
        labels = gcp_labels(args.labels)
        ring = key_ring(
            f"{name}-key-ring",
            location=args.location,
            project=project,
            opts=stateful(self, args.keep),
        )
        key = rotated_key(
            f"{name}-key", key_ring=ring, labels=labels, opts=stateful(self, args.keep)
        )
        # The lookup creates the Cloud Storage service agent if it does not exist yet
        # (terraform-provider-google, data source google_storage_project_service_account),
        # once the Cloud Storage API is on.
        agent = gcp.storage.get_project_service_account_output(
            project=project, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        key_user = allow_key_use(
            f"{name}-key-user",
            key=key,
            member=agent.email_address.apply(lambda email: f"serviceAccount:{email}"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        keep = stateful(self, args.keep)
        bucket = gcp.storage.Bucket(
            f"{name}-bucket",
            project=project,
            location=args.location.upper(),
            storage_class="STANDARD",
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            versioning=gcp.storage.BucketVersioningArgs(enabled=True),
            encryption=gcp.storage.BucketEncryptionArgs(default_kms_key_name=key.id),
            lifecycle_rules=[
                gcp.storage.BucketLifecycleRuleArgs(
                    action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
                    condition=gcp.storage.BucketLifecycleRuleConditionArgs(
                        days_since_noncurrent_time=args.noncurrent_version_days,
                        with_state="ARCHIVED",
                    ),
                ),
                gcp.storage.BucketLifecycleRuleArgs(
                    action=gcp.storage.BucketLifecycleRuleActionArgs(
                        type="AbortIncompleteMultipartUpload"
                    ),
                    condition=gcp.storage.BucketLifecycleRuleConditionArgs(
                        age=args.abort_multipart_days
                    ),
                ),
            ],
            force_destroy=False,
            labels=labels,
            # GCS checks at creation that its service agent may use the default key.
            opts=pulumi.ResourceOptions.merge(keep, pulumi.ResourceOptions(depends_on=[key_user])),
        )

        self.bucket_name = bucket.name
        self.bucket_url = bucket.url
        self.key_id = key.id
        self.register_outputs(
            {"bucket_name": self.bucket_name, "bucket_url": self.bucket_url, "key_id": self.key_id}
        )
