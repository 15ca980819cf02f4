"""`network`: the VPC / VNet the cluster lives in."""

from ipaddress import IPv4Network

from pydantic import Field

from components.enums import NatStrategy
from infra.config.base import Cidr, Section


class NetworkConfig(Section):
    cidr: Cidr = Field(
        IPv4Network("10.0.0.0/16"),
        description="Address space of the VPC / VNet, /16 to /24. AWS: a private (nodes, "
        "pods) and a public (load balancers) subnet per zone. GCP (/20 or larger): a node "
        "subnet with pod and service ranges. Azure: a node and an endpoint subnet.",
    )
    availability_zones: tuple[str, ...] | None = Field(
        None,
        description="Zones to spread over, e.g. `[us-east-1a, us-east-1b]` (AWS), "
        "`[us-central1-a]` (GCP), `['1', '2', '3']` (Azure). Default: the first "
        "`zone_count` zones the cloud reports as available. Pin them when a GPU type is "
        "offered only in some zones.",
    )
    zone_count: int = Field(
        3, ge=2, le=6, description="How many zones to use when `availability_zones` is unset."
    )
    nat: NatStrategy = Field(
        description="Egress for private subnets. On GCP (Cloud NAT) and Azure (one gateway "
        "per subnet) `single` and `one_per_az` both give one regional gateway."
    )
