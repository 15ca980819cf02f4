"""How many nodes a GKE node pool starts with, given that GKE counts them per zone."""

import math


def initial_nodes_per_zone(min_nodes: int, max_nodes: int, zones: int) -> int:
    """The node pool's `initial_node_count`: nodes created in EACH of its `zones` zones.

    terraform-provider-google, google_container_node_pool: "initial_node_count - The initial
    number of nodes for the pool. In regional or multi-zonal clusters, this is the number of
    nodes per zone." The autoscaling bounds the pool uses, `total_min_node_count` and
    `total_max_node_count`, are for the whole pool ("Total minimum/maximum number of nodes
    in the NodePool"), unlike `min_node_count` / `max_node_count` ("per zone").

    So a pool starts with `zones × n` nodes. This picks the smallest `n` that reaches
    `min_nodes`, unless that would start more than `max_nodes`; then the largest `n` that
    does not (0 when there are more zones than `max_nodes`): an H100 pool with min 1 and
    max 2 over 3 zones starts empty rather than with 3 nodes (24 H100s). GKE's cluster
    autoscaler then adds nodes, within the total bounds, for the pods that wait for them.
    """
    if zones < 1:
        raise ValueError(f"a node pool needs at least one zone (got {zones})")
    if not 0 <= min_nodes <= max_nodes:
        raise ValueError(f"need 0 ≤ min_nodes ≤ max_nodes (got {min_nodes}, {max_nodes})")
    return min(math.ceil(min_nodes / zones), max_nodes // zones)


def initial_pool_size(min_nodes: int, max_nodes: int, zones: int) -> int:
    """Nodes the pool has right after creation, over all its zones."""
    return zones * initial_nodes_per_zone(min_nodes, max_nodes, zones)
