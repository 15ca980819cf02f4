"""GKE counts a node pool's initial nodes per zone (terraform-provider-google,
google_container_node_pool: "initial_node_count - ... In regional or multi-zonal clusters,
this is the number of nodes per zone"), while the autoscaler's total_min_node_count /
total_max_node_count bound the whole pool."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.gcp.node_counts import initial_nodes_per_zone, initial_pool_size


@pytest.mark.parametrize(
    ("min_nodes", "max_nodes", "zones", "per_zone"),
    [
        (1, 2, 3, 0),  # the shipped H100 pool: 1 per zone would start 3 nodes past max 2
        (1, 4, 3, 1),  # the shipped L4 pool: 3 nodes, within max 4
        (1, 3, 3, 1),  # the shipped system pool
        (0, 2, 1, 0),  # dev: scale from zero
        (2, 2, 1, 2),  # zonal: the whole minimum in the one zone
        (4, 10, 3, 2),  # ceil(4 / 3): starts 6, at least the minimum
        (5, 5, 3, 1),  # ceil would start 6 past max 5: the largest count within it
    ],
)
def test_initial_nodes_per_zone(min_nodes, max_nodes, zones, per_zone):
    assert initial_nodes_per_zone(min_nodes, max_nodes, zones) == per_zone


@given(
    min_nodes=st.integers(0, 1000),
    extra=st.integers(0, 1000),
    zones=st.integers(1, 8),
)
def test_a_pool_never_starts_more_nodes_than_its_max(min_nodes, extra, zones):
    max_nodes = min_nodes + extra
    started = initial_pool_size(min_nodes, max_nodes, zones)
    assert started <= max_nodes
    # and it reaches the minimum whenever a whole number of nodes per zone allows it
    if zones * -(-min_nodes // zones) <= max_nodes:
        assert started >= min_nodes
    # never more per zone than needed for the minimum
    assert started < min_nodes + zones


def test_bad_counts_are_refused():
    with pytest.raises(ValueError, match="at least one zone"):
        initial_nodes_per_zone(1, 2, 0)
    with pytest.raises(ValueError, match="min_nodes ≤ max_nodes"):
        initial_nodes_per_zone(3, 2, 1)
