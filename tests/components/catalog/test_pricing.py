import pytest

from components.catalog import catalog
from components.catalog.pricing import price_catalog
from components.enums import Cloud


@pytest.mark.parametrize("cloud", list(Cloud))
def test_every_gpu_instance_type_in_the_catalog_has_a_price(cloud):
    prices = price_catalog().clouds[cloud].instances
    missing = [t.name for t in catalog().instances[cloud] if t.name not in prices]
    assert missing == []


@pytest.mark.parametrize("cloud", list(Cloud))
def test_every_price_is_traceable_to_a_dated_source(cloud):
    prices = price_catalog()
    for price in prices.clouds[cloud].prices():
        source = prices.source_of(price)
        assert source.text and source.as_of and source.confidence


def test_system_instance_types_are_priced():
    for prices in price_catalog().clouds.values():
        assert prices.system_instance in prices.instances


def test_an_unpriced_instance_type_names_the_file():
    with pytest.raises(KeyError, match=r"prices\.yaml"):
        price_catalog().instance(Cloud.AWS, "x1e.32xlarge")


def test_gpu_facts_are_physically_plausible():
    for spec in catalog().gpus.values():
        assert 16 <= spec.memory_gib <= 192
        assert 200 <= spec.memory_bandwidth_gbps <= 8000
