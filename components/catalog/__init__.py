"""GPU and instance-type facts per cloud, loaded once from instances.yaml."""

from functools import cache
from pathlib import Path

import yaml

from components.catalog.lookup import CatalogLookupError, gpus_on, resolve_instance
from components.catalog.schema import Catalog, GpuSpec, InstanceType

CATALOG_FILE = Path(__file__).with_name("instances.yaml")


@cache
def catalog() -> Catalog:
    return Catalog.model_validate(yaml.safe_load(CATALOG_FILE.read_text()))


__all__ = [
    "CATALOG_FILE",
    "Catalog",
    "CatalogLookupError",
    "GpuSpec",
    "InstanceType",
    "catalog",
    "gpus_on",
    "resolve_instance",
]
