"""One builder per cloud; each returns the same Platform shape."""

import importlib
from collections.abc import Callable, Mapping

from components.enums import Cloud
from infra.config import StackConfig
from infra.platforms.base import Platform

# Loaded on demand: each cloud's SDK takes about a second to import, and a stack uses one.
BUILDERS = {
    Cloud.AWS: ("infra.platforms.aws", "build_aws"),
    Cloud.GCP: ("infra.platforms.gcp", "build_gcp"),
    Cloud.AZURE: ("infra.platforms.azure", "build_azure"),
}


def build_platform(config: StackConfig, tags: Mapping[str, str]) -> Platform:
    module, function = BUILDERS[config.cloud]
    builder: Callable[[StackConfig, Mapping[str, str]], Platform] = getattr(
        importlib.import_module(module), function
    )
    return builder(config, tags)


__all__ = ["Platform", "build_platform"]
