import json

import pytest

from components.aws.bucket import Bucket, BucketArgs
from tests.harness import run_components

BUCKET = "aws:s3/bucket:Bucket"
KEY = "aws:kms/key:Key"


def build(keep: bool):
    def body():
        Bucket("models", BucketArgs(purpose="model weights", keep=keep, tags={"team": "ml"}))

    return run_components(body)


@pytest.fixture(scope="module")
def dev():
    return build(keep=False)


@pytest.fixture(scope="module")
def prod():
    return build(keep=True)


def test_children_are_parented_and_named_after_the_component(dev):
    component = dev.get("llm-infra:aws:Bucket", "models")
    children = dev.children(component.urn)
    assert {c.name for c in children} == {
        "models-key",
        "models-bucket",
        "models-encryption",
        "models-versioning",
        "models-public-access",
        "models-ownership",
        "models-tls-only",
        "models-lifecycle",
    }


def test_encrypted_with_its_own_rotating_key_and_a_bucket_key(dev):
    key = dev.get(KEY, "models-key")
    assert key.inputs["enableKeyRotation"] is True
    encryption = dev.get(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "models-encryption",
    )
    (rule,) = encryption.inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"].startswith(
        "arn:aws:kms:us-east-1:123456789012:key/"
    )
    assert rule["bucketKeyEnabled"] is True
    assert encryption.property_dependencies["rules"] == [key.urn]


def test_every_public_access_block_is_on_and_acls_are_off(dev):
    block = dev.get(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "models-public-access"
    )
    for setting in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert block.inputs[setting] is True
    ownership = dev.get(
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "models-ownership"
    )
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}


def test_policy_denies_requests_without_tls(dev):
    bucket = dev.get(BUCKET, "models-bucket")
    policy = dev.get("aws:s3/bucketPolicy:BucketPolicy", "models-tls-only")
    assert policy.property_dependencies["policy"] == [bucket.urn]
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statement["Resource"][0].startswith("arn:aws:s3:::models-bucket-")
    assert statement["Resource"][1] == statement["Resource"][0] + "/*"


def test_versioned_with_noncurrent_expiry_and_multipart_cleanup(dev):
    versioning = dev.get("aws:s3/bucketVersioning:BucketVersioning", "models-versioning")
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    lifecycle = dev.get(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "models-lifecycle"
    )
    rules = {r["id"]: r for r in lifecycle.inputs["rules"]}
    assert rules["expire-noncurrent-versions"]["noncurrentVersionExpiration"] == {
        "noncurrentDays": 30
    }
    assert rules["abort-incomplete-multipart-uploads"]["abortIncompleteMultipartUpload"] == {
        "daysAfterInitiation": 7
    }
    assert all(r["status"] == "Enabled" for r in rules.values())
    assert versioning.urn in lifecycle.options.depends_on


def test_prod_protects_and_retains_bucket_and_key_only(prod):
    for type_, name in ((BUCKET, "models-bucket"), (KEY, "models-key")):
        options = prod.get(type_, name).options
        assert options.protect and options.retain_on_delete
    policy = prod.get("aws:s3/bucketPolicy:BucketPolicy", "models-tls-only")
    assert not policy.options.protect


def test_dev_can_be_torn_down(dev):
    for type_, name in ((BUCKET, "models-bucket"), (KEY, "models-key")):
        options = dev.get(type_, name).options
        assert not options.protect and not options.retain_on_delete


def test_tags_on_bucket_and_key(dev):
    assert dev.get(BUCKET, "models-bucket").inputs["tags"]["team"] == "ml"
    assert dev.get(KEY, "models-key").inputs["tags"]["team"] == "ml"
