"""One builder per cloud; each returns the same Platform shape."""

from collections.abc import Mapping

from components.enums import Cloud
from infra.config import StackConfig
from infra.platforms.aws import build_aws
from infra.platforms.azure import build_azure
from infra.platforms.base import Platform
from infra.platforms.gcp import build_gcp


def build_platform(config: StackConfig, tags: Mapping[str, str]) -> Platform:
    builders = {Cloud.AWS: build_aws, Cloud.GCP: build_gcp, Cloud.AZURE: build_azure}
    return builders[config.cloud](config, tags)


__all__ = ["Platform", "build_platform"]
