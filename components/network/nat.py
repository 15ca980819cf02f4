"""How many NAT gateways a NAT strategy gives on each cloud."""

from components.enums import Cloud, NatStrategy


def nat_gateway_count(cloud: Cloud, strategy: NatStrategy, zones: int) -> int:
    """AWS NAT gateways are zonal; GCP's Cloud NAT and Azure's NAT gateway (one per
    subnet) serve the whole region, so a strategy other than none gives one there."""
    if strategy is NatStrategy.NONE:
        return 0
    if cloud is Cloud.AWS and strategy is NatStrategy.ONE_PER_AZ:
        return zones
    return 1
