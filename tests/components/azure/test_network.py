from ipaddress import IPv4Network

import pytest

from components.azure.network import Network, NetworkArgs
from components.enums import NatStrategy
from tests.harness import run_components


def build(nat=NatStrategy.SINGLE):
    def body():
        Network(
            "net",
            NetworkArgs(
                resource_group_name="rg-test",
                location="eastus",
                cidr=IPv4Network("10.40.0.0/16"),
                nat=nat,
                tags={"team": "ml"},
            ),
        )

    return run_components(body, region="eastus", cloud="azure")


@pytest.fixture(scope="module")
def plan():
    return build()


def test_vnet_spans_the_configured_range(plan):
    vnet = plan.get("azure-native:network:VirtualNetwork", "net-vnet")
    assert vnet.inputs["addressSpace"] == {"addressPrefixes": ["10.40.0.0/16"]}
    assert vnet.inputs["tags"] == {"team": "ml"}


def test_each_subnet_has_its_own_nsg_and_no_default_outbound_access(plan):
    nsgs = {r.name: r.urn for r in plan.of_type("azure-native:network:NetworkSecurityGroup")}
    for role in ("nodes", "endpoints"):
        subnet = plan.get("azure-native:network:Subnet", f"net-{role}")
        assert subnet.inputs["defaultOutboundAccess"] is False
        assert subnet.property_dependencies["networkSecurityGroup"] == [nsgs[f"net-{role}-nsg"]]


def test_only_the_node_subnet_egresses_through_the_nat_gateway(plan):
    nat = plan.get("azure-native:network:NatGateway", "net-nat")
    assert nat.inputs["sku"] == {"name": "Standard"}
    nodes = plan.get("azure-native:network:Subnet", "net-nodes")
    endpoints = plan.get("azure-native:network:Subnet", "net-endpoints")
    assert nodes.property_dependencies["natGateway"] == [nat.urn]
    assert "natGateway" not in endpoints.inputs
    assert nodes.inputs["addressPrefix"] == "10.40.0.0/17"


def test_nat_public_ip_is_static_standard(plan):
    ip = plan.get("azure-native:network:PublicIPAddress", "net-nat-ip")
    assert ip.inputs["publicIPAllocationMethod"] == "Static"
    assert ip.inputs["sku"]["name"] == "Standard"


def test_no_nat_strategy_creates_no_gateway_or_public_ip():
    plan = build(NatStrategy.NONE)
    assert plan.of_type("azure-native:network:NatGateway") == []
    assert plan.of_type("azure-native:network:PublicIPAddress") == []
