"""The gateway's name in DNS: each shipped stack creates a private zone on its own network,
external-dns publishes the TLS name there for the proxies' load balancer, and its cloud
identity may change that zone alone."""

import json

import pytest

from components.dns import NAMESPACE, SERVICE_ACCOUNT
from infra.config import ConfigError
from tests.harness import (
    SHIPPED_STACKS,
    load,
    minimal_platform,
    plan_document,
    shipped_config_values,
    shipped_document,
)
from workloads.external_dns import CHART_VERSION, HOSTNAME_ANNOTATION

RELEASE = "kubernetes:helm.sh/v3:Release"
P = "llm-infra:platform"


def gateway_settings(stack):
    return shipped_config_values(stack)[P]["gateway"]


def release(plan):
    (found,) = [r for r in plan.of_type(RELEASE) if r.name == "external-dns-release"]
    return found.inputs


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_the_tls_name_is_published_for_the_proxies_service_in_the_stacks_zone(shipped_plan, stack):
    plan = shipped_plan(stack)
    settings = gateway_settings(stack)
    (proxy,) = plan.of_type("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy")
    service = proxy.inputs["spec"]["provider"]["kubernetes"]["envoyService"]
    assert service["annotations"][HOSTNAME_ANNOTATION] == settings["tls_hostname"]
    values = release(plan)["values"]
    assert release(plan)["version"] == CHART_VERSION
    assert release(plan)["namespace"] == service_namespace(plan) == NAMESPACE
    # only LoadBalancer Services of the gateway's namespace, only the zone's names
    assert values["sources"] == ["service"]
    assert values["namespaced"] is True and values["sourceNamespace"] == NAMESPACE
    assert values["extraArgs"]["service-type-filter"] == "LoadBalancer"
    assert values["domainFilters"] == [settings["dns_zone"]]
    assert values["policy"] == "sync" and values["txtOwnerId"] == f"llm-infra-{stack}"
    assert values["serviceAccount"]["name"] == SERVICE_ACCOUNT
    assert plan.outputs["workloads"]["gateway"]["dns_zone"] == settings["dns_zone"]


def service_namespace(plan):
    (gateway,) = plan.of_type("kubernetes:gateway.networking.k8s.io/v1:Gateway")
    return gateway.inputs["metadata"]["namespace"]


def test_aws_a_private_hosted_zone_on_the_vpc_and_a_role_for_that_zone_alone(shipped_plan):
    plan = shipped_plan("prod")
    (zone,) = plan.of_type("aws:route53/zone:Zone")
    assert zone.inputs["name"] == "prod.example.internal"
    assert [v["vpcId"] for v in zone.inputs["vpcs"]] == [plan.outputs["network"]["vpc_id"]]
    (policy,) = [r for r in plan.of_type("aws:iam/rolePolicy:RolePolicy") if "dns-" in r.name]
    statements = json.loads(policy.inputs["policy"])["Statement"]
    writes = [s for s in statements if "route53:ChangeResourceRecordSets" in s["Action"]]
    (resources,) = [s["Resource"] for s in writes]
    assert len(resources) == 1 and f"/{zone.name}-" in resources[0]  # the zone's ARN
    # the one unscoped action is a list the API cannot scope
    assert [s["Action"] for s in statements if s["Resource"] == ["*"]] == [
        ["route53:ListHostedZones"]
    ]
    roles = {r.name: r for r in plan.of_type("aws:iam/role:Role")}
    trust = json.loads(roles[policy.inputs["role"].rsplit("-", 1)[0]].inputs["assumeRolePolicy"])
    (condition,) = [s["Condition"]["StringEquals"] for s in trust["Statement"]]
    assert f"system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}" in condition.values()
    values = release(plan)["values"]
    assert values["provider"] == {"name": "aws"}
    assert values["extraArgs"]["aws-zone-type"] == "private"
    assert values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"].startswith(
        "arn:aws:iam::"
    )


def test_gcp_a_private_zone_on_the_network_and_zone_level_dns_admin(shipped_plan):
    plan = shipped_plan("gcp-prod")
    (zone,) = plan.of_type("gcp:dns/managedZone:ManagedZone")
    assert zone.inputs["dnsName"] == "gcp-prod.example.internal."
    assert zone.inputs["visibility"] == "private"
    assert zone.inputs["privateVisibilityConfig"]["networks"] == [
        {"networkUrl": plan.outputs["network"]["network_id"]}
    ]
    (admin,) = plan.of_type("gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember")
    assert admin.inputs["role"] == "roles/dns.admin"
    assert admin.inputs["managedZone"] == zone.inputs["name"]
    listers = [
        r for r in plan.of_type("gcp:projects/iAMMember:IAMMember") if r.name.endswith("zone-list")
    ]
    assert [r.inputs["role"] for r in listers] == ["roles/dns.reader"]
    assert listers[0].inputs["member"] == admin.inputs["member"]
    values = release(plan)["values"]
    assert values["provider"] == {"name": "google"}
    assert values["extraArgs"]["google-zone-visibility"] == "private"
    assert values["extraArgs"]["zone-id-filter"] == zone.inputs["name"]
    email = values["serviceAccount"]["annotations"]["iam.gke.io/gcp-service-account"]
    assert admin.inputs["member"] == f"serviceAccount:{email}"


def test_azure_a_linked_private_zone_in_its_own_group_and_workload_identity(shipped_plan):
    plan = shipped_plan("azure-prod")
    (zone,) = plan.of_type("azure-native:privatedns:PrivateZone")
    (link,) = plan.of_type("azure-native:privatedns:VirtualNetworkLink")
    assert zone.inputs["privateZoneName"] == "azure-prod.example.internal"
    assert link.inputs["virtualNetwork"] == {"id": plan.outputs["network"]["vnet_id"]}
    assert link.inputs["registrationEnabled"] is False
    grants = {
        r.inputs["roleDefinitionId"].rsplit("/", 1)[-1]: r.inputs["scope"]
        for r in plan.of_type("azure-native:authorization:RoleAssignment")
        if r.name.startswith("dns-")
    }
    # Private DNS Zone Contributor on the zone, Reader on the group that holds only it
    zone_id = grants["b12aa53e-6015-4669-85d0-8515ebb3ae7f"]
    assert f"/providers/Microsoft.Privatedns/privateZones/{zone.name}" in zone_id
    group = grants["acdd72a7-3385-48ef-bd42-f606fba81ae7"]
    assert zone_id.startswith(group + "/providers/")
    values = release(plan)["values"]
    assert values["provider"] == {"name": "azure-private-dns"}
    assert values["podLabels"] == {"azure.workload.identity/use": "true"}
    (config,) = [
        c for c in plan.of_type("kubernetes:core/v1:ConfigMap") if "external-dns" in c.name
    ]
    settings = json.loads(config.inputs["data"]["azure.json"])
    assert settings["useWorkloadIdentityExtension"] is True
    assert set(settings) == {
        "tenantId",
        "subscriptionId",
        "resourceGroup",
        "useWorkloadIdentityExtension",
    }
    assert values["extraVolumeMounts"][0]["mountPath"] == "/etc/kubernetes"


def test_a_stack_without_a_zone_creates_none(tmp_path):
    document = shipped_document("dev")
    del document["config"][P]["gateway"]["dns_zone"]
    plan = plan_document(tmp_path, document, stack="dev")
    assert not [r for r in plan.of_type(RELEASE) if r.name == "external-dns-release"]
    assert not plan.of_type("aws:route53/zone:Zone")


def issues_of(gateway):
    with pytest.raises(ConfigError) as error:
        load(minimal_platform(gateway=gateway))
    return [str(issue) for issue in error.value.issues]


def test_the_zone_holds_the_tls_name_of_an_internal_gateway():
    assert (
        load(
            minimal_platform(
                gateway={"tls_hostname": "llm.a.example.com", "dns_zone": "a.example.com"}
            )
        ).gateway.dns_zone
        == "a.example.com"
    )
    (issue,) = issues_of({"dns_zone": "a.example.com"})
    assert issue.startswith(f"{P}.gateway.dns_zone: is 'a.example.com', but gateway.tls_hostname")
    (issue,) = issues_of({"tls_hostname": "llm.b.example.com", "dns_zone": "a.example.com"})
    assert "does not hold gateway.tls_hostname 'llm.b.example.com'" in issue
    issues = issues_of(
        {
            "tls_hostname": "llm.a.example.com",
            "dns_zone": "a.example.com",
            "public": True,
            "allowed_cidrs": ["203.0.113.0/24"],
        }
    )
    assert issues == [
        f"{P}.gateway.dns_zone: is a private zone, seen only from the stack's network, but the "
        "gateway is public; publish a public gateway's name in your public DNS and remove "
        "dns_zone, or set gateway.public: false"
    ]
