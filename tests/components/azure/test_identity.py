import pulumi_kubernetes as k8s
import pytest

from components.azure.identity import WorkloadIdentity, WorkloadIdentityArgs
from components.azure.storage import Storage, StorageArgs
from tests.harness import run_components

ROLE = "azure-native:authorization:RoleAssignment"
ISSUER = "https://eastus.oic.prod-aks.azure.com/tenant/issuer/"
READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"


def build(create_service_account=True):
    def body():
        storage = Storage(
            "storage",
            StorageArgs(
                account_name="llmtest", location="eastus", containers=["models", "snapshots"]
            ),
            resource_group_name="rg",
        )
        provider = k8s.Provider("k8s", kubeconfig="{}")
        identity = WorkloadIdentity(
            "vllm",
            WorkloadIdentityArgs(
                location="eastus",
                namespace="serving",
                service_account="vllm",
                create_service_account=create_service_account,
                tags={"team": "ml"},
            ),
            resource_group_name="rg",
            subscription_id="sub",
            oidc_issuer_url=ISSUER,
            kubernetes_provider=provider,
        )
        identity.grant_read(storage.containers["models"])
        identity.grant_read_write(storage.containers["snapshots"])

    return run_components(body, region="eastus", cloud="azure")


@pytest.fixture(scope="module")
def plan():
    return build()


def test_the_federated_credential_trusts_exactly_one_service_account_of_the_issuer(plan):
    credential = plan.get(
        "azure-native:managedidentity:FederatedIdentityCredential", "vllm-federation"
    )
    assert credential.inputs["issuer"] == ISSUER
    assert credential.inputs["subject"] == "system:serviceaccount:serving:vllm"
    assert credential.inputs["audiences"] == ["api://AzureADTokenExchange"]
    identity = plan.get("azure-native:managedidentity:UserAssignedIdentity", "vllm-identity")
    assert credential.property_dependencies["resourceName"] == [identity.urn]


def test_the_service_account_names_the_identitys_client_id(plan):
    account = plan.get("kubernetes:core/v1:ServiceAccount", "vllm-service-account").inputs
    assert account["metadata"]["name"] == "vllm"
    assert account["metadata"]["namespace"] == "serving"
    client_id = account["metadata"]["annotations"]["azure.workload.identity/client-id"]
    assert len(client_id) == 36
    assert account["metadata"]["labels"] == {"azure.workload.identity/use": "true"}


def test_grants_are_blob_data_roles_scoped_to_one_container(plan):
    read = plan.get(ROLE, "vllm-models-read").inputs
    assert read["roleDefinitionId"] == (
        f"/subscriptions/sub/providers/Microsoft.Authorization/roleDefinitions/{READER}"
    )
    assert read["scope"].endswith("/storageAccounts/llmtest/blobServices/default/containers/models")
    assert read["principalType"] == "ServicePrincipal"
    write = plan.get(ROLE, "vllm-snapshots-read-write").inputs
    assert write["roleDefinitionId"].endswith(CONTRIBUTOR)
    assert write["scope"].endswith("/containers/snapshots")


def test_grants_wait_for_the_identity_and_the_container(plan):
    grant = plan.get(ROLE, "vllm-models-read")
    identity = plan.get("azure-native:managedidentity:UserAssignedIdentity", "vllm-identity")
    container = plan.get("azure-native:storage:BlobContainer", "storage-models")
    assert grant.property_dependencies["principalId"] == [identity.urn]
    assert grant.property_dependencies["scope"] == [container.urn]


def test_role_assignment_names_are_deterministic_guids():
    first = {r.name: r.inputs["roleAssignmentName"] for r in build().of_type(ROLE)}
    second = {r.name: r.inputs["roleAssignmentName"] for r in build().of_type(ROLE)}
    assert first == second
    assert len(set(first.values())) == 2


def test_without_create_service_account_no_service_account_is_made():
    plan = build(create_service_account=False)
    assert plan.of_type("kubernetes:core/v1:ServiceAccount") == []
