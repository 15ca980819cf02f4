"""An Azure private DNS zone linked to the stack's VNet, in a resource group of its own, and
a workload identity for external-dns that may change records in that zone only.

Facts (kubernetes-sigs/external-dns@v0.21.0, the app of chart 1.21.1):
- provider `azure-private-dns` (pkg/apis/externaldns/constants.go:31); it always reads a
  config file, `/etc/kubernetes/azure.json` (types.go:263,610; provider/azure/config.go:
  38-56), here with `useWorkloadIdentityExtension` so it signs in as the pod's federated
  identity (config.go:158-169; docs/tutorials/azure.md:42-67);
- roles: Private DNS Zone Contributor on the zone, and Reader on the zone's resource
  group, where it lists zones (docs/tutorials/azure-private-dns.md:69,100-105;
  provider/azure/azure_private_dns.go:213). The group holds only the zone, so Reader sees
  nothing else;
- the pod label `azure.workload.identity/use: "true"` makes the AKS webhook inject the
  token (docs/tutorials/azure.md:426-450,480-481).
Role id: Private DNS Zone Contributor b12aa53e-6015-4669-85d0-8515ebb3ae7f
(iann0036/iam-dataset azure/built-in-roles-raw.json:3827). Private DNS zones and their
links are global resources: location `Global` in the provider's own example at API
2024-06-01 (pulumi.com/registry/packages/azure-native/api-docs/privatedns/virtualnetworklink;
ARM compares locations without case).
"""

import json
from collections.abc import Mapping

import pulumi
from pulumi_azure_native import privatedns, resources

from components.azure.cluster import Cluster
from components.azure.roles import READER, role_assignment
from components.dns import NAMESPACE, SERVICE_ACCOUNT, DnsPublisher

PRIVATE_DNS_ZONE_CONTRIBUTOR = "b12aa53e-6015-4669-85d0-8515ebb3ae7f"
CONFIG_FILE = "azure.json"


class PrivateDnsZone(pulumi.ComponentResource):
    """Creates: a resource group for the zone (`-group`); the private zone (`-zone`) and its
    link to the VNet (`-link`, no auto-registration); a workload identity for
    `envoy-gateway-system/external-dns` (`<cluster>-external-dns`) with Private DNS Zone
    Contributor on the zone (`-zone-contributor`) and Reader on the group (`-group-reader`).
    `publisher` is what external-dns is installed from."""

    def __init__(
        self,
        name: str,
        *,
        domain: str,
        vnet_id: pulumi.Input[str],
        location: str,
        subscription_id: pulumi.Input[str],
        tenant_id: pulumi.Input[str],
        cluster: Cluster,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:azure:PrivateDnsZone", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        group = resources.ResourceGroup(
            f"{name}-group", location=location, tags=dict(tags), opts=child
        )
        zone = privatedns.PrivateZone(
            f"{name}-zone",
            resource_group_name=group.name,
            private_zone_name=domain,
            location="global",
            tags=dict(tags),
            opts=child,
        )
        privatedns.VirtualNetworkLink(
            f"{name}-link",
            resource_group_name=group.name,
            private_zone_name=zone.name,
            virtual_network={"id": vnet_id},
            registration_enabled=False,
            location="global",
            tags=dict(tags),
            opts=child,
        )
        identity = cluster.workload_identity(
            "external-dns", namespace=NAMESPACE, service_account=SERVICE_ACCOUNT
        )
        grants = [
            role_assignment(
                f"{name}-zone-contributor",
                role=PRIVATE_DNS_ZONE_CONTRIBUTOR,
                principal_id=identity.principal_id,
                scope=zone.id,
                subscription_id=subscription_id,
                opts=child,
            ),
            role_assignment(
                f"{name}-group-reader",
                role=READER,
                principal_id=identity.principal_id,
                scope=group.id,
                subscription_id=subscription_id,
                opts=child,
            ),
        ]
        # the identity's client id once it may write: external-dns's first sync succeeds
        client_id = pulumi.Output.all(identity.client_id, *[g.id for g in grants]).apply(
            lambda v: str(v[0])
        )
        config = pulumi.Output.all(tenant_id, subscription_id, group.name).apply(
            lambda v: json.dumps(
                {
                    "tenantId": v[0],
                    "subscriptionId": v[1],
                    "resourceGroup": v[2],
                    "useWorkloadIdentityExtension": True,
                },
                sort_keys=True,
            )
        )
        self.publisher = DnsPublisher(
            domain=domain,
            zone_id=zone.id,
            provider="azure-private-dns",
            service_account_annotations={"azure.workload.identity/client-id": client_id},
            service_account_labels=dict(identity.labels),
            pod_labels=dict(identity.labels),
            config_files={CONFIG_FILE: config},
        )
        self.register_outputs({"zone_id": zone.id, "client_id": identity.client_id})
