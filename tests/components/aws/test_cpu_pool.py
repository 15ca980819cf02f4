"""The CPU pool's size from what the platform runs on it."""

from hypothesis import given
from hypothesis import strategies as st

from components.aws.cpu_pool import (
    CPU_INSTANCES,
    FILL,
    CpuPoolSize,
    CpuWorkloads,
    cpu_instance,
    free_per_node,
    holds,
    platform_pods,
    size_cpu_pool,
)
from components.sizing.allocatable import MIB, eks_kube_reserved_memory_bytes, stepped_cpu_reserve


def test_kube_reserved_follows_the_eks_ami_formulas():
    # amazon-eks-ami nodeadm/internal/kubelet/config.go: CPU 6% of the first core, 1% of the
    # second, 0.5% of cores 3-4, 0.25% above; memory 11 MiB per pod + 255 MiB
    assert stepped_cpu_reserve(2000) == 70
    assert stepped_cpu_reserve(4000) == 80
    assert stepped_cpu_reserve(8000) == 90
    assert stepped_cpu_reserve(16000) == 110
    # m6i.large: 3 ENIs × (10 − 1) + 2 pods
    assert eks_kube_reserved_memory_bytes(29) == 574 * MIB
    assert {i.name: i.max_pods for i in CPU_INSTANCES} == {
        "m6i.large": 29,  # nodeadm instance-info.jsonl: 3 ENIs, 10 addresses each
        "m6i.xlarge": 58,  # 4 × 15
        "m6i.2xlarge": 58,  # 4 × 15
        "m6i.4xlarge": 234,  # 8 × 30
    }


def test_an_m6i_large_cannot_hold_a_2_cpu_embedding_server():
    # 2 vCPUs less 70m kube-reserved less the DaemonSets: well under the 2 CPUs it requests
    large = cpu_instance("m6i.large")
    assert large is not None
    embeddings = next(
        p
        for p in platform_pods(CpuWorkloads(prod=True, embeddings_replicas=1))
        if p.name == "embeddings"
    )
    assert free_per_node(large)[0] < 2000
    assert not holds(large, embeddings)


def test_prod_gets_nodes_that_hold_its_embedding_servers_in_every_zone():
    pods = platform_pods(CpuWorkloads(prod=True, qdrant_replicas=3, embeddings_replicas=2))
    size = size_cpu_pool(pods, zones=3)
    assert size == CpuPoolSize("m6i.2xlarge", min_nodes=3, max_nodes=6, zones=3)
    assert size.per_zone() == [(1, 2), (1, 2), (1, 2)]


def test_dev_is_smaller_and_still_has_a_node_in_each_zone():
    pods = platform_pods(CpuWorkloads(prod=False, qdrant_replicas=1))
    size = size_cpu_pool(pods, zones=2)
    assert size == CpuPoolSize("m6i.xlarge", min_nodes=2, max_nodes=4, zones=2)


def test_config_wins_and_totals_are_spread_over_the_zones():
    pods = platform_pods(CpuWorkloads(prod=True, qdrant_replicas=3))
    size = size_cpu_pool(pods, 3, instance_type="m6i.4xlarge", min_nodes=4, max_nodes=7)
    assert size.instance_type == "m6i.4xlarge"
    assert size.per_zone() == [(2, 3), (1, 2), (1, 2)]
    unknown = size_cpu_pool(pods, 2, instance_type="c7i.large", min_nodes=2, max_nodes=2)
    assert unknown.per_zone() == [(1, 1), (1, 1)]


workloads = st.builds(
    CpuWorkloads,
    prod=st.booleans(),
    monitoring=st.booleans(),
    grafana=st.booleans(),
    qdrant_replicas=st.integers(0, 15),
    embeddings_replicas=st.integers(0, 20),
)


@given(workloads, st.integers(2, 6))
def test_the_sized_pool_holds_every_pod_and_all_of_them_at_its_minimum(load, zones):
    pods = platform_pods(load)
    size = size_cpu_pool(pods, zones)
    instance = cpu_instance(size.instance_type)
    assert instance is not None
    assert all(holds(instance, pod) for pod in pods)
    cpu, memory = free_per_node(instance)
    assert sum(p.cpu_millicores * p.replicas for p in pods) <= size.min_nodes * cpu * FILL
    assert sum(p.memory_mib * p.replicas for p in pods) <= size.min_nodes * memory * FILL
    per_zone = size.per_zone()
    assert len(per_zone) == zones
    assert sum(low for low, _ in per_zone) == size.min_nodes
    assert sum(high for _, high in per_zone) == size.max_nodes
    assert all(1 <= low <= high for low, high in per_zone)


@given(workloads, st.integers(2, 6), st.integers(0, 20), st.integers(1, 30))
def test_every_zone_group_may_grow_and_never_has_min_above_max(load, zones, low, extra):
    size = size_cpu_pool(platform_pods(load), zones, min_nodes=low, max_nodes=low + extra)
    for zone_min, zone_max in size.per_zone():
        assert zone_max >= 1
        assert zone_min <= zone_max
    assert sum(z for z, _ in size.per_zone()) == low
    assert sum(h for _, h in size.per_zone()) == max(zones, low + extra)
