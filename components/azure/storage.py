"""A hardened storage account with one blob container per purpose (model weights, snapshots)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import storage

# Deleted blobs and containers stay recoverable this long; replaced versions are kept as
# long again before the lifecycle policy removes them.
SOFT_DELETE_DAYS = 30
NONCURRENT_VERSION_DAYS = 30


@dataclass(frozen=True)
class Container:
    """A blob container as grants see it: its short name and its resource id."""

    logical_name: str
    container_id: pulumi.Output[str]
    container_name: pulumi.Output[str]

    @property
    def bucket_name(self) -> pulumi.Output[str]:
        """What the seam calls a bucket's name: the container's."""
        return self.container_name


@dataclass(frozen=True)
class StorageArgs:
    account_name: str
    """Globally unique: 3-24 lowercase letters and digits."""
    location: str
    containers: Sequence[str]
    """Container names (`models`, `vector-snapshots`), each also its child's role."""
    zone_redundant: bool = False
    keep: bool = False
    """Protect and retain the account and its containers."""
    tags: Mapping[str, str] = field(default_factory=dict)


class Storage(pulumi.ComponentResource):
    """A StorageV2 account that only Entra ID identities reach.

    Creates: the account (`-account`): HTTPS only, TLS 1.2 minimum, no public blob
    access, no shared keys (so no SAS or account keys: workloads use workload identity),
    no cross-tenant replication, infrastructure (double) encryption, zone-redundant in
    prod; its blob service (`-blob-service`) with versioning and soft delete of blobs and
    containers; one private container per purpose (`-<container>`); a lifecycle policy
    (`-lifecycle`) that removes replaced versions after 30 days.
    """

    account_name: pulumi.Output[str]
    account_id: pulumi.Output[str]
    containers: Mapping[str, Container]

    def __init__(
        self,
        name: str,
        args: StorageArgs,
        *,
        resource_group_name: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:azure:Storage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(
            parent=self, protect=args.keep, retain_on_delete=args.keep
        )
        account = storage.StorageAccount(
            f"{name}-account",
            account_name=args.account_name,
            resource_group_name=resource_group_name,
            location=args.location,
            kind=storage.Kind.STORAGE_V2,
            sku=storage.SkuArgs(
                name=storage.SkuName.STANDARD_ZRS
                if args.zone_redundant
                else storage.SkuName.STANDARD_LRS
            ),
            access_tier=storage.AccessTier.HOT,
            enable_https_traffic_only=True,
            minimum_tls_version=storage.MinimumTlsVersion.TLS1_2,
            allow_blob_public_access=False,
            allow_shared_key_access=False,
            default_to_o_auth_authentication=True,
            allow_cross_tenant_replication=False,
            encryption=storage.EncryptionArgs(
                key_source=storage.KeySource.MICROSOFT_STORAGE,
                require_infrastructure_encryption=True,
                services=storage.EncryptionServicesArgs(
                    blob=storage.EncryptionServiceArgs(enabled=True, key_type="Account"),
                ),
            ),
            tags=dict(args.tags),
            opts=stateful,
        )
        storage.BlobServiceProperties(
            f"{name}-blob-service",
            account_name=account.name,
            resource_group_name=resource_group_name,
            blob_services_name="default",
            is_versioning_enabled=True,
            delete_retention_policy=storage.DeleteRetentionPolicyArgs(
                enabled=True, days=SOFT_DELETE_DAYS
            ),
            container_delete_retention_policy=storage.DeleteRetentionPolicyArgs(
                enabled=True, days=SOFT_DELETE_DAYS
            ),
            opts=child,
        )
        containers = {}
        for container_name in args.containers:
            container = storage.BlobContainer(
                f"{name}-{container_name}",
                account_name=account.name,
                resource_group_name=resource_group_name,
                container_name=container_name,
                public_access=storage.PublicAccess.NONE,
                opts=stateful,
            )
            containers[container_name] = Container(
                logical_name=container_name,
                container_id=container.id,
                container_name=container.name,
            )
        storage.ManagementPolicy(
            f"{name}-lifecycle",
            account_name=account.name,
            resource_group_name=resource_group_name,
            management_policy_name="default",
            policy=storage.ManagementPolicySchemaArgs(
                rules=[
                    storage.ManagementPolicyRuleArgs(
                        name="expire-replaced-versions",
                        type=storage.RuleType.LIFECYCLE,
                        enabled=True,
                        definition=storage.ManagementPolicyDefinitionArgs(
                            filters=storage.ManagementPolicyFilterArgs(blob_types=["blockBlob"]),
                            actions=storage.ManagementPolicyActionArgs(
                                version=storage.ManagementPolicyVersionArgs(
                                    delete=storage.DateAfterCreationArgs(
                                        days_after_creation_greater_than=NONCURRENT_VERSION_DAYS
                                    )
                                )
                            ),
                        ),
                    )
                ]
            ),
            opts=child,
        )
        self.account_name = account.name
        self.account_id = account.id
        self.containers = containers
        self.register_outputs(
            {
                "account_name": self.account_name,
                "containers": {k: c.container_name for k, c in containers.items()},
            }
        )
