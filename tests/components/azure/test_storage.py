import pytest

from components.azure.storage import Storage, StorageArgs
from tests.harness import run_components

ACCOUNT = "azure-native:storage:StorageAccount"
CONTAINER = "azure-native:storage:BlobContainer"


def build(keep):
    def body():
        Storage(
            "storage",
            StorageArgs(
                account_name="llmtest",
                location="eastus",
                containers=["models", "vector-snapshots"],
                zone_redundant=keep,
                keep=keep,
                tags={"team": "ml"},
            ),
            resource_group_name="rg",
        )

    return run_components(body, region="eastus", cloud="azure")


@pytest.fixture(scope="module")
def prod():
    return build(True)


def test_the_account_is_hardened(prod):
    account = prod.get(ACCOUNT, "storage-account").inputs
    assert account["enableHttpsTrafficOnly"] is True
    assert account["minimumTlsVersion"] == "TLS1_2"
    assert account["allowBlobPublicAccess"] is False
    assert account["allowSharedKeyAccess"] is False
    assert account["allowCrossTenantReplication"] is False
    assert account["defaultToOAuthAuthentication"] is True
    assert account["encryption"]["requireInfrastructureEncryption"] is True
    assert account["sku"] == {"name": "Standard_ZRS"}
    assert account["tags"] == {"team": "ml"}


def test_versioning_and_soft_delete_on_the_blob_service(prod):
    service = prod.get("azure-native:storage:BlobServiceProperties", "storage-blob-service")
    assert service.inputs["isVersioningEnabled"] is True
    assert service.inputs["deleteRetentionPolicy"] == {"enabled": True, "days": 30}
    assert service.inputs["containerDeleteRetentionPolicy"] == {"enabled": True, "days": 30}


def test_one_private_container_per_purpose(prod):
    containers = {c.name: c.inputs for c in prod.of_type(CONTAINER)}
    assert set(containers) == {"storage-models", "storage-vector-snapshots"}
    assert all(c["publicAccess"] == "None" for c in containers.values())
    assert containers["storage-models"]["containerName"] == "models"


def test_the_lifecycle_policy_expires_replaced_versions(prod):
    policy = prod.get("azure-native:storage:ManagementPolicy", "storage-lifecycle")
    (rule,) = policy.inputs["policy"]["rules"]
    assert rule["definition"]["actions"]["version"]["delete"] == {
        "daysAfterCreationGreaterThan": 30
    }


@pytest.mark.parametrize("name", ["storage-account", "storage-models", "storage-vector-snapshots"])
def test_prod_protects_and_retains_the_account_and_containers(prod, name):
    type_ = ACCOUNT if name == "storage-account" else CONTAINER
    options = prod.get(type_, name).options
    assert options.protect and options.retain_on_delete
    assert not build(False).get(type_, name).options.protect


def test_dev_is_locally_redundant():
    assert build(False).get(ACCOUNT, "storage-account").inputs["sku"] == {"name": "Standard_LRS"}
