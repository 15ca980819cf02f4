"""Split a VPC / VNet range into per-zone private and public subnets.

Layout: the range is cut into 2^k equal blocks, the smallest k with room for one
block per zone plus one spare. Each zone gets a whole block as its private subnet
(nodes, and pods where the CNI gives them VPC addresses, so these must be large);
the spare block is cut again into one public subnet per zone (load balancers and
NAT gateways only, so these stay small). Blocks left over are free for growth.

A /16 over 3 zones gives three private /18s (16,379 usable addresses each) and
three public /20s carved from the fourth /18.
"""

import math
from dataclasses import dataclass
from ipaddress import IPv4Network

SMALLEST_SUBNET_PREFIX = 28  # AWS and Azure refuse anything smaller than a /28


class SubnetLayoutError(ValueError):
    """The range cannot hold the subnets asked for; the message says why."""


@dataclass(frozen=True)
class SubnetLayout:
    private: tuple[IPv4Network, ...]
    public: tuple[IPv4Network, ...]


def split_subnets(cidr: IPv4Network, zone_count: int) -> SubnetLayout:
    if zone_count < 1:
        raise SubnetLayoutError(f"zone count must be at least 1, got {zone_count}")
    private_prefix = cidr.prefixlen + math.ceil(math.log2(zone_count + 1))
    public_prefix = private_prefix + math.ceil(math.log2(zone_count))
    if public_prefix > SMALLEST_SUBNET_PREFIX:
        raise SubnetLayoutError(
            f"{cidr} is too small for {zone_count} zones: public subnets would be "
            f"/{public_prefix}, smaller than /{SMALLEST_SUBNET_PREFIX}"
        )
    blocks = cidr.subnets(new_prefix=private_prefix)
    private = tuple(next(blocks) for _ in range(zone_count))
    spare = next(blocks)
    public = tuple(spare.subnets(new_prefix=public_prefix))[:zone_count]
    return SubnetLayout(private=private, public=public)


@dataclass(frozen=True)
class ClusterRanges:
    """A regional node subnet with secondary ranges for pods and services (GKE)."""

    nodes: IPv4Network
    services: IPv4Network
    pods: IPv4Network


LARGEST_GKE_PREFIX = 20  # below this the pod range holds too few nodes to be useful


def split_cluster_ranges(cidr: IPv4Network) -> ClusterRanges:
    """Nodes and services take a sixteenth each from the front; pods take the back half.

    A /16 gives nodes /20 (4,092 nodes), services /20 (4,096 ClusterIPs) and pods /17
    (128 nodes at GKE's default /24 per node for 110 pods).
    """
    if cidr.prefixlen > LARGEST_GKE_PREFIX:
        raise SubnetLayoutError(
            f"{cidr} is too small for a cluster network: use /{LARGEST_GKE_PREFIX} or larger"
        )
    sixteenths = list(cidr.subnets(prefixlen_diff=4))
    return ClusterRanges(
        nodes=sixteenths[0], services=sixteenths[1], pods=list(cidr.subnets(prefixlen_diff=1))[1]
    )
