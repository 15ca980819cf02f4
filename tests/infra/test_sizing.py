"""How long a replica's first start takes, and how long Pulumi waits for it."""

from hypothesis import given
from hypothesis import strategies as st

from infra.sizing import (
    GPU_NODE_SCALE_UP_S,
    MARGIN,
    load_estimate,
    model_load_estimates,
)
from tests.harness import load, minimal_platform

GIB = 1024**3


def test_hub_weights_are_downloaded_then_read_back_from_disk():
    estimate = load_estimate(100 * GIB, from_bucket=False, new_node=False)
    # 102400 MiB at the Hub's 100 MiB/s, then at the disk's 125 MiB/s
    assert estimate.download_s == 1024
    assert estimate.load_s == 820
    assert estimate.node_scale_up_s == 0
    assert estimate.container_s == estimate.download_s + estimate.load_s + estimate.warmup_s


def test_bucket_weights_stream_with_no_download_to_disk():
    estimate = load_estimate(100 * GIB, from_bucket=True, new_node=False)
    assert estimate.download_s == 0
    assert estimate.load_s == 205


@given(st.integers(min_value=GIB, max_value=2000 * GIB), st.booleans(), st.booleans())
def test_pulumi_waits_longer_than_the_estimate_in_whole_minutes(weights, bucket, new_node):
    estimate = load_estimate(weights, from_bucket=bucket, new_node=new_node)
    assert estimate.await_timeout_s >= estimate.total_s * MARGIN
    assert estimate.await_timeout_s % 60 == 0
    assert estimate.startup_minutes * 60 >= estimate.container_s
    # the startup probe never outlasts the wait
    assert estimate.startup_minutes * 60 <= estimate.await_timeout_s


def test_a_pool_at_zero_nodes_adds_the_scale_up():
    config = load(minimal_platform())  # dev: the pool's min_nodes is 0, the model's min 1
    (estimate,) = model_load_estimates(
        config.cloud, list(config.models), list(config.gpu_pools)
    ).values()
    assert estimate.node_scale_up_s == GPU_NODE_SCALE_UP_S


def test_a_pool_whose_minimum_holds_the_replicas_needs_no_new_node():
    platform = minimal_platform(environment="prod", cluster={})
    platform["gpu_pools"][0].update(gpus_per_node=4, min_nodes=1)
    config = load(platform)
    (estimate,) = model_load_estimates(
        config.cloud, list(config.models), list(config.gpu_pools)
    ).values()
    assert estimate.node_scale_up_s == 0
    # ...until other replicas on the pool take its GPUs
    (crowded,) = model_load_estimates(
        config.cloud, list(config.models), list(config.gpu_pools), other_gpus={"standard": 3}
    ).values()
    assert crowded.node_scale_up_s == GPU_NODE_SCALE_UP_S
