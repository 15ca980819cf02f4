"""A KubernetesCluster for component tests: the seam and nothing of any cloud."""

from collections.abc import Iterable, Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from components.dns import DnsPublisher
from components.seam import GPU_TOLERATION, POOL_LABEL, ServiceAccountBinding, Toleration


class FakeCluster:
    def __init__(self, kubeconfig: pulumi.Input[str] = "apiVersion: v1\nkind: Config\n") -> None:
        self._provider = k8s.Provider("fake-k8s", kubeconfig=kubeconfig)
        self.bindings: list[tuple[str, str, str]] = []
        self.bucket_access: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        """Per binding name: the bucket keys it may read, and read and write."""
        # Stand-ins for what workloads wait for: URNs `fake:cluster:Ready::<name>`.
        self.cpu_nodes = pulumi.CustomResource("fake:cluster:Ready", "cpu-nodes")
        self.storage = pulumi.CustomResource("fake:cluster:Ready", "storage-driver")
        self.gpu_pools: dict[str, pulumi.Resource] = {}
        self.load_balancers = pulumi.CustomResource("fake:cluster:Ready", "load-balancers")

    @property
    def kubernetes_provider(self) -> k8s.Provider:
        return self._provider

    @property
    def oidc_issuer_url(self) -> pulumi.Output[str]:
        return pulumi.Output.from_input("https://issuer.example")

    @property
    def default_storage_class(self) -> str:
        return "fast-encrypted"

    def gpu_node_selector(self, pool: str) -> Mapping[str, str]:
        return {POOL_LABEL: pool}

    def gpu_tolerations(self, pool: str) -> list[Toleration]:
        return [GPU_TOLERATION]

    def cpu_node_selector(self) -> Mapping[str, str]:
        return {POOL_LABEL: "cpu"}

    def cpu_tolerations(self) -> list[Toleration]:
        return [Toleration(key="example.com/cpu", operator="Exists", effect="NoSchedule")]

    def cpu_nodes_ready(self) -> Sequence[pulumi.Resource]:
        return [self.cpu_nodes]

    def gpu_nodes_ready(self, pool: str) -> Sequence[pulumi.Resource]:
        if pool not in self.gpu_pools:
            self.gpu_pools[pool] = pulumi.CustomResource("fake:cluster:Ready", f"gpu-{pool}")
        return [self.gpu_pools[pool]]

    def storage_ready(self) -> Sequence[pulumi.Resource]:
        return [self.storage, self.cpu_nodes]

    def load_balancer_annotations(self, public: bool) -> Mapping[str, str]:
        return {"example.com/load-balancer": "public" if public else "internal"}

    def load_balancers_ready(self) -> Sequence[pulumi.Resource]:
        return [self.load_balancers, self.cpu_nodes]

    def dns_publisher(self) -> DnsPublisher | None:
        return None

    def bucket_name(self, key: str) -> pulumi.Output[str]:
        return pulumi.Output.from_input(f"platform-{key.replace('_', '-')}-bucket")

    def bind_workload_identity(
        self,
        name: str,
        *,
        namespace: str,
        service_account: str,
        read_buckets: Iterable[str] = (),
        write_buckets: Iterable[str] = (),
    ) -> ServiceAccountBinding:
        self.bindings.append((name, namespace, service_account))
        self.bucket_access[name] = (tuple(read_buckets), tuple(write_buckets))
        return ServiceAccountBinding(
            annotations={"example.com/identity": f"{namespace}/{service_account}"},
            labels={"example.com/use": "true"},
        )
