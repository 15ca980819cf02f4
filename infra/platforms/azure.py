"""The Azure platform: resource group and network (AKS, node pools, identity and storage
build on them)."""

from collections.abc import Mapping

import pulumi_azure_native as azure

from components.azure.network import Network, NetworkArgs
from infra.config import StackConfig
from infra.platforms.base import Platform


def build_azure(config: StackConfig, tags: Mapping[str, str]) -> Platform:
    group = azure.resources.ResourceGroup("resource-group", location=config.region, tags=dict(tags))
    network = Network(
        "network",
        NetworkArgs(
            resource_group_name=group.name,
            location=config.region,
            cidr=config.network.cidr,
            nat=config.network.nat,
            tags=tags,
        ),
    )
    return Platform(
        outputs={
            "resource_group": group.name,
            "network": {
                "vnet_id": network.vnet_id,
                "node_subnet_id": network.node_subnet_id,
            },
        }
    )
