"""VPC across zones: private subnets for nodes, public subnets for load balancers, NAT."""

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Network

import pulumi
import pulumi_aws as aws

from components.aws.logs import encrypted_log_group
from components.aws.policies import flow_logs_delivery_policy, service_trust_policy
from components.enums import NatStrategy
from components.network.cidr import split_subnets

# Tags the AWS Load Balancer Controller and the in-tree service controller use to pick
# subnets for internet-facing and internal load balancers.
PUBLIC_ELB_TAG = {"kubernetes.io/role/elb": "1"}
INTERNAL_ELB_TAG = {"kubernetes.io/role/internal-elb": "1"}
# Services nodes call on every start and image pull: through interface endpoints their
# traffic stays in the VPC and off the NAT gateways' per-GB charge. ECR layers come
# from S3, which the (free) gateway endpoint covers.
INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "sts")


@dataclass(frozen=True)
class FlowLogsArgs:
    retention_days: int
    """Must be a retention CloudWatch Logs accepts (components.aws.logs)."""
    keep: bool = False
    """Protect and retain the log group and its key."""


@dataclass(frozen=True)
class NetworkArgs:
    cidr: IPv4Network
    zones: Sequence[pulumi.Input[str]]
    nat: NatStrategy
    region: str
    """The VPC's region, for the endpoint service names."""
    flow_logs: FlowLogsArgs | None = None
    """VPC flow logs (all traffic) to a KMS-encrypted CloudWatch log group; None: off."""
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
    gateways live there. Private endpoints: an S3 gateway endpoint on the private route
    tables (`-s3-endpoint`); interface endpoints for ECR (api, dkr) and STS with private
    DNS in the private subnets (`-ecr-api-endpoint`, `-ecr-dkr-endpoint`,
    `-sts-endpoint`), behind a security group admitting HTTPS from the VPC only
    (`-endpoints-sg`, `-endpoints-https`). With `flow_logs`: a KMS-encrypted log group
    with retention (`-flow-logs`, `-flow-logs-key`), a delivery role (`-flow-logs-role`,
    `-flow-logs-delivery`) and the VPC's flow log (`-flow-log`).
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

        self._private_endpoints(
            name,
            args,
            vpc=vpc,
            private_tables=private_tables,
            private_subnets=private_subnets,
            tags=tags,
        )
        if args.flow_logs is not None:
            self._flow_logs(name, args, args.flow_logs, vpc, tags)

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

    def _private_endpoints(
        self,
        name: str,
        args: NetworkArgs,
        *,
        vpc: aws.ec2.Vpc,
        private_tables: Sequence[aws.ec2.RouteTable],
        private_subnets: Sequence[aws.ec2.Subnet],
        tags: Callable[[str], dict[str, str]],
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        aws.ec2.VpcEndpoint(
            f"{name}-s3-endpoint",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[t.id for t in private_tables],
            tags=tags("s3-endpoint"),
            opts=child,
        )
        group = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            vpc_id=vpc.id,
            description="HTTPS from the VPC to its interface endpoints",
            tags=tags("endpoints-sg"),
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-endpoints-https",
            security_group_id=group.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4=str(args.cidr),
            description="HTTPS from the VPC",
            tags=tags("endpoints-https"),
            opts=child,
        )
        for service in INTERFACE_ENDPOINTS:
            role = f"{service.replace('.', '-')}-endpoint"
            aws.ec2.VpcEndpoint(
                f"{name}-{role}",
                vpc_id=vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Interface",
                subnet_ids=[s.id for s in private_subnets],
                security_group_ids=[group.id],
                private_dns_enabled=True,
                tags=tags(role),
                opts=child,
            )

    def _flow_logs(
        self,
        name: str,
        args: NetworkArgs,
        flow_logs: FlowLogsArgs,
        vpc: aws.ec2.Vpc,
        tags: Callable[[str], dict[str, str]],
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        logs = encrypted_log_group(
            f"{name}-flow-logs",
            log_group_name=None,
            retention_days=flow_logs.retention_days,
            region=args.region,
            keep=flow_logs.keep,
            tags=args.tags,
            parent=self,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            assume_role_policy=json.dumps(service_trust_policy("vpc-flow-logs.amazonaws.com")),
            tags=tags("flow-logs-role"),
            opts=child,
        )
        delivery = aws.iam.RolePolicy(
            f"{name}-flow-logs-delivery",
            role=role.id,
            policy=logs.log_group.arn.apply(lambda arn: json.dumps(flow_logs_delivery_policy(arn))),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=logs.log_group.arn,
            iam_role_arn=role.arn,
            tags=tags("flow-log"),
            # Without its permissions the first delivery fails and the flow log reports an
            # error until someone recreates it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[delivery]),
        )
