"""A Disk Encryption Set: managed disks (node OS disks, volumes) encrypted with our key."""

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import compute

from components.azure.kms import TRUSTED_SERVICES_ONLY, SecretsKey, secrets_key
from components.azure.roles import KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER, role_assignment


@dataclass(frozen=True)
class DiskEncryption:
    key: SecretsKey
    encryption_set: compute.DiskEncryptionSet
    access: pulumi.Resource
    """The encryption set's grant on the vault: disks can use the set once it exists."""


def disk_encryption(
    name: str,
    *,
    vault_name: str,
    resource_group_name: pulumi.Input[str],
    location: str,
    tenant_id: pulumi.Input[str],
    subscription_id: pulumi.Input[str],
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> DiskEncryption:
    """A vault behind its firewall (`<name>-vault`) with a rotating key (`<name>-key`), the
    Disk Encryption Set (`<name>-set`, its own identity, following new key versions) and its
    Key Vault Crypto Service Encryption User grant on the vault (`<name>-set-key`).

    AKS docs, "Bring your own keys (BYOK) with Azure managed disks": the vault needs soft
    delete and purge protection, the set's identity needs the key. A Disk Encryption Set
    reaches a firewalled vault as a trusted service (Key Vault docs, "Trusted services")."""
    key = secrets_key(
        name,
        vault_name=vault_name,
        resource_group_name=resource_group_name,
        location=location,
        tenant_id=tenant_id,
        tags=tags,
        opts=opts,
        key_name="managed-disks",
        network_acls=TRUSTED_SERVICES_ONLY,
    )
    encryption_set = compute.DiskEncryptionSet(
        f"{name}-set",
        resource_group_name=resource_group_name,
        location=location,
        identity=compute.EncryptionSetIdentityArgs(
            type=compute.DiskEncryptionSetIdentityType.SYSTEM_ASSIGNED
        ),
        encryption_type=compute.DiskEncryptionSetType.ENCRYPTION_AT_REST_WITH_CUSTOMER_KEY,
        active_key=compute.KeyForDiskEncryptionSetArgs(
            key_url=key.key.key_uri_with_version,
            source_vault=compute.SourceVaultArgs(id=key.vault.id),
        ),
        # Disks move to each new key version the rotation policy creates.
        rotation_to_latest_key_version_enabled=True,
        tags=dict(tags),
        opts=opts,
    )
    access = role_assignment(
        f"{name}-set-key",
        role=KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
        principal_id=encryption_set.identity.apply(
            lambda identity: identity.principal_id if identity else ""
        ),
        scope=key.vault.id,
        subscription_id=subscription_id,
        opts=pulumi.ResourceOptions(parent=opts.parent),
    )
    return DiskEncryption(key=key, encryption_set=encryption_set, access=access)
