"""Azure: AKS, storage accounts, network security groups."""

from collections.abc import Iterator, Mapping
from typing import Any

from policies.lib.props import environment, get, items
from policies.lib.rules import Resource, Rule, StackRule, rule

AKS = "azure-native:containerservice:ManagedCluster"
STORAGE = "azure-native:storage:StorageAccount"


@rule("aks-local-accounts-disabled", "AKS local accounts are off", [AKS], mirrors="CKV_AZURE_141")
def local_accounts(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if not get(resource.props, "disableLocalAccounts", default=False):
        yield "disableLocalAccounts is not true"


@rule(
    "aks-entra-rbac",
    "AKS uses Kubernetes RBAC with Entra ID and Azure RBAC",
    [AKS],
    mirrors="CKV_AZURE_5",
)
def rbac(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if get(resource.props, "enableRBAC", default=True) is False:
        yield "enableRBAC is off"
    if not get(resource.props, "aadProfile", "enableAzureRBAC", default=False):
        yield "aadProfile.enableAzureRBAC is off"


@rule("aks-network-policy", "AKS enforces network policy", [AKS], mirrors="CKV_AZURE_7")
def network_policy(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if not get(resource.props, "networkProfile", "networkPolicy"):
        yield "networkProfile.networkPolicy is not set"


@rule(
    "aks-private-cluster-in-prod",
    "AKS API servers are private in prod",
    [AKS],
    mirrors="CKV_AZURE_115",
)
def private_cluster(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if environment(resource.props, config) == "prod" and not get(
        resource.props, "apiServerAccessProfile", "enablePrivateCluster", default=False
    ):
        yield "apiServerAccessProfile.enablePrivateCluster is off"


@rule(
    "aks-workload-identity",
    "AKS issues OIDC tokens for Workload Identity",
    [AKS],
    mirrors="CKV_AZURE_172-family",
)
def workload_identity(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if not get(resource.props, "oidcIssuerProfile", "enabled", default=False):
        yield "oidcIssuerProfile.enabled is off"
    if not get(resource.props, "securityProfile", "workloadIdentity", "enabled", default=False):
        yield "securityProfile.workloadIdentity.enabled is off"


@rule("storage-https-only", "Storage accounts accept HTTPS only", [STORAGE], mirrors="CKV_AZURE_3")
def https_only(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if get(resource.props, "enableHttpsTrafficOnly", default=True) is False:
        yield "enableHttpsTrafficOnly is off"


@rule("storage-tls12", "Storage accounts require TLS 1.2", [STORAGE], mirrors="CKV_AZURE_44")
def tls12(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if get(resource.props, "minimumTlsVersion") not in ("TLS1_2", "TLS1_3"):
        yield f"minimumTlsVersion is {get(resource.props, 'minimumTlsVersion', default='unset')}"


@rule(
    "storage-no-public-blobs",
    "Storage accounts forbid public blob access",
    [STORAGE],
    mirrors="CKV_AZURE_190",
)
def no_public_blobs(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if get(resource.props, "allowBlobPublicAccess", default=True) is not False:
        yield "allowBlobPublicAccess is not false"


@rule(
    "storage-no-shared-key",
    "Storage accounts refuse shared-key access",
    [STORAGE],
    mirrors="CKV2_AZURE_40",
)
def no_shared_key(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if get(resource.props, "allowSharedKeyAccess", default=True) is not False:
        yield "allowSharedKeyAccess is not false"


@rule(
    "azure-nsg-no-world-ingress",
    "No network security group admits the internet inbound",
    ["azure-native:network:NetworkSecurityGroup", "azure-native:network:SecurityRule"],
    mirrors="CKV_AZURE_9 / CKV_AZURE_10 / CKV_AZURE_160",
)
def nsg_world(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    rules = items(resource.props, "securityRules") or [resource.props]
    for entry in rules:
        sources = {get(entry, "sourceAddressPrefix")} | set(items(entry, "sourceAddressPrefixes"))
        inbound = get(entry, "direction") == "Inbound" and get(entry, "access") == "Allow"
        if inbound and sources & {"*", "0.0.0.0/0", "Internet", "Any"}:
            yield f"rule {get(entry, 'name', default='?')} allows inbound from the internet"


RULES: list[Rule | StackRule] = [
    local_accounts,
    rbac,
    network_policy,
    private_cluster,
    workload_identity,
    https_only,
    tls12,
    no_public_blobs,
    no_shared_key,
    nsg_world,
]
