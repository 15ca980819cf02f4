import pytest

from components.gcp.bucket import Bucket, BucketArgs
from tests.harness import run_components

BUCKET = "gcp:storage/bucket:Bucket"
KEY = "gcp:kms/cryptoKey:CryptoKey"
GCS_AGENT = "service-123456789012@gs-project-accounts.iam.gserviceaccount.com"


def build(keep=False):
    def body():
        Bucket(
            "models",
            BucketArgs(
                purpose="model weights", location="us-central1", keep=keep, labels={"team": "ml"}
            ),
        )

    return run_components(body, region="us-central1", cloud="gcp")


@pytest.fixture(scope="module")
def plan():
    return build()


def test_uniform_access_public_access_prevention_and_versioning(plan):
    bucket = plan.get(BUCKET, "models-bucket").inputs
    assert bucket["uniformBucketLevelAccess"] is True
    assert bucket["publicAccessPrevention"] == "enforced"
    assert bucket["versioning"] == {"enabled": True}
    assert bucket["forceDestroy"] is False
    assert bucket["location"] == "US-CENTRAL1"
    assert bucket["labels"] == {"team": "ml"}


def test_cmek_with_its_own_rotating_key_in_the_buckets_region(plan):
    bucket = plan.get(BUCKET, "models-bucket")
    key = plan.get(KEY, "models-key")
    ring = plan.get("gcp:kms/keyRing:KeyRing", "models-key-ring")
    assert ring.inputs["location"] == "us-central1"
    assert key.inputs["rotationPeriod"] == "7776000s"
    assert key.inputs["purpose"] == "ENCRYPT_DECRYPT"
    name = bucket.inputs["encryption"]["defaultKmsKeyName"]
    assert name.startswith(
        "projects/offline-project/locations/us-central1/keyRings/models-key-ring-"
    )
    assert "/cryptoKeys/models-key-" in name
    assert bucket.property_dependencies["encryption"] == [key.urn]


def test_the_storage_service_agent_may_use_the_key_before_the_bucket_exists(plan):
    use = plan.get("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "models-key-user")
    assert use.inputs["member"] == f"serviceAccount:{GCS_AGENT}"
    assert use.inputs["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    assert use.property_dependencies["cryptoKeyId"] == [plan.get(KEY, "models-key").urn]
    assert use.urn in plan.get(BUCKET, "models-bucket").options.depends_on


def test_lifecycle_deletes_old_versions_and_aborts_stale_uploads(plan):
    rules = plan.get(BUCKET, "models-bucket").inputs["lifecycleRules"]
    assert rules == [
        {
            "action": {"type": "Delete"},
            "condition": {"daysSinceNoncurrentTime": 30, "withState": "ARCHIVED"},
        },
        {"action": {"type": "AbortIncompleteMultipartUpload"}, "condition": {"age": 7}},
    ]


@pytest.mark.parametrize("name", ["models-bucket", "models-key", "models-key-ring"])
def test_keep_protects_and_retains_the_bucket_and_its_key(name):
    kept = next(r for r in build(keep=True).resources if r.name == name).options
    assert kept.protect and kept.retain_on_delete
    loose = next(r for r in build(keep=False).resources if r.name == name).options
    assert not loose.protect and not loose.retain_on_delete
