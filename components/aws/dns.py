"""A Route 53 private hosted zone on the VPC, and an IRSA role for external-dns that may
change records in that zone only.

Facts (kubernetes-sigs/external-dns@v0.21.0, the app of chart 1.21.1):
- provider `aws`; `--aws-zone-type=private` and `--zone-id-filter` keep it to this zone
  (pkg/apis/externaldns/types.go:587,594; provider/aws/aws.go:421-436);
- it lists the account's zones on every sync (`route53:ListHostedZones`, which has no
  resource scope: aws.go:406), and lists and changes the records of the zones it keeps
  (docs/tutorials/aws.md:12-38, scoped to one zone as aws.md:79-82 says);
  `ListTagsForResources` is called only with `--aws-zone-tags` (aws.go:438-454), so it is
  not granted;
- IRSA by the ServiceAccount annotation `eks.amazonaws.com/role-arn` (aws.md:396-399).
Route 53: a private zone needs at least one VPC association (pulumi_aws route53.Zone).
"""

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws.cluster import Cluster
from components.aws.identity import chart_service_account_role
from components.dns import NAMESPACE, SERVICE_ACCOUNT, DnsPublisher


def publisher_policy(zone_arn: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RecordsOfTheGatewayZone",
                "Effect": "Allow",
                "Action": ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
                "Resource": [zone_arn],
            },
            {
                "Sid": "FindTheZone",
                "Effect": "Allow",
                "Action": ["route53:ListHostedZones"],
                "Resource": ["*"],
            },
        ],
    }


class PrivateDnsZone(pulumi.ComponentResource):
    """Creates: the private hosted zone (`-zone`) associated with the VPC, and an IRSA role
    for `envoy-gateway-system/external-dns` (`-identity`, `-policy`) that may change only
    its records. `publisher` is what external-dns is installed from."""

    def __init__(
        self,
        name: str,
        *,
        domain: str,
        vpc_id: pulumi.Input[str],
        region: str,
        cluster: Cluster,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:aws:PrivateDnsZone", name, None, opts)
        zone = aws.route53.Zone(
            f"{name}-zone",
            name=domain,
            comment=f"llm-infra: the gateway's name in {domain}, written by external-dns",
            vpcs=[{"vpc_id": vpc_id, "vpc_region": region}],
            # its records are external-dns's, rewritten from the Service on every sync
            force_destroy=True,
            tags={**tags, "Name": name},
            opts=pulumi.ResourceOptions(parent=self),
        )
        role_arn = chart_service_account_role(
            name,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            policy=zone.arn.apply(lambda arn: json.dumps(publisher_policy(arn))),
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_issuer_url=cluster.oidc_issuer_url,
            tags=tags,
            parent=self,
        )
        self.zone_id = zone.zone_id
        self.publisher = DnsPublisher(
            domain=domain,
            zone_id=zone.zone_id,
            provider="aws",
            args={"aws-zone-type": "private", "zone-id-filter": zone.zone_id},
            # the SDK finds no region from a pod's IMDS behind the hop limit
            env={"AWS_DEFAULT_REGION": region},
            service_account_annotations={"eks.amazonaws.com/role-arn": role_arn},
        )
        self.register_outputs({"zone_id": zone.zone_id, "role_arn": role_arn})
