"""Outputs Azure would return for the resources the program uses."""

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
}
# the input that carries a resource's own name, where the provider lets one be given
NAME_INPUTS = {
    "ResourceGroup": "resourceGroupName",
    "VirtualNetwork": "virtualNetworkName",
    "Subnet": "subnetName",
    "NatGateway": "natGatewayName",
    "PublicIPAddress": "publicIpAddressName",
    "NetworkSecurityGroup": "networkSecurityGroupName",
}


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
    state["provisioningState"] = "Succeeded"
    return resource_id, state


def _plural(kind: str) -> str:
    camel = kind[0].lower() + kind[1:]
    camel = re.sub(r"^publicIP", "publicIP", camel)
    return camel + ("es" if camel.endswith("s") else "s")


def call(ctx: MockContext, token: str, args: dict[str, Any]) -> dict[str, Any] | None:
    if token == "azure-native:authorization:getClientConfig":
        return {
            "clientId": "11111111-1111-4111-8111-111111111111",
            "objectId": "22222222-2222-4222-8222-222222222222",
            "subscriptionId": ctx.azure_subscription_id,
            "tenantId": "33333333-3333-4333-8333-333333333333",
        }
    return None
