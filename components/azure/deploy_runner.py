"""GitHub-hosted runners with Azure private networking, for the in-cluster deploy stage.

A private AKS API server resolves and answers only inside the virtual network linked to its
private DNS zone, the cluster's own (AKS docs, "Create a private AKS cluster"). GitHub's
hosted larger runners can take their network interface in a subnet of that VNet: the
subnet is delegated to `GitHub.Network/networkSettings`, and a networkSettings resource
binds it to the GitHub organization (GitHub docs, "About Azure private networking for
GitHub-hosted runners in your organization"; API version 2024-04-02, properties `subnetId`
and `businessId`). pulumi-azure-native has no resource for that type, so an ARM deployment
creates it (a generic resource passes the wrong API version: pulumi/pulumi-azure-native#3524).

The subnet egresses through the VNet's NAT gateway, HTTPS only (GitHub, Pulumi Cloud,
PyPI, ARM and Entra ID all answer on 443), and takes nothing inbound from the internet.
Deleting an ARM deployment leaves what it created, so `pulumi destroy` leaves the network
settings behind (docs/RUNBOOK.md, "Removing the deploy runner network").
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Any

import pulumi
import pulumi_azure_native as azure

NETWORK_SETTINGS = "GitHub.Network/networkSettings"
NETWORK_SETTINGS_API = "2024-04-02"
HTTPS = "443"
TYPE = "llm-infra:azure:GithubRunnerNetwork"


def network_settings_template() -> dict[str, Any]:
    """The ARM template of one networkSettings resource, whose id it returns."""
    resource_id = f"[resourceId('{NETWORK_SETTINGS}', parameters('name'))]"
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "name": {"type": "string"},
            "location": {"type": "string"},
            "subnetId": {"type": "string"},
            "businessId": {"type": "string"},
        },
        "resources": [
            {
                "type": NETWORK_SETTINGS,
                "apiVersion": NETWORK_SETTINGS_API,
                "name": "[parameters('name')]",
                "location": "[parameters('location')]",
                "properties": {
                    "subnetId": "[parameters('subnetId')]",
                    "businessId": "[parameters('businessId')]",
                },
            }
        ],
        "outputs": {"networkSettingsId": {"type": "string", "value": resource_id}},
    }


def runner_security_rules() -> list[azure.network.SecurityRuleArgs]:
    """HTTPS out to the VNet (the API server's private endpoint) and the internet; nothing
    else out to the internet (plain-HTTP downloads fail), nothing in from it. Name
    resolution (168.63.129.16) and the instance metadata service are not subject to NSG
    rules (Azure docs, "Network security groups": Azure platform considerations)."""
    return [
        _rule(
            "https-to-vnet",
            200,
            "Outbound",
            "Allow",
            "Tcp",
            destination="VirtualNetwork",
            port=HTTPS,
        ),
        _rule(
            "https-to-internet", 210, "Outbound", "Allow", "Tcp", destination="Internet", port=HTTPS
        ),
        _rule("deny-other-internet-out", 4000, "Outbound", "Deny", "*", destination="Internet"),
        _rule("deny-internet-in", 4000, "Inbound", "Deny", "*", source="Internet"),
    ]


def _rule(
    name: str,
    priority: int,
    direction: str,
    access: str,
    protocol: str,
    *,
    source: str = "*",
    destination: str = "*",
    port: str = "*",
) -> azure.network.SecurityRuleArgs:
    return azure.network.SecurityRuleArgs(
        name=name,
        priority=priority,
        direction=direction,
        access=access,
        protocol=protocol,
        source_address_prefix=source,
        source_port_range="*",
        destination_address_prefix=destination,
        destination_port_range=port,
    )


@dataclass(frozen=True)
class GithubRunnerNetworkArgs:
    settings_name: str
    location: str
    subnet_cidr: IPv4Network
    github_organization_id: int
    tags: Mapping[str, str]


class GithubRunnerNetwork(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        args: GithubRunnerNetworkArgs,
        *,
        resource_group_name: pulumi.Input[str],
        vnet_name: pulumi.Input[str],
        nat_gateway_id: pulumi.Input[str] | None,
        after: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # `inNetwork` is both an input and a registered output: the deploy pack reads it
        # the same from the offline plan and from the engine.
        super().__init__(TYPE, name, {"inNetwork": True}, opts)
        child = pulumi.ResourceOptions(parent=self)
        nsg = azure.network.NetworkSecurityGroup(
            f"{name}-nsg",
            resource_group_name=resource_group_name,
            location=args.location,
            security_rules=runner_security_rules(),
            tags=dict(args.tags),
            opts=child,
        )
        subnet = azure.network.Subnet(
            f"{name}-subnet",
            resource_group_name=resource_group_name,
            virtual_network_name=vnet_name,
            address_prefix=str(args.subnet_cidr),
            network_security_group=azure.network.NetworkSecurityGroupArgs(id=nsg.id),
            nat_gateway=azure.network.SubResourceArgs(id=nat_gateway_id)
            if nat_gateway_id
            else None,
            default_outbound_access=False,
            delegations=[
                azure.network.DelegationArgs(name="github-network", service_name=NETWORK_SETTINGS)
            ],
            # Azure changes one VNet's subnets one at a time and answers a concurrent
            # change with AnotherOperationInProgress: this one comes after the others.
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(after)),
        )
        deployment = azure.resources.Deployment(
            f"{name}-settings",
            resource_group_name=resource_group_name,
            properties=azure.resources.DeploymentPropertiesArgs(
                mode=azure.resources.DeploymentMode.INCREMENTAL,
                template=network_settings_template(),
                parameters={
                    "name": azure.resources.DeploymentParameterArgs(value=args.settings_name),
                    "location": azure.resources.DeploymentParameterArgs(value=args.location),
                    "subnetId": azure.resources.DeploymentParameterArgs(value=subnet.id),
                    "businessId": azure.resources.DeploymentParameterArgs(
                        value=str(args.github_organization_id)
                    ),
                },
            ),
            tags=dict(args.tags),
            opts=child,
        )
        self.subnet_id = subnet.id
        self.network_settings_id = deployment.properties.apply(
            lambda p: str(((p.outputs or {}).get("networkSettingsId") or {}).get("value", ""))
        )
        self.register_outputs(
            {"subnetId": subnet.id, "networkSettingsId": self.network_settings_id}
        )
