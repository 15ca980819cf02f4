import math
from ipaddress import IPv4Network

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from components.network.cidr import SubnetLayoutError, split_subnets


def test_a_slash_16_over_three_zones_gives_private_18s_and_public_20s():
    layout = split_subnets(IPv4Network("10.0.0.0/16"), 3)
    assert [str(n) for n in layout.private] == ["10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18"]
    assert [str(n) for n in layout.public] == ["10.0.192.0/20", "10.0.208.0/20", "10.0.224.0/20"]


def test_two_zones_leave_a_quarter_free_for_growth():
    layout = split_subnets(IPv4Network("10.10.0.0/16"), 2)
    assert [str(n) for n in layout.private] == ["10.10.0.0/18", "10.10.64.0/18"]
    assert [str(n) for n in layout.public] == ["10.10.128.0/19", "10.10.160.0/19"]


def test_too_small_a_range_is_refused_with_the_reason():
    with pytest.raises(SubnetLayoutError, match="too small for 6 zones"):
        split_subnets(IPv4Network("10.0.0.0/25"), 6)


def test_zero_zones_is_refused():
    with pytest.raises(SubnetLayoutError):
        split_subnets(IPv4Network("10.0.0.0/16"), 0)


networks = st.builds(
    lambda address, prefix: IPv4Network((address, prefix), strict=False),
    st.integers(min_value=0, max_value=2**32 - 1),
    st.integers(min_value=8, max_value=24),
)


@given(cidr=networks, zones=st.integers(min_value=1, max_value=6))
def test_subnets_are_disjoint_inside_the_range_one_each_per_zone(cidr, zones):
    try:
        layout = split_subnets(cidr, zones)
    except SubnetLayoutError:
        # refused only when the public subnets would fall below /28
        assert cidr.prefixlen + math.ceil(math.log2(zones + 1)) + math.ceil(math.log2(zones)) > 28
        return
    subnets = [*layout.private, *layout.public]
    assert len(layout.private) == len(layout.public) == zones
    assert all(subnet.subnet_of(cidr) for subnet in subnets)
    for i, a in enumerate(subnets):
        for b in subnets[i + 1 :]:
            assert not a.overlaps(b)
    # nodes (and VPC-CNI pods) live in private subnets: they are never the smaller ones
    assert min(n.num_addresses for n in layout.private) >= max(
        n.num_addresses for n in layout.public
    )
    assert max(n.prefixlen for n in subnets) <= 28


@given(cidr=networks, zones=st.integers(min_value=1, max_value=6))
def test_layout_is_a_pure_function_of_its_inputs(cidr, zones):
    assume(cidr.prefixlen <= 22)
    assert split_subnets(cidr, zones) == split_subnets(cidr, zones)
