"""Key Vaults and keys for AKS: KMS envelope encryption of Kubernetes secrets, and the
customer-managed key of the cluster's managed disks."""

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import keyvault

# Key Vault's longest soft-delete retention: a deleted key can be recovered for 90 days.
SOFT_DELETE_DAYS = 90
# A new key version every six months. Versions carry no expiry, so the cluster keeps
# encrypting with the version it was given: it moves to the newest only when a
# `pulumi up --refresh` reads the key's new version into the cluster's KMS settings (a
# plain `pulumi up` keeps the recorded one). The runbook says how to rotate on purpose.
ROTATE_AFTER = "P180D"
# Key Vault's firewall: nothing reaches the data plane except Azure's trusted services (Disk
# Encryption Sets are one). Firewall rules apply to data-plane calls only (Key Vault docs,
# "Configure Azure Key Vault firewalls and virtual networks"): the deployer still creates the
# vault, its key and the key's rotation policy through Azure Resource Manager.
TRUSTED_SERVICES_ONLY = keyvault.NetworkRuleSetArgs(
    default_action=keyvault.NetworkRuleAction.DENY,
    bypass=keyvault.NetworkRuleBypassOptions.AZURE_SERVICES,
)


@dataclass(frozen=True)
class SecretsKey:
    vault: keyvault.Vault
    key: keyvault.Key


def secrets_key(
    name: str,
    *,
    vault_name: str,
    resource_group_name: pulumi.Input[str],
    location: str,
    tenant_id: pulumi.Input[str],
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
    key_name: str = "kubernetes-secrets",
    network_acls: keyvault.NetworkRuleSetArgs | None = None,
) -> SecretsKey:
    """The vault (`<name>-vault`: RBAC authorization, soft delete, purge protection, the
    firewall `network_acls` if given) and its RSA-2048 key (`<name>-key`, a size both AKS KMS
    and Disk Encryption Sets take) with a rotation policy."""
    vault = keyvault.Vault(
        f"{name}-vault",
        vault_name=vault_name,
        resource_group_name=resource_group_name,
        location=location,
        properties=keyvault.VaultPropertiesArgs(
            tenant_id=tenant_id,
            sku=keyvault.SkuArgs(family="A", name=keyvault.SkuName.STANDARD),
            enable_rbac_authorization=True,
            enable_soft_delete=True,
            soft_delete_retention_in_days=SOFT_DELETE_DAYS,
            enable_purge_protection=True,
            enabled_for_deployment=False,
            enabled_for_disk_encryption=False,
            enabled_for_template_deployment=False,
            network_acls=network_acls,
        ),
        tags=dict(tags),
        opts=opts,
    )
    key = keyvault.Key(
        f"{name}-key",
        resource_group_name=resource_group_name,
        vault_name=vault.name,
        key_name=key_name,
        properties=keyvault.KeyPropertiesArgs(
            kty="RSA",
            key_size=2048,
            key_ops=["encrypt", "decrypt", "wrapKey", "unwrapKey"],
            rotation_policy=keyvault.RotationPolicyArgs(
                lifetime_actions=[
                    keyvault.LifetimeActionArgs(
                        action=keyvault.ActionArgs(
                            type=keyvault.KeyRotationPolicyActionType.ROTATE
                        ),
                        trigger=keyvault.TriggerArgs(time_after_create=ROTATE_AFTER),
                    )
                ]
            ),
        ),
        tags=dict(tags),
        opts=opts,
    )
    return SecretsKey(vault=vault, key=key)
