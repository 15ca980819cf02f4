"""The AWS platform: network (cluster, node groups, identity and buckets build on it)."""

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from components.aws.network import Network, NetworkArgs
from infra.config import StackConfig
from infra.platforms.base import Platform


def build_aws(config: StackConfig, tags: Mapping[str, str]) -> Platform:
    network = Network(
        "network",
        NetworkArgs(
            cidr=config.network.cidr,
            zones=_zones(config),
            nat=config.network.nat,
            tags=tags,
        ),
    )
    return Platform(
        outputs={
            "network": {
                "vpc_id": network.vpc_id,
                "private_subnet_ids": network.private_subnet_ids,
                "public_subnet_ids": network.public_subnet_ids,
            }
        }
    )


def _zones(config: StackConfig) -> Sequence[pulumi.Input[str]]:
    if config.network.availability_zones:
        return list(config.network.availability_zones)
    available = aws.get_availability_zones_output(state="available")
    return [available.names[i] for i in range(config.network.zone_count)]
