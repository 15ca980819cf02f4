"""Outputs Azure would return for the resources the program uses."""

import base64
import re
from typing import Any

from infra.offline.mocks.context import MockContext

PROVIDER_NAMESPACES = {
    "network": "Microsoft.Network",
    "containerservice": "Microsoft.ContainerService",
    "storage": "Microsoft.Storage",
    "managedidentity": "Microsoft.ManagedIdentity",
    "keyvault": "Microsoft.KeyVault",
    "authorization": "Microsoft.Authorization",
    "compute": "Microsoft.Compute",
}
# the input that carries a resource's own name, where the provider lets one be given
NAME_INPUTS = {
    "ResourceGroup": "resourceGroupName",
    "VirtualNetwork": "virtualNetworkName",
    "Subnet": "subnetName",
    "NatGateway": "natGatewayName",
    "PublicIPAddress": "publicIpAddressName",
    "NetworkSecurityGroup": "networkSecurityGroupName",
    "ManagedCluster": "resourceName",
    "AgentPool": "agentPoolName",
    "UserAssignedIdentity": "resourceName",
    "FederatedIdentityCredential": "federatedIdentityCredentialResourceName",
    "RoleAssignment": "roleAssignmentName",
    "Vault": "vaultName",
    "Key": "keyName",
    "StorageAccount": "accountName",
    "BlobContainer": "containerName",
    "BlobServiceProperties": "blobServicesName",
    "ManagementPolicy": "managementPolicyName",
    "DiskEncryptionSet": "diskEncryptionSetName",
    "MaintenanceConfiguration": "configName",
}
# Child resources: their id sits under the parent named by this input.
CHILD_OF = {
    "AgentPool": ("resourceName", "managedClusters", "agentPools"),
    "FederatedIdentityCredential": (
        "resourceName",
        "userAssignedIdentities",
        "federatedIdentityCredentials",
    ),
    "Key": ("vaultName", "vaults", "keys"),
    "BlobContainer": ("accountName", "storageAccounts", "blobServices/default/containers"),
    "BlobServiceProperties": ("accountName", "storageAccounts", "blobServices"),
    "ManagementPolicy": ("accountName", "storageAccounts", "managementPolicies"),
    "MaintenanceConfiguration": ("resourceName", "managedClusters", "maintenanceConfigurations"),
}
TENANT_ID = "33333333-3333-4333-8333-333333333333"


def resource(
    ctx: MockContext, typ: str, name: str, inputs: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    module, kind = typ.split(":")[1], typ.split(":")[2]
    physical = str(
        inputs.get(NAME_INPUTS.get(kind, "")) or f"{name}{ctx.digest(typ, name, length=8)}"
    )
    subscription = f"/subscriptions/{ctx.azure_subscription_id}"
    group = f"{subscription}/resourceGroups/{inputs.get('resourceGroupName', '')}"
    if kind == "ResourceGroup":
        resource_id = f"{subscription}/resourceGroups/{physical}"
    elif kind == "RoleAssignment":
        resource_id = (
            f"{inputs.get('scope')}/providers/Microsoft.Authorization/roleAssignments/{physical}"
        )
    elif kind in CHILD_OF:
        parent_input, parents, children = CHILD_OF[kind]
        namespace = PROVIDER_NAMESPACES.get(module, f"Microsoft.{module.capitalize()}")
        resource_id = (
            f"{group}/providers/{namespace}/{parents}/{inputs.get(parent_input)}/"
            f"{children}/{physical}"
        )
    elif kind == "Subnet":
        resource_id = (
            f"{group}/providers/Microsoft.Network/virtualNetworks/"
            f"{inputs.get('virtualNetworkName')}/subnets/{physical}"
        )
    else:
        namespace = PROVIDER_NAMESPACES.get(module, f"Microsoft.{module.capitalize()}")
        resource_id = f"{group}/providers/{namespace}/{_plural(kind)}/{physical}"
    state: dict[str, Any] = {"name": physical, "azureApiVersion": "2024-05-01"}
    if kind == "PublicIPAddress":
        state["ipAddress"] = ctx.ip(resource_id)
    state.update(_outputs(ctx, kind, physical, resource_id, inputs))
    state["provisioningState"] = "Succeeded"
    return resource_id, state


def _outputs(
    ctx: MockContext, kind: str, physical: str, resource_id: str, inputs: dict[str, Any]
) -> dict[str, Any]:
    """What Azure computes for a resource beyond its id and name."""
    if kind == "ManagedCluster":
        prefix = f"{inputs.get('dnsPrefix', physical)}-{ctx.digest(resource_id, length=8)}"
        return {
            "fqdn": f"{prefix}.hcp.{ctx.region}.azmk8s.io",
            "privateFQDN": f"{prefix}.{ctx.digest(resource_id, 'dns', length=32)}"
            f".privatelink.{ctx.region}.azmk8s.io",
            "oidcIssuerProfile": {
                **(inputs.get("oidcIssuerProfile") or {}),
                "issuerURL": f"https://{ctx.region}.oic.prod-aks.azure.com/{TENANT_ID}/"
                f"{_guid(ctx, resource_id, 'oidc')}/",
            },
            # Azure answers the identity list with a map of id to the identity's ids.
            "identity": {
                **(inputs.get("identity") or {}),
                "userAssignedIdentities": {
                    identity: {
                        "principalId": _guid(ctx, identity, "principal"),
                        "clientId": _guid(ctx, identity, "client"),
                    }
                    for identity in (inputs.get("identity") or {}).get("userAssignedIdentities", [])
                },
            },
            "identityProfile": {
                "kubeletidentity": {
                    "clientId": _guid(ctx, resource_id, "kubelet-client"),
                    "objectId": _guid(ctx, resource_id, "kubelet-object"),
                }
            },
            "nodeResourceGroup": f"MC_{inputs.get('resourceGroupName')}_{physical}_{ctx.region}",
            "currentKubernetesVersion": f"{inputs.get('kubernetesVersion', '1.34')}.1",
        }
    if kind == "UserAssignedIdentity":
        return {
            "principalId": _guid(ctx, resource_id, "principal"),
            "clientId": _guid(ctx, resource_id, "client"),
            "tenantId": TENANT_ID,
        }
    if kind == "Vault":
        return {
            "properties": {
                **(inputs.get("properties") or {}),
                "vaultUri": f"https://{physical}.vault.azure.net/",
            }
        }
    if kind == "Key":
        uri = f"https://{inputs.get('vaultName')}.vault.azure.net/keys/{physical}"
        return {"keyUri": uri, "keyUriWithVersion": f"{uri}/{ctx.digest(resource_id, length=32)}"}
    if kind == "DiskEncryptionSet":
        # A system-assigned identity: Azure gives it a principal the vault grant names.
        return {
            "identity": {
                **(inputs.get("identity") or {}),
                "principalId": _guid(ctx, resource_id, "principal"),
                "tenantId": TENANT_ID,
            }
        }
    if kind == "StorageAccount":
        return {"primaryEndpoints": {"blob": f"https://{physical}.blob.core.windows.net/"}}
    if kind == "Deployment":
        return {
            "properties": {
                **(inputs.get("properties") or {}),
                "outputs": _template_outputs(resource_id, inputs.get("properties") or {}),
            }
        }
    return {}


def _template_outputs(deployment_id: str, properties: dict[str, Any]) -> dict[str, Any]:
    """An ARM deployment's outputs where they are `resourceId('<type>', parameters('<p>'))`,
    the one form the platform's templates use; others are left out."""
    group = deployment_id.split("/providers/", 1)[0]
    parameters = {
        k: (v or {}).get("value") for k, v in (properties.get("parameters") or {}).items()
    }
    outputs = {}
    for name, output in ((properties.get("template") or {}).get("outputs") or {}).items():
        match = re.fullmatch(
            r"\[resourceId\('([^']+)', parameters\('([^']+)'\)\)\]", output["value"]
        )
        if match:
            kind, parameter = match.groups()
            outputs[name] = {
                "type": "String",
                "value": f"{group}/providers/{kind}/{parameters.get(parameter)}",
            }
    return outputs


def _guid(ctx: MockContext, *parts: str) -> str:
    hex_ = ctx.digest(*parts, length=32)
    return f"{hex_[:8]}-{hex_[8:12]}-4{hex_[13:16]}-8{hex_[17:20]}-{hex_[20:32]}"


def _kubeconfig(cluster: str, region: str) -> str:
    """An AKS user kubeconfig as `format=exec` returns it: kubelogin, no static token."""
    return (
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: {cluster}\n  cluster:\n"
        f"    server: https://{cluster}.hcp.{region}.azmk8s.io:443\n"
        "    certificate-authority-data: TU9DSyBDRVJUSUZJQ0FURSBBVVRIT1JJVFk=\n"
        f"contexts:\n- name: {cluster}\n  context: {{cluster: {cluster}, user: clusterUser}}\n"
        f"current-context: {cluster}\n"
        "users:\n- name: clusterUser\n  user:\n    exec:\n"
        "      apiVersion: client.authentication.k8s.io/v1beta1\n      command: kubelogin\n"
        "      args: [get-token, --login, azurecli, --server-id, "
        "6dae42f8-4368-4678-94ff-3960e28e3630]\n"
    )


def _plural(kind: str) -> str:
    camel = kind[0].lower() + kind[1:]
    camel = re.sub(r"^publicIP", "publicIP", camel)
    if camel.endswith("y") and camel[-2:-1] not in tuple("aeiou"):
        return camel[:-1] + "ies"  # a NAT gateway is one of `natGateways`
    return camel + ("es" if camel.endswith("s") else "s")


def call(ctx: MockContext, token: str, args: dict[str, Any]) -> dict[str, Any] | None:
    if token == "azure-native:authorization:getClientConfig":
        return {
            "clientId": "11111111-1111-4111-8111-111111111111",
            "objectId": "22222222-2222-4222-8222-222222222222",
            "subscriptionId": ctx.azure_subscription_id,
            "tenantId": TENANT_ID,
        }
    if token == "azure-native:containerservice:listManagedClusterUserCredentials":
        config = _kubeconfig(str(args.get("resourceName")), ctx.region)
        return {
            "kubeconfigs": [
                {"name": "clusterUser", "value": base64.b64encode(config.encode()).decode()}
            ]
        }
    return None
