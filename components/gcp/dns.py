"""A Cloud DNS private zone on the stack's VPC, and a Google service account for
external-dns that may change records in that zone only.

Facts (kubernetes-sigs/external-dns@v0.21.0, the app of chart 1.21.1):
- provider `google` with `--google-project`, `--google-zone-visibility=private` and
  `--zone-id-filter` (pkg/apis/externaldns/types.go:587-591; provider/google/google.go:180);
- it lists the project's zones on every sync (`ManagedZones.List`: google.go:195), so it
  needs `roles/dns.reader` on the project besides `roles/dns.admin` on its zone, as its
  GKE tutorial grants (docs/tutorials/gke.md:220-235). The reader role also reads the other
  zones' records of the project: the trade-off external-dns documents;
- Workload Identity through a Google service account (the KSA annotation
  `iam.gke.io/gcp-service-account`), as every other workload here.
Cloud DNS: a private zone names the networks that see it (`private_visibility_config`),
and its `dns_name` ends with a dot (pulumi_gcp dns.ManagedZone).
"""

import pulumi
import pulumi_gcp as gcp

from components.dns import NAMESPACE, SERVICE_ACCOUNT, DnsPublisher
from components.gcp.cluster import Cluster

ZONE_ROLE = "roles/dns.admin"
LIST_ROLE = "roles/dns.reader"


class PrivateDnsZone(pulumi.ComponentResource):
    """Creates: the private managed zone (`-zone`) visible to the VPC; a Google service
    account for `envoy-gateway-system/external-dns` (`<cluster>-external-dns`) with
    `roles/dns.admin` on the zone alone (`-zone-admin`) and `roles/dns.reader` on the
    project (`-zone-list`). `publisher` is what external-dns is installed from."""

    def __init__(
        self,
        name: str,
        *,
        domain: str,
        network_id: pulumi.Input[str],
        project: pulumi.Input[str],
        cluster: Cluster,
        labels: dict[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:gcp:PrivateDnsZone", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        zone = gcp.dns.ManagedZone(
            f"{name}-zone",
            name=name,
            dns_name=f"{domain}.",
            description=f"llm-infra: the gateway's name in {domain}, written by external-dns",
            visibility="private",
            private_visibility_config={"networks": [{"network_url": network_id}]},
            # its records are external-dns's, rewritten from the Service on every sync
            force_destroy=True,
            labels=labels,
            project=project,
            opts=child,
        )
        identity = cluster.workload_identity(
            "external-dns", namespace=NAMESPACE, service_account=SERVICE_ACCOUNT
        )
        admin = gcp.dns.DnsManagedZoneIamMember(
            f"{name}-zone-admin",
            managed_zone=zone.name,
            project=project,
            role=ZONE_ROLE,
            member=identity.member,
            opts=child,
        )
        lister = gcp.projects.IAMMember(
            f"{name}-zone-list", project=project, role=LIST_ROLE, member=identity.member, opts=child
        )
        # the account's email, once it may write: external-dns's first sync then succeeds
        email = pulumi.Output.all(identity.email, admin.id, lister.id).apply(lambda v: str(v[0]))
        self.publisher = DnsPublisher(
            domain=domain,
            zone_id=zone.name,
            provider="google",
            args={
                "google-project": project,
                "google-zone-visibility": "private",
                "zone-id-filter": zone.name,
            },
            service_account_annotations={"iam.gke.io/gcp-service-account": email},
        )
        self.register_outputs({"zone": zone.name, "email": identity.email})
