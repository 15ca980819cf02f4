import base64
import re

import yaml

from infra.offline.mocks import MockContext, azure

CTX = MockContext(project="llm-infra", stack="t", region="eastus")
GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}"
GROUP = "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg"


def test_aks_has_an_oidc_issuer_and_public_and_private_fqdns():
    rid, state = azure.resource(
        CTX,
        "azure-native:containerservice:ManagedCluster",
        "aks",
        {"resourceGroupName": "rg", "resourceName": "llm-t", "dnsPrefix": "llm-t"},
    )
    assert rid == f"{GROUP}/providers/Microsoft.ContainerService/managedClusters/llm-t"
    issuer = state["oidcIssuerProfile"]["issuerURL"]
    assert re.fullmatch(rf"https://eastus\.oic\.prod-aks\.azure\.com/{GUID}/{GUID}/", issuer)
    assert state["fqdn"].endswith(".hcp.eastus.azmk8s.io")
    assert state["privateFQDN"].endswith(".privatelink.eastus.azmk8s.io")


def test_identities_have_principal_and_client_ids():
    rid, state = azure.resource(
        CTX, "azure-native:managedidentity:UserAssignedIdentity", "id", {"resourceGroupName": "rg"}
    )
    assert "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id" in rid
    assert re.fullmatch(GUID, state["principalId"])
    assert re.fullmatch(GUID, state["clientId"])
    assert state["principalId"] != state["clientId"]


def test_child_resources_sit_under_their_parent():
    rid, _ = azure.resource(
        CTX,
        "azure-native:storage:BlobContainer",
        "c",
        {"resourceGroupName": "rg", "accountName": "acct", "containerName": "models"},
    )
    assert rid == (
        f"{GROUP}/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default/"
        "containers/models"
    )
    rid, state = azure.resource(
        CTX,
        "azure-native:keyvault:Key",
        "k",
        {"resourceGroupName": "rg", "vaultName": "kv", "keyName": "secrets"},
    )
    assert rid.endswith("/vaults/kv/keys/secrets")
    assert state["keyUriWithVersion"].startswith("https://kv.vault.azure.net/keys/secrets/")


def test_role_assignments_sit_under_their_scope():
    rid, _ = azure.resource(
        CTX,
        "azure-native:authorization:RoleAssignment",
        "r",
        {"scope": f"{GROUP}/x", "roleAssignmentName": "g"},
    )
    assert rid == f"{GROUP}/x/providers/Microsoft.Authorization/roleAssignments/g"


def test_user_credentials_are_a_base64_kubeconfig_using_kubelogin():
    result = azure.call(
        CTX,
        "azure-native:containerservice:listManagedClusterUserCredentials",
        {"resourceGroupName": "rg", "resourceName": "llm-t"},
    )
    assert result is not None
    config = yaml.safe_load(base64.b64decode(result["kubeconfigs"][0]["value"]))
    assert config["current-context"] == "llm-t"
    assert config["users"][0]["user"]["exec"]["command"] == "kubelogin"


def test_a_disk_encryption_set_has_a_system_assigned_principal():
    rid, state = azure.resource(
        CTX,
        "azure-native:compute:DiskEncryptionSet",
        "des",
        {"resourceGroupName": "rg", "identity": {"type": "SystemAssigned"}},
    )
    assert re.fullmatch(
        rf"{GROUP}/providers/Microsoft\.Compute/diskEncryptionSets/des[0-9a-f]{{8}}", rid
    )
    assert state["identity"]["type"] == "SystemAssigned"
    assert re.fullmatch(GUID, state["identity"]["principalId"])


def test_maintenance_configurations_sit_under_their_cluster():
    rid, state = azure.resource(
        CTX,
        "azure-native:containerservice:MaintenanceConfiguration",
        "m",
        {
            "resourceGroupName": "rg",
            "resourceName": "llm-t",
            "configName": "aksManagedAutoUpgradeSchedule",
        },
    )
    assert rid == (
        f"{GROUP}/providers/Microsoft.ContainerService/managedClusters/llm-t/"
        "maintenanceConfigurations/aksManagedAutoUpgradeSchedule"
    )
    assert state["name"] == "aksManagedAutoUpgradeSchedule"
