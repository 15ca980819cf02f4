"""The cloud-neutral seam between a managed cluster and the workloads that run on it.

Every cloud's cluster component implements `KubernetesCluster`; workloads accept only
this protocol, so they never import a cloud SDK and move between clouds unchanged.
Workloads name the platform's buckets by logical key (`MODELS_BUCKET`,
`VECTOR_SNAPSHOTS_BUCKET`), never by a cloud's bucket or container.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol, TypeVar, runtime_checkable

import pulumi
import pulumi_kubernetes as k8s

from components.dns import DnsPublisher

# The GPU taint every cloud's GPU pools carry; GPU workloads tolerate it.
GPU_TAINT_KEY = "nvidia.com/gpu"
GPU_TAINT_VALUE = "present"
GPU_TAINT_EFFECT = "NoSchedule"
# Labels on every GPU node: which GPU it has and which pool it belongs to.
GPU_LABEL = "llm-infra.io/gpu"
POOL_LABEL = "llm-infra.io/pool"
# The pool that runs the platform's own CPU workloads (operators, monitoring, Qdrant, CPU
# embeddings) unless a cloud names another (AKS: a User pool beside the tainted System pool).
DEFAULT_CPU_POOL = "system"
# How long a Helm release on the CPU pool waits for its pods: one may wait for the pool to
# grow a node on the first deploy (the deploy-truth simulation's estimate: about 5 minutes
# for the node, plus its image pulls), beyond Helm's 300 s default.
CPU_POOL_RELEASE_TIMEOUT = 900


@dataclass(frozen=True)
class Toleration:
    """A Kubernetes toleration, as plain values (render with `as_dict`)."""

    key: str
    operator: str
    effect: str
    value: str | None = None

    def as_dict(self) -> dict[str, str]:
        rendered = {"key": self.key, "operator": self.operator, "effect": self.effect}
        if self.value is not None:
            rendered["value"] = self.value
        return rendered


GPU_TOLERATION = Toleration(
    key=GPU_TAINT_KEY, operator="Equal", value=GPU_TAINT_VALUE, effect=GPU_TAINT_EFFECT
)

# Logical keys of the platform's buckets (S3 buckets, GCS buckets, Azure blob containers).
MODELS_BUCKET = "models"
VECTOR_SNAPSHOTS_BUCKET = "vector_snapshots"


class NamedBucket(Protocol):
    """A platform bucket as the seam sees it: its cloud's name for it (an S3 or GCS bucket
    name, an Azure blob container's name)."""

    @property
    def bucket_name(self) -> pulumi.Output[str]: ...


BucketT = TypeVar("BucketT", bound=NamedBucket)
BucketT_contra = TypeVar("BucketT_contra", contravariant=True)


def bucket_grants(
    buckets: Mapping[str, BucketT],
    *,
    read: Iterable[str] = (),
    write: Iterable[str] = (),
    identity: str = "",
) -> list[tuple[BucketT, bool]]:
    """The grants an identity asking to `read` and `write` (read and write) these bucket keys
    needs, as `(bucket, write)` pairs in a stable order: one per bucket, read-write when a key
    is in both. Raises `ValueError` naming an unknown key and the known ones."""
    read_keys, write_keys = list(dict.fromkeys(read)), list(dict.fromkeys(write))
    unknown = [key for key in [*read_keys, *write_keys] if key not in buckets]
    if unknown:
        known = ", ".join(sorted(buckets)) or "none"
        who = f" for workload identity '{identity}'" if identity else ""
        raise ValueError(
            f"unknown bucket '{unknown[0]}'{who}; this platform's buckets are: {known}"
        )
    grants = [(buckets[key], True) for key in write_keys]
    grants += [(buckets[key], False) for key in read_keys if key not in write_keys]
    return grants


class GrantingIdentity(Protocol[BucketT_contra]):
    """A cloud's workload identity: it can be granted a bucket of that cloud."""

    def grant_read(self, bucket: BucketT_contra) -> Any: ...

    def grant_read_write(self, bucket: BucketT_contra) -> Any: ...


IdentityT = TypeVar("IdentityT", bound=GrantingIdentity[Any])


def granted_identity(
    buckets: Mapping[str, BucketT],
    make_identity: Callable[[], IdentityT],
    *,
    read: Iterable[str] = (),
    write: Iterable[str] = (),
    identity: str = "",
) -> tuple[IdentityT, list[Any]]:
    """The identity `make_identity` creates, granted the bucket keys asked for, and the
    grant resources. Unknown keys fail before any resource is created."""
    grants = bucket_grants(buckets, read=read, write=write, identity=identity)
    created = make_identity()
    made = [
        created.grant_read_write(bucket) if writes else created.grant_read(bucket)
        for bucket, writes in grants
    ]
    return created, made


def after(value: pulumi.Input[str], resources: Sequence[pulumi.Resource]) -> pulumi.Output[str]:
    """`value`, known only once `resources` exist: a resource taking it as an input is
    created after them (Pulumi orders resources by the dependencies of their inputs)."""
    ids = [r.id for r in resources if isinstance(r, pulumi.CustomResource)]
    return pulumi.Output.all(value, *ids).apply(lambda found: str(found[0]))


@dataclass
class Readiness:
    """What Kubernetes resources wait for, by what they use: resources whose creation
    means the CPU nodes are up, the storage driver can provision volumes, and each GPU
    pool's nodes (and the device plugin that advertises their GPUs) exist."""

    cpu_nodes: list[pulumi.Resource] = field(default_factory=list)
    storage: list[pulumi.Resource] = field(default_factory=list)
    gpu_pools: dict[str, list[pulumi.Resource]] = field(default_factory=dict)
    load_balancers: list[pulumi.Resource] = field(default_factory=list)
    dns: DnsPublisher | None = None


@dataclass(frozen=True)
class ServiceAccountBinding:
    """What a workload puts on its ServiceAccount to act as a cloud identity."""

    annotations: Mapping[str, pulumi.Input[str]]
    labels: Mapping[str, str]


@runtime_checkable
class KubernetesCluster(Protocol):
    """A managed Kubernetes cluster as workloads see it, on any cloud."""

    @property
    def kubernetes_provider(self) -> k8s.Provider:
        """Provider for every Kubernetes resource on this cluster."""
        ...

    @property
    def oidc_issuer_url(self) -> pulumi.Output[str]:
        """The cluster's service-account token issuer (`https://…`)."""
        ...

    @property
    def default_storage_class(self) -> str:
        """Name of the encrypted default StorageClass."""
        ...

    def gpu_node_selector(self, pool: str) -> Mapping[str, str]:
        """Node labels that select the GPU nodes of `pool`."""
        ...

    def cpu_node_selector(self) -> Mapping[str, str]:
        """Node labels that select the CPU pool the platform's own CPU workloads run on."""
        ...

    def cpu_tolerations(self) -> list[Toleration]:
        """Tolerations a pod needs to land on the CPU pool."""
        ...

    def cpu_nodes_ready(self) -> Sequence[pulumi.Resource]:
        """What a pod on the CPU pool waits for: the CPU pool's nodes."""
        ...

    def gpu_nodes_ready(self, pool: str) -> Sequence[pulumi.Resource]:
        """What a pod on GPU pool `pool` waits for: that pool's nodes and what advertises
        their GPUs. Raises `ValueError` for a pool the cluster does not have."""
        ...

    def storage_ready(self) -> Sequence[pulumi.Resource]:
        """What a volume claim waits for: the storage driver that provisions it (and the
        CPU nodes its controller runs on)."""
        ...

    def gpu_tolerations(self, pool: str) -> list[Toleration]:
        """Tolerations a pod needs to land on the GPU nodes of `pool`."""
        ...

    def load_balancer_annotations(self, public: bool) -> Mapping[str, str]:
        """Annotations of a LoadBalancer Service for this cloud's load balancer: internal
        (reached from the cluster's network) unless `public`."""
        ...

    def load_balancers_ready(self) -> Sequence[pulumi.Resource]:
        """What a LoadBalancer Service waits for: the controller that builds its load
        balancer, where the platform installs one (AWS), and the CPU nodes it runs on."""
        ...

    def dns_publisher(self) -> DnsPublisher | None:
        """The private zone the gateway's name is published in, and how external-dns
        writes it; None when the stack has no DNS zone."""
        ...

    def bucket_name(self, key: str) -> pulumi.Output[str]:
        """The cloud's name of the platform bucket `key` (`MODELS_BUCKET`, …): what a
        workload's storage client addresses. A key the platform has no bucket for raises
        `ValueError` naming it and the known keys."""
        ...

    def bind_workload_identity(
        self,
        name: str,
        *,
        namespace: str,
        service_account: str,
        read_buckets: Iterable[str] = (),
        write_buckets: Iterable[str] = (),
    ) -> ServiceAccountBinding:
        """A cloud identity usable only by `namespace`/`service_account`; returns what to put
        on that ServiceAccount. `name` names the identity's resources.

        The identity may read the objects of each bucket in `read_buckets` and read, write
        and delete those of each bucket in `write_buckets`, by logical key (`MODELS_BUCKET`,
        `VECTOR_SNAPSHOTS_BUCKET`), and nothing else: each grant is scoped to that bucket
        (and, where the cloud has one, its key). A key the platform has no bucket for
        raises `ValueError` naming it and the known keys. The annotations are known only
        once the grants exist, so a ServiceAccount carrying them, and the pods using it,
        are created after the identity can read its buckets."""
        ...


class SeamCluster(Generic[BucketT]):
    """The parts of `KubernetesCluster` every cloud's cluster shares. A cluster sets
    `STORAGE_CLASS`, `_k8s_provider`, `_issuer`, `_component_name` and `_buckets`, and
    defines `workload_identity(name, *, namespace, service_account)` returning its cloud's
    identity (which has `annotations` and the `grant_*` methods)."""

    STORAGE_CLASS: ClassVar[str]
    _k8s_provider: k8s.Provider
    _issuer: pulumi.Output[str]
    _component_name: str
    _buckets: dict[str, BucketT]
    workload_identity: Callable[..., Any]
    CPU_POOL: ClassVar[str] = DEFAULT_CPU_POOL
    CPU_TOLERATIONS: ClassVar[tuple[Toleration, ...]] = ()
    INTERNAL_LB_ANNOTATIONS: ClassVar[Mapping[str, str]]
    PUBLIC_LB_ANNOTATIONS: ClassVar[Mapping[str, str]] = {}
    _readiness: Readiness

    @property
    def kubernetes_provider(self) -> k8s.Provider:
        return self._k8s_provider

    @property
    def oidc_issuer_url(self) -> pulumi.Output[str]:
        return self._issuer

    @property
    def default_storage_class(self) -> str:
        return self.STORAGE_CLASS

    def gpu_node_selector(self, pool: str) -> Mapping[str, str]:
        return {POOL_LABEL: pool}

    def gpu_tolerations(self, pool: str) -> list[Toleration]:
        return [GPU_TOLERATION]

    def cpu_node_selector(self) -> Mapping[str, str]:
        return {POOL_LABEL: self.CPU_POOL}

    def cpu_tolerations(self) -> list[Toleration]:
        return list(self.CPU_TOLERATIONS)

    def _ready(self) -> Readiness:
        if not hasattr(self, "_readiness"):
            self._readiness = Readiness()
        return self._readiness

    def cpu_nodes_ready(self) -> Sequence[pulumi.Resource]:
        return list(self._ready().cpu_nodes)

    def gpu_nodes_ready(self, pool: str) -> Sequence[pulumi.Resource]:
        pools = self._ready().gpu_pools
        if pool not in pools:
            known = ", ".join(sorted(pools)) or "none"
            raise ValueError(f"cluster has no GPU pool '{pool}' (GPU pools: {known})")
        return list(pools[pool])

    def storage_ready(self) -> Sequence[pulumi.Resource]:
        return [*self._ready().storage, *self._ready().cpu_nodes]

    def load_balancer_annotations(self, public: bool) -> Mapping[str, str]:
        return dict(self.PUBLIC_LB_ANNOTATIONS if public else self.INTERNAL_LB_ANNOTATIONS)

    def load_balancers_ready(self) -> Sequence[pulumi.Resource]:
        return [*self._ready().load_balancers, *self._ready().cpu_nodes]

    def attach_load_balancer_controller(self, *ready: pulumi.Resource) -> None:
        """Resources whose creation means LoadBalancer Services get their load balancer."""
        self._ready().load_balancers.extend(ready)

    def dns_publisher(self) -> DnsPublisher | None:
        return self._ready().dns

    def attach_dns_publisher(self, publisher: DnsPublisher) -> None:
        """The private zone the platform built for the gateway's name (components.dns)."""
        self._ready().dns = publisher

    def attach_cpu_nodes(self, *ready: pulumi.Resource) -> None:
        """Resources whose creation means the CPU pool has nodes (its node groups)."""
        self._ready().cpu_nodes.extend(ready)

    def attach_gpu_pool(self, pool: str, *ready: pulumi.Resource) -> None:
        """Resources whose creation means GPU pool `pool` can run pods: its node groups
        and what advertises their GPUs (the device plugin, where the platform installs it).
        A pool with no resources yet is still a known pool."""
        self._ready().gpu_pools.setdefault(pool, []).extend(ready)

    def attach_storage_driver(self, *ready: pulumi.Resource) -> None:
        """Resources whose creation means volume claims can be provisioned."""
        self._ready().storage.extend(ready)

    def bind_workload_identity(
        self,
        name: str,
        *,
        namespace: str,
        service_account: str,
        read_buckets: Iterable[str] = (),
        write_buckets: Iterable[str] = (),
    ) -> ServiceAccountBinding:
        identity, grants = granted_identity(
            self._buckets,
            lambda: self.workload_identity(
                name, namespace=namespace, service_account=service_account
            ),
            read=read_buckets,
            write=write_buckets,
            identity=f"{self._component_name}-{name}",
        )
        # only identities that need pod labels (AKS's token injection) carry `labels`
        return ServiceAccountBinding(
            annotations={k: after(v, grants) for k, v in identity.annotations.items()},
            labels=getattr(identity, "labels", {}),
        )

    def bucket_name(self, key: str) -> pulumi.Output[str]:
        if key not in self._buckets:
            known = ", ".join(sorted(self._buckets)) or "none"
            raise ValueError(f"unknown bucket '{key}'; this platform's buckets are: {known}")
        return self._buckets[key].bucket_name

    def attach_buckets(self, buckets: Mapping[str, BucketT]) -> None:
        """The platform's buckets by logical key (`models`, `vector_snapshots`), which
        `bind_workload_identity` grants access to by key."""
        self._buckets.update(buckets)
