"""VNet with a node subnet and an endpoint subnet, NSGs, and a NAT gateway."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Network

import pulumi
import pulumi_azure_native as azure

from components.enums import NatStrategy
from components.network.cidr import split_subnets


@dataclass(frozen=True)
class NetworkArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    cidr: IPv4Network
    nat: NatStrategy
    tags: Mapping[str, str] = field(default_factory=dict)
    extra_prefixes: tuple[IPv4Network, ...] = ()
    """Address ranges beside `cidr` for subnets made elsewhere (the deploy runners')."""


class Network(pulumi.ComponentResource):
    """A VNet for an AKS cluster with Azure CNI overlay (pods take overlay addresses,
    so only nodes need VNet space).

    Creates: the VNet; a `nodes` subnet (the larger block) and an `endpoints` subnet
    for private endpoints and internal load balancers, each with its own network
    security group (Azure's default rules: VNet and load-balancer traffic in, nothing
    from the internet); default outbound access off. Unless the NAT strategy is `none`,
    a Standard NAT gateway with a static public IP gives the node subnet its egress: a
    subnet takes one gateway, so `single` and `one_per_az` both give one regional
    gateway.
    """

    vnet_id: pulumi.Output[str]
    node_subnet_id: pulumi.Output[str]
    endpoint_subnet_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("llm-infra:azure:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        layout = split_subnets(args.cidr, 1)
        group, location = args.resource_group_name, args.location
        tags = dict(args.tags)

        vnet = azure.network.VirtualNetwork(
            f"{name}-vnet",
            address_space=azure.network.AddressSpaceArgs(
                address_prefixes=[str(args.cidr), *(str(p) for p in args.extra_prefixes)]
            ),
            tags=tags,
            opts=child,
            resource_group_name=group,
            location=location,
        )
        nat_gateway = None
        if args.nat is not NatStrategy.NONE:
            public_ip = azure.network.PublicIPAddress(
                f"{name}-nat-ip",
                sku=azure.network.PublicIPAddressSkuArgs(name="Standard", tier="Regional"),
                public_ip_allocation_method="Static",
                public_ip_address_version="IPv4",
                tags=tags,
                opts=child,
                resource_group_name=group,
                location=location,
            )
            nat_gateway = azure.network.NatGateway(
                f"{name}-nat",
                sku=azure.network.NatGatewaySkuArgs(name="Standard"),
                public_ip_addresses=[azure.network.SubResourceArgs(id=public_ip.id)],
                idle_timeout_in_minutes=4,
                tags=tags,
                opts=child,
                resource_group_name=group,
                location=location,
            )

        subnets = {}
        for role, prefix, nat in (
            ("nodes", layout.private[0], nat_gateway),
            ("endpoints", layout.public[0], None),
        ):
            nsg = azure.network.NetworkSecurityGroup(
                f"{name}-{role}-nsg",
                resource_group_name=group,
                location=location,
                tags=tags,
                opts=child,
            )
            subnets[role] = azure.network.Subnet(
                f"{name}-{role}",
                resource_group_name=group,
                virtual_network_name=vnet.name,
                address_prefix=str(prefix),
                network_security_group=azure.network.NetworkSecurityGroupArgs(id=nsg.id),
                nat_gateway=azure.network.SubResourceArgs(id=nat.id) if nat else None,
                default_outbound_access=False,
                private_endpoint_network_policies="Enabled",
                opts=child,
            )

        self.vnet_id = vnet.id
        self.vnet_name = vnet.name
        self.subnets = list(subnets.values())
        self.nat_gateway_id = nat_gateway.id if nat_gateway else None
        self.node_subnet_id = subnets["nodes"].id
        self.endpoint_subnet_id = subnets["endpoints"].id
        self.register_outputs({"vnet_id": vnet.id, "node_subnet_id": self.node_subnet_id})
