"""VPC across zones: private subnets for nodes, public subnets for load balancers, NAT."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Network

import pulumi
import pulumi_aws as aws

from components.enums import NatStrategy
from components.network.cidr import split_subnets

# Tags the AWS Load Balancer Controller and the in-tree service controller use to pick
# subnets for internet-facing and internal load balancers.
PUBLIC_ELB_TAG = {"kubernetes.io/role/elb": "1"}
INTERNAL_ELB_TAG = {"kubernetes.io/role/internal-elb": "1"}


@dataclass(frozen=True)
class NetworkArgs:
    cidr: IPv4Network
    zones: Sequence[pulumi.Input[str]]
    nat: NatStrategy
    tags: Mapping[str, str] = field(default_factory=dict)


class Network(pulumi.ComponentResource):
    """A VPC spread over `zones`.

    Creates: the VPC (DNS support on); its default security group emptied of rules; an
    internet gateway; per zone a public and a private subnet (split by
    components.network.cidr) tagged for load-balancer discovery; a public route table
    to the internet gateway; a private route table per zone, routed to a NAT gateway by
    the NAT strategy (none: no default route; single: every zone through the first
    zone's gateway; one_per_az: each zone through its own), each gateway with an
    Elastic IP. Public subnets do not hand out public IPs: only load balancers and NAT
    gateways live there.
    """

    vpc_id: pulumi.Output[str]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    nat_gateway_ids: list[pulumi.Output[str]]
    private_route_table_ids: list[pulumi.Output[str]]

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("llm-infra:aws:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        layout = split_subnets(args.cidr, len(args.zones))

        def tags(role: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
            return {**args.tags, **(extra or {}), "Name": f"{name}-{role}"}

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=str(args.cidr),
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=tags("vpc"),
            opts=child,
        )
        # A default security group with rules is an easy accident (CKV2_AWS_12): empty it.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags=tags("default-sg"),
            opts=child,
        )
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=tags("igw"), opts=child)
        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt", vpc_id=vpc.id, tags=tags("public-rt"), opts=child
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child,
        )

        public_subnets: list[aws.ec2.Subnet] = []
        private_subnets: list[aws.ec2.Subnet] = []
        for index, zone in enumerate(args.zones):
            public = aws.ec2.Subnet(
                f"{name}-public-{index}",
                vpc_id=vpc.id,
                cidr_block=str(layout.public[index]),
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags=tags(f"public-{index}", PUBLIC_ELB_TAG),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{index}",
                subnet_id=public.id,
                route_table_id=public_rt.id,
                opts=child,
            )
            private = aws.ec2.Subnet(
                f"{name}-private-{index}",
                vpc_id=vpc.id,
                cidr_block=str(layout.private[index]),
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags=tags(f"private-{index}", INTERNAL_ELB_TAG),
                opts=child,
            )
            public_subnets.append(public)
            private_subnets.append(private)

        nat_count = {NatStrategy.NONE: 0, NatStrategy.SINGLE: 1}.get(args.nat, len(args.zones))
        nat_gateways = []
        for index in range(nat_count):
            eip = aws.ec2.Eip(
                f"{name}-nat-{index}", domain="vpc", tags=tags(f"nat-{index}"), opts=child
            )
            nat_gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{index}",
                    allocation_id=eip.id,
                    subnet_id=public_subnets[index].id,
                    connectivity_type="public",
                    tags=tags(f"nat-{index}"),
                    # A NAT gateway needs the internet gateway attached before it can route.
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )

        # One private route table per zone whatever the NAT strategy, so switching
        # strategies only moves routes and never replaces tables.
        private_tables = []
        for index, subnet in enumerate(private_subnets):
            table = aws.ec2.RouteTable(
                f"{name}-private-rt-{index}",
                vpc_id=vpc.id,
                tags=tags(f"private-rt-{index}"),
                opts=child,
            )
            if nat_gateways:
                aws.ec2.Route(
                    f"{name}-private-default-{index}",
                    route_table_id=table.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=nat_gateways[index % len(nat_gateways)].id,
                    opts=child,
                )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{index}",
                subnet_id=subnet.id,
                route_table_id=table.id,
                opts=child,
            )
            private_tables.append(table)

        self.vpc_id = vpc.id
        self.public_subnet_ids = [s.id for s in public_subnets]
        self.private_subnet_ids = [s.id for s in private_subnets]
        self.nat_gateway_ids = [n.id for n in nat_gateways]
        self.private_route_table_ids = [t.id for t in private_tables]
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "nat_gateway_ids": self.nat_gateway_ids,
            }
        )
