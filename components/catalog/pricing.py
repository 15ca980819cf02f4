"""Schema and lookups of the price catalog (prices.yaml): every price traceable to a source."""

from functools import cache
from pathlib import Path
from typing import Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from components.enums import Cloud

PRICES_FILE = Path(__file__).with_name("prices.yaml")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    text: str
    as_of: str = Field(pattern=r"^\d{4}-\d{2}$")
    confidence: Literal["verified", "single-source", "approximate"]


class Price(_Strict):
    usd: float = Field(ge=0)
    source: str


class CloudPrices(_Strict):
    region: str
    spot_ratio: Price
    cluster_per_hour: Price
    nat_gateway_per_hour: Price
    nat_per_gb: Price
    nat_gb_per_month: Price
    load_balancer_per_hour: Price
    block_storage_per_gb_month: Price
    object_storage_per_gb_month: Price
    system_instance: str
    instances: dict[str, Price]

    def prices(self) -> list[Price]:
        named = [
            getattr(self, f)
            for f in type(self).model_fields
            if f not in {"region", "system_instance", "instances"}
        ]
        return [*named, *self.instances.values()]


class PriceCatalog(_Strict):
    sources: dict[str, Source]
    hours_per_month: float = Field(gt=0)
    clouds: dict[Cloud, CloudPrices]

    @model_validator(mode="after")
    def _traceable(self) -> Self:
        for cloud, prices in self.clouds.items():
            for price in prices.prices():
                if price.source not in self.sources:
                    raise ValueError(f"{cloud}: price names unknown source {price.source!r}")
            if prices.system_instance not in prices.instances:
                raise ValueError(f"{cloud}: no price for system instance {prices.system_instance}")
        return self

    def source_of(self, price: Price) -> Source:
        return self.sources[price.source]

    def instance(self, cloud: Cloud, name: str) -> Price:
        try:
            return self.clouds[cloud].instances[name]
        except KeyError:
            raise KeyError(
                f"no price for {cloud.value} instance type {name!r} in {PRICES_FILE.name}"
            ) from None


@cache
def price_catalog() -> PriceCatalog:
    return PriceCatalog.model_validate(yaml.safe_load(PRICES_FILE.read_text(encoding="utf-8")))
