import json
from ipaddress import IPv4Network

import pytest

from components.aws.network import FlowLogsArgs, Network, NetworkArgs
from components.enums import NatStrategy
from tests.harness import run_components

ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
NETWORK_URN = "urn:pulumi:test::llm-infra::llm-infra:aws:Network::net"


def build(nat: NatStrategy, zones=ZONES, flow_logs=None):
    def body():
        Network(
            "net",
            NetworkArgs(
                cidr=IPv4Network("10.0.0.0/16"),
                zones=zones,
                nat=nat,
                region="us-east-1",
                flow_logs=flow_logs,
                tags={"team": "ml"},
            ),
        )

    return run_components(body)


@pytest.fixture(scope="module")
def per_zone():
    return build(NatStrategy.ONE_PER_AZ)


def test_component_type_token_and_children_parented_to_it(per_zone):
    component = per_zone.get("llm-infra:aws:Network", "net")
    assert component.urn == NETWORK_URN
    custom = [r for r in per_zone.resources if r.custom and not r.type.startswith("pulumi:")]
    assert custom and all(r.parent == NETWORK_URN for r in custom)
    assert all(r.name.startswith("net-") for r in custom)


def test_one_private_and_one_public_subnet_per_zone_from_the_layout(per_zone):
    subnets = {r.name: r.inputs for r in per_zone.of_type("aws:ec2/subnet:Subnet")}
    assert subnets["net-private-0"]["cidrBlock"] == "10.0.0.0/18"
    assert subnets["net-public-2"]["cidrBlock"] == "10.0.224.0/20"
    for index, zone in enumerate(ZONES):
        assert subnets[f"net-private-{index}"]["availabilityZone"] == zone
        assert subnets[f"net-public-{index}"]["availabilityZone"] == zone
    assert len(subnets) == 6


def test_subnets_never_hand_out_public_ips_and_carry_load_balancer_tags(per_zone):
    for subnet in per_zone.of_type("aws:ec2/subnet:Subnet"):
        assert subnet.inputs["mapPublicIpOnLaunch"] is False
        role = (
            "kubernetes.io/role/elb"
            if "public" in subnet.name
            else "kubernetes.io/role/internal-elb"
        )
        assert subnet.inputs["tags"][role] == "1"
        assert subnet.inputs["tags"]["team"] == "ml"


def test_the_default_security_group_is_emptied(per_zone):
    group = per_zone.get("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "net-default-sg")
    assert group.inputs["ingress"] == [] and group.inputs["egress"] == []


def test_vpc_has_dns_for_private_endpoints_and_eks(per_zone):
    vpc = per_zone.get("aws:ec2/vpc:Vpc", "net-vpc")
    assert vpc.inputs["enableDnsHostnames"] is True and vpc.inputs["enableDnsSupport"] is True
    assert vpc.inputs["cidrBlock"] == "10.0.0.0/16"


@pytest.mark.parametrize(
    ("nat", "gateways", "routes"),
    [(NatStrategy.NONE, 0, 0), (NatStrategy.SINGLE, 1, 3), (NatStrategy.ONE_PER_AZ, 3, 3)],
)
def test_nat_strategy_sets_gateway_and_private_route_counts(nat, gateways, routes):
    plan = build(nat)
    assert len(plan.of_type("aws:ec2/natGateway:NatGateway")) == gateways
    assert len(plan.of_type("aws:ec2/eip:Eip")) == gateways
    private_routes = [r for r in plan.of_type("aws:ec2/route:Route") if "private" in r.name]
    assert len(private_routes) == routes
    # route tables exist per zone whatever the strategy, so a switch never replaces them
    assert len(plan.of_type("aws:ec2/routeTable:RouteTable")) == 4


def test_each_zone_routes_through_its_own_gateway_with_one_per_az(per_zone):
    nat_urns = {r.name: r.urn for r in per_zone.of_type("aws:ec2/natGateway:NatGateway")}
    for index in range(3):
        route = per_zone.get("aws:ec2/route:Route", f"net-private-default-{index}")
        assert route.inputs["destinationCidrBlock"] == "0.0.0.0/0"
        assert route.property_dependencies["natGatewayId"] == [nat_urns[f"net-nat-{index}"]]


def test_single_nat_serves_every_zone_from_the_first_public_subnet():
    plan = build(NatStrategy.SINGLE)
    nat = plan.get("aws:ec2/natGateway:NatGateway", "net-nat-0")
    public0 = plan.get("aws:ec2/subnet:Subnet", "net-public-0")
    assert nat.property_dependencies["subnetId"] == [public0.urn]
    for index in range(3):
        route = plan.get("aws:ec2/route:Route", f"net-private-default-{index}")
        assert route.property_dependencies["natGatewayId"] == [nat.urn]


def test_nat_gateways_wait_for_the_internet_gateway(per_zone):
    igw = per_zone.get("aws:ec2/internetGateway:InternetGateway", "net-igw")
    for nat in per_zone.of_type("aws:ec2/natGateway:NatGateway"):
        assert igw.urn in nat.options.depends_on


def test_public_route_table_sends_default_traffic_to_the_internet_gateway(per_zone):
    igw = per_zone.get("aws:ec2/internetGateway:InternetGateway", "net-igw")
    route = per_zone.get("aws:ec2/route:Route", "net-public-default")
    assert route.property_dependencies["gatewayId"] == [igw.urn]
    associations = [
        r
        for r in per_zone.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
        if r.name.startswith("net-public-")
    ]
    assert len(associations) == 3


def test_s3_gateway_endpoint_serves_every_private_route_table(per_zone):
    endpoint = per_zone.get("aws:ec2/vpcEndpoint:VpcEndpoint", "net-s3-endpoint")
    assert endpoint.inputs["serviceName"] == "com.amazonaws.us-east-1.s3"
    assert endpoint.inputs["vpcEndpointType"] == "Gateway"
    private_tables = {
        r.urn for r in per_zone.of_type("aws:ec2/routeTable:RouteTable") if "private" in r.name
    }
    assert set(endpoint.property_dependencies["routeTableIds"]) == private_tables
    assert len(endpoint.inputs["routeTableIds"]) == 3


def test_interface_endpoints_for_ecr_and_sts_with_private_dns_in_private_subnets(per_zone):
    group = per_zone.get("aws:ec2/securityGroup:SecurityGroup", "net-endpoints-sg")
    private_subnets = {
        r.urn for r in per_zone.of_type("aws:ec2/subnet:Subnet") if "private" in r.name
    }
    services = {}
    for endpoint in per_zone.of_type("aws:ec2/vpcEndpoint:VpcEndpoint"):
        if endpoint.inputs["vpcEndpointType"] != "Interface":
            continue
        services[endpoint.inputs["serviceName"]] = endpoint
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert set(endpoint.property_dependencies["subnetIds"]) == private_subnets
        assert endpoint.property_dependencies["securityGroupIds"] == [group.urn]
    assert set(services) == {
        "com.amazonaws.us-east-1.ecr.api",
        "com.amazonaws.us-east-1.ecr.dkr",
        "com.amazonaws.us-east-1.sts",
    }


def test_endpoints_admit_https_from_the_vpc_only(per_zone):
    (rule,) = per_zone.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.name == "net-endpoints-https"
    assert rule.inputs["cidrIpv4"] == "10.0.0.0/16"
    assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (443, 443)
    assert rule.inputs["ipProtocol"] == "tcp"
    group = per_zone.get("aws:ec2/securityGroup:SecurityGroup", "net-endpoints-sg")
    assert "ingress" not in group.inputs and "egress" not in group.inputs


def test_no_flow_logs_unless_asked(per_zone):
    assert per_zone.of_type("aws:ec2/flowLog:FlowLog") == []


@pytest.fixture(scope="module")
def flow_logged():
    return build(NatStrategy.SINGLE, flow_logs=FlowLogsArgs(retention_days=365, keep=True))


def test_flow_logs_go_to_an_encrypted_log_group_with_retention(flow_logged):
    group = flow_logged.get("aws:cloudwatch/logGroup:LogGroup", "net-flow-logs")
    key = flow_logged.get("aws:kms/key:Key", "net-flow-logs-key")
    assert group.inputs["retentionInDays"] == 365
    assert group.property_dependencies["kmsKeyId"] == [key.urn]
    assert key.inputs["enableKeyRotation"] is True
    flow_log = flow_logged.get("aws:ec2/flowLog:FlowLog", "net-flow-log")
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow_log.property_dependencies["logDestination"] == [group.urn]
    assert flow_log.property_dependencies["vpcId"] == [
        flow_logged.get("aws:ec2/vpc:Vpc", "net-vpc").urn
    ]


def test_flow_log_role_writes_only_to_its_log_group(flow_logged):
    role = flow_logged.get("aws:iam/role:Role", "net-flow-logs-role")
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    delivery = flow_logged.get("aws:iam/rolePolicy:RolePolicy", "net-flow-logs-delivery")
    (statement,) = json.loads(delivery.inputs["policy"])["Statement"]
    group_arn = statement["Resource"][0]
    assert group_arn.startswith("arn:aws:logs:us-east-1:123456789012:log-group:net-flow-logs-")
    assert statement["Resource"] == [group_arn, f"{group_arn}:*"]
    flow_log = flow_logged.get("aws:ec2/flowLog:FlowLog", "net-flow-log")
    assert delivery.urn in flow_log.options.depends_on


def test_kept_flow_logs_are_protected_and_retained(flow_logged):
    for type_, name in (
        ("aws:cloudwatch/logGroup:LogGroup", "net-flow-logs"),
        ("aws:kms/key:Key", "net-flow-logs-key"),
    ):
        options = flow_logged.get(type_, name).options
        assert options.protect and options.retain_on_delete


def test_a_retention_cloudwatch_rejects_is_refused_before_anything_is_sent():
    with pytest.raises(Exception, match="45 days is not a CloudWatch Logs retention"):
        build(NatStrategy.SINGLE, flow_logs=FlowLogsArgs(retention_days=45))
