"""The GCP platform: network (GKE, node pools, identity and buckets build on it)."""

from collections.abc import Mapping

from components.gcp.network import Network, NetworkArgs
from infra.config import StackConfig
from infra.platforms.base import Platform


def build_gcp(config: StackConfig, tags: Mapping[str, str]) -> Platform:
    network = Network(
        "network",
        NetworkArgs(
            region=config.region,
            cidr=config.network.cidr,
            nat=config.network.nat,
            flow_logs=config.is_prod,
        ),
    )
    return Platform(
        outputs={
            "network": {
                "network_id": network.network_id,
                "subnet_id": network.subnet_id,
            }
        }
    )
