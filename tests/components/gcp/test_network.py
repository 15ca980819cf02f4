from ipaddress import IPv4Network

import pytest

from components.enums import NatStrategy
from components.gcp.network import HEALTH_CHECK_RANGES, Network, NetworkArgs
from tests.harness import run_components


def build(nat=NatStrategy.SINGLE, flow_logs=True):
    def body():
        Network(
            "net",
            NetworkArgs(
                region="us-central1", cidr=IPv4Network("10.30.0.0/16"), nat=nat, flow_logs=flow_logs
            ),
        )

    return run_components(body, region="us-central1", cloud="gcp")


@pytest.fixture(scope="module")
def plan():
    return build()


def test_custom_mode_vpc(plan):
    vpc = plan.get("gcp:compute/network:Network", "net-vpc")
    assert vpc.inputs["autoCreateSubnetworks"] is False
    assert vpc.parent == "urn:pulumi:test::llm-infra::llm-infra:gcp:Network::net"


def test_node_subnet_has_private_google_access_and_pod_and_service_ranges(plan):
    subnet = plan.get("gcp:compute/subnetwork:Subnetwork", "net-nodes")
    assert subnet.inputs["privateIpGoogleAccess"] is True
    assert subnet.inputs["ipCidrRange"] == "10.30.0.0/20"
    ranges = {r["rangeName"]: r["ipCidrRange"] for r in subnet.inputs["secondaryIpRanges"]}
    assert ranges == {"pods": "10.30.128.0/17", "services": "10.30.16.0/20"}


def test_flow_logs_follow_the_flag():
    assert (
        "logConfig"
        in build(flow_logs=True).get("gcp:compute/subnetwork:Subnetwork", "net-nodes").inputs
    )
    assert (
        "logConfig"
        not in build(flow_logs=False).get("gcp:compute/subnetwork:Subnetwork", "net-nodes").inputs
    )


def test_cloud_nat_covers_every_range_through_the_router(plan):
    router = plan.get("gcp:compute/router:Router", "net-router")
    nat = plan.get("gcp:compute/routerNat:RouterNat", "net-nat")
    assert nat.inputs["sourceSubnetworkIpRangesToNat"] == "ALL_SUBNETWORKS_ALL_IP_RANGES"
    assert nat.property_dependencies["router"] == [router.urn]


def test_no_nat_means_no_router():
    plan = build(nat=NatStrategy.NONE)
    assert plan.of_type("gcp:compute/routerNat:RouterNat") == []
    assert plan.of_type("gcp:compute/router:Router") == []


def test_firewall_admits_only_internal_ranges_and_health_checkers(plan):
    rules = {r.name: r.inputs for r in plan.of_type("gcp:compute/firewall:Firewall")}
    assert set(rules) == {"net-allow-internal", "net-allow-health-checks"}
    assert "0.0.0.0/0" not in str(rules)
    assert rules["net-allow-health-checks"]["sourceRanges"] == list(HEALTH_CHECK_RANGES)


def test_the_ranges_are_exposed_for_the_cluster():
    captured: dict[str, str] = {}

    def body():
        network = Network(
            "net",
            NetworkArgs(
                region="us-central1",
                cidr=IPv4Network("10.30.0.0/16"),
                nat=NatStrategy.SINGLE,
                flow_logs=False,
            ),
        )
        captured.update(
            nodes=network.nodes_cidr, pods=network.pods_cidr, services=network.services_cidr
        )

    run_components(body, region="us-central1", cloud="gcp")
    assert captured == {
        "nodes": "10.30.0.0/20",
        "pods": "10.30.128.0/17",
        "services": "10.30.16.0/20",
    }
