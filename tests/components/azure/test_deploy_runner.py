"""The subnet where GitHub's hosted runners with Azure private networking run azure-prod's
in-cluster deploy stage."""

from ipaddress import IPv4Network

import pytest

from components.azure.deploy_runner import (
    NETWORK_SETTINGS,
    NETWORK_SETTINGS_API,
    network_settings_template,
)

RUNNER = "llm-infra:deploy:DeployPath$llm-infra:azure:GithubRunnerNetwork"


@pytest.fixture(scope="module")
def plan(shipped_plan):
    return shipped_plan("azure-prod")


def nodes_subnet(plan):
    return plan.get("azure-native:network:Subnet", "network-nodes").inputs


def one(plan, type_):
    (found,) = [r for r in plan.of_type(type_) if RUNNER in r.urn]
    return found


def test_the_subnet_is_in_the_clusters_vnet_in_a_range_added_to_it(plan):
    """The AKS private DNS zone is linked to the cluster's VNet only (AKS docs, "Create a
    private AKS cluster"): the runners must be in that VNet to resolve the API server."""
    subnet = one(plan, "azure-native:network:Subnet").inputs
    (vnet,) = plan.of_type("azure-native:network:VirtualNetwork")
    nodes = plan.get("azure-native:network:Subnet", "network-nodes").inputs
    assert subnet["virtualNetworkName"] == nodes["virtualNetworkName"]
    assert vnet.inputs["addressSpace"]["addressPrefixes"] == ["10.40.0.0/16", "10.41.0.0/26"]
    assert subnet["addressPrefix"] == "10.41.0.0/26"
    others = [
        r.inputs["addressPrefix"]
        for r in plan.of_type("azure-native:network:Subnet")
        if RUNNER not in r.urn
    ]
    assert not any(IPv4Network(o).overlaps(IPv4Network(subnet["addressPrefix"])) for o in others)


def test_the_subnet_is_delegated_to_github_and_egresses_through_the_nat_gateway(plan):
    """GitHub docs, "Configuring private networking for GitHub-hosted runners": the subnet
    is delegated to GitHub.Network/networkSettings."""
    subnet = one(plan, "azure-native:network:Subnet").inputs
    assert [d["serviceName"] for d in subnet["delegations"]] == ["GitHub.Network/networkSettings"]
    assert subnet["defaultOutboundAccess"] is False
    assert subnet["natGateway"] == nodes_subnet(plan)["natGateway"]
    assert "/providers/Microsoft.Network/natGateways/" in subnet["natGateway"]["id"]


def test_the_runners_send_https_only_and_take_nothing_from_the_internet(plan):
    rules = {
        r["name"]: r
        for r in one(plan, "azure-native:network:NetworkSecurityGroup").inputs["securityRules"]
    }
    allowed_out = [
        r for r in rules.values() if r["direction"] == "Outbound" and r["access"] == "Allow"
    ]
    assert {(r["destinationAddressPrefix"], r["destinationPortRange"]) for r in allowed_out} == {
        ("VirtualNetwork", "443"),
        ("Internet", "443"),
    }
    deny_out = rules["deny-other-internet-out"]
    assert deny_out["destinationAddressPrefix"] == "Internet" and deny_out["access"] == "Deny"
    assert all(deny_out["priority"] > r["priority"] for r in allowed_out)
    assert rules["deny-internet-in"]["sourceAddressPrefix"] == "Internet"


def test_the_network_settings_bind_the_subnet_to_the_organization(plan):
    deployment = one(plan, "azure-native:resources:Deployment").inputs["properties"]
    assert deployment["mode"] == "Incremental"  # never delete the group's other resources
    (resource,) = deployment["template"]["resources"]
    assert (resource["type"], resource["apiVersion"]) == (NETWORK_SETTINGS, "2024-04-02")
    assert resource["properties"] == {
        "subnetId": "[parameters('subnetId')]",
        "businessId": "[parameters('businessId')]",
    }
    parameters = {k: v["value"] for k, v in deployment["parameters"].items()}
    assert parameters["businessId"] == "123456789"
    assert parameters["subnetId"] == plan.outputs["deploy"]["runner_subnet_id"]
    assert plan.outputs["deploy"]["network_settings_id"].endswith(
        f"/providers/{NETWORK_SETTINGS}/llm-infra-azure-prod-runners"
    )


def test_the_template_is_valid_arm_with_the_parameters_it_uses():
    template = network_settings_template()
    used = set()
    text = str(template["resources"]) + str(template["outputs"])
    for name in template["parameters"]:
        if f"parameters('{name}')" in text:
            used.add(name)
    assert used == set(template["parameters"])
    assert NETWORK_SETTINGS_API == "2024-04-02"


def test_the_runners_subnet_is_changed_after_the_vnets_other_subnets(plan):
    """Azure answers concurrent changes to one VNet's subnets with AnotherOperationInProgress."""
    subnet = one(plan, "azure-native:network:Subnet")
    others = [r.urn for r in plan.of_type("azure-native:network:Subnet") if RUNNER not in r.urn]
    assert len(others) == 2 and set(others) <= set(subnet.dependencies)
