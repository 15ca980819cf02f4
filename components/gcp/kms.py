"""Cloud KMS: a key ring per component and crypto keys that rotate every 90 days."""

from collections.abc import Mapping

import pulumi
import pulumi_gcp as gcp

# Ninety days, the longest the policy packs accept (CKV_GCP_43); old versions stay usable
# for decryption, so rotation never makes data unreadable.
ROTATION_PERIOD = f"{90 * 24 * 3600}s"
# How long a destroyed key version can still be restored (Cloud KMS's default, stated so a
# change to it shows in the plan): destroying a version makes its data unreadable.
DESTROY_SCHEDULED_DURATION = f"{30 * 24 * 3600}s"
ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


def key_ring(
    resource_name: str,
    *,
    location: str,
    opts: pulumi.ResourceOptions,
    project: pulumi.Input[str] | None = None,
) -> gcp.kms.KeyRing:
    """A key ring in `location`, which must be the location of whatever its keys encrypt.
    Cloud KMS never deletes key rings; the provider only forgets them. Its keys (and their
    IAM members) live in its project."""
    return gcp.kms.KeyRing(resource_name, location=location, project=project, opts=opts)


def rotated_key(
    resource_name: str,
    *,
    key_ring: gcp.kms.KeyRing,
    labels: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> gcp.kms.CryptoKey:
    """A symmetric software key in `key_ring`, rotated every 90 days."""
    return gcp.kms.CryptoKey(
        resource_name,
        key_ring=key_ring.id,
        purpose="ENCRYPT_DECRYPT",
        rotation_period=ROTATION_PERIOD,
        destroy_scheduled_duration=DESTROY_SCHEDULED_DURATION,
        version_template=gcp.kms.CryptoKeyVersionTemplateArgs(
            algorithm="GOOGLE_SYMMETRIC_ENCRYPTION", protection_level="SOFTWARE"
        ),
        labels=dict(labels),
        opts=opts,
    )


def allow_key_use(
    resource_name: str,
    *,
    key: gcp.kms.CryptoKey,
    member: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> gcp.kms.CryptoKeyIAMMember:
    """Let `member` (a Google service agent) encrypt and decrypt with `key`, and nothing
    else: the binding is on the key, not the ring or the project."""
    return gcp.kms.CryptoKeyIAMMember(
        resource_name, crypto_key_id=key.id, role=ENCRYPTER_DECRYPTER, member=member, opts=opts
    )


def stateful(parent: pulumi.Resource, keep: bool) -> pulumi.ResourceOptions:
    """Options for a resource that holds data or keys to it: in prod it can be neither
    deleted by a change nor removed from the cloud when it leaves the stack."""
    return pulumi.ResourceOptions(parent=parent, protect=keep, retain_on_delete=keep)
