import pytest

from components.enums import Environment
from infra.config.cpu_pool import CPU_POOL_DEFAULTS, CpuPoolConfig, CpuPoolSize


@pytest.mark.parametrize(
    ("environment", "size"),
    [
        (Environment.DEV, CpuPoolSize("Standard_D4s_v5", 1, 2)),
        (Environment.STAGING, CpuPoolSize("Standard_D4s_v5", 1, 3)),
        (Environment.PROD, CpuPoolSize("Standard_D4s_v5", 2, 4)),
    ],
)
def test_the_environment_sizes_an_unset_cpu_pool(environment, size):
    assert CpuPoolConfig().size(environment) == size


def test_prod_defaults_hold_what_the_platform_runs_there():
    # Requests of the pods the prod stack puts on the CPU pool (workloads/*): Prometheus,
    # Grafana, the operator and kube-state-metrics, KEDA's three pods, 3 Qdrant and 2
    # embeddings replicas. A Standard_D4s_v5 keeps about 3.8 of its 4 vCPU after AKS's
    # kube-reserved (AKS docs, "node resource reservations"), less about 0.4 for DaemonSets.
    requested_cpu = 1 + 0.25 + 0.2 + 0.1 + 3 * 0.1 + 3 * 1 + 2 * 2
    size = CPU_POOL_DEFAULTS[Environment.PROD]
    zones = 3
    assert zones * size.min_nodes_per_zone * (3.8 - 0.4) >= 1.5 * requested_cpu


def test_set_values_win_including_a_zero_minimum():
    config = CpuPoolConfig(
        instance_type="Standard_D8s_v5", min_nodes_per_zone=0, max_nodes_per_zone=5
    )
    assert config.size(Environment.PROD) == CpuPoolSize("Standard_D8s_v5", 0, 5)
