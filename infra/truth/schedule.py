"""Will every pod schedule? The plan's pods placed on its pools' nodes, as a scheduler and
a node autoscaler would, at the autoscaling maximum and at the minimum.

Each node offers its cloud's allocatable (`allocatable.py`) less the DaemonSets the stack
runs on it. Replicas are placed largest first (GPUs, then memory, then CPU) on the first
node of a pool they fit, opening nodes up to the pool's maximum. Findings:

- a pod no node of any pool it may land on can hold (CPU, memory, GPUs or pod slots), with
  the shortfall against the largest such node: it stays Pending whatever the autoscaler does;
- pools that cannot hold their pods at maximum replicas within their maximum nodes;
- GPUs left idle on a node because the pods that hold its other GPUs took its CPU or memory
  (advisory);
- at minimum replicas, the nodes the first deploy waits for beyond those the pools start
  with (advisory: the autoscaler adds them, which takes minutes per GPU node), and
  workloads whose await timeout is shorter than that wait (mandatory: `pulumi up` would
  fail while the node is still coming).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from components.enums import Cloud
from components.sizing.allocatable import GIB, Allocatable, allocatable, node_shape
from components.sizing.timings import GPU_NODE_SCALE_UP_S, IMAGE_PULL_S
from infra.offline.record import PlanRecord, ResourceOptions, ResourceRecord
from infra.truth.pods import PodTemplate
from infra.truth.pools import AKS_AGENT_POOL, AKS_CLUSTER, EKS_NODE_GROUP, NodePool, node_pools
from infra.truth.requests import PodGroup, Request, pod_groups

POOL_CLOUDS = {EKS_NODE_GROUP: Cloud.AWS, AKS_AGENT_POOL: Cloud.AZURE, AKS_CLUSTER: Cloud.AZURE}
# The cloud's own kube-system Deployments, which land on the untainted (CPU) nodes beside
# the stack's pods: (name, replicas, millicores, MiB per replica). EKS: CoreDNS 100m / 70Mi
# (the add-on's manifest) and the EBS CSI controller 10m / 40Mi (aws-ebs-csi-driver chart
# `controller.resources`); GKE: kube-dns 260m / 110Mi (kubedns, dnsmasq and sidecar
# containers) and a planning allowance for metrics-server, the DNS autoscaler and
# konnectivity agents. AKS runs its own on the System pool, which they tolerate.
MANAGED_DEPLOYMENTS = {
    Cloud.AWS: (("coredns", 2, 100, 70), ("ebs-csi-controller", 2, 10, 40)),
    Cloud.GCP: (("kube-dns", 2, 260, 110), ("gke-system-allowance", 1, 300, 400)),
    Cloud.AZURE: (),
}


@dataclass(frozen=True)
class Problem:
    urn: str
    subject: str
    message: str
    mandatory: bool


@dataclass
class _Node:
    free: Request
    pods: int
    gpus: int
    holders: list[PodGroup] = field(default_factory=list)


@dataclass
class _Pool:
    pool: NodePool
    per_node: Allocatable
    daemons: Request
    daemon_pods: int
    nodes: list[_Node] = field(default_factory=list)
    overflow: int = 0
    """Nodes beyond the maximum the pods would need."""
    late: list[PodGroup] = field(default_factory=list)
    """Pods placed on nodes the pool adds after it starts (at minimum replicas)."""

    def empty_node(self) -> _Node:
        a = self.per_node
        free = Request(
            a.millicores - self.daemons.millicores,
            a.memory_bytes - self.daemons.memory_bytes,
            a.gpus,
        )
        return _Node(free=free, pods=a.pods - self.daemon_pods, gpus=a.gpus)


def _cloud(plan: PlanRecord, pool: NodePool) -> Cloud:
    resource = plan.index.get(pool.urn)
    if resource is not None and resource.type in POOL_CLOUDS:
        return POOL_CLOUDS[resource.type]
    return Cloud.GCP


def _fits(request: Request, node: _Node) -> bool:
    free = node.free
    return (
        request.millicores <= free.millicores
        and request.memory_bytes <= free.memory_bytes
        and request.gpus <= free.gpus
        and node.pods >= 1
    )


def _take(node: _Node, group: PodGroup) -> None:
    r = group.request
    node.free = Request(
        node.free.millicores - r.millicores,
        node.free.memory_bytes - r.memory_bytes,
        node.free.gpus - r.gpus,
    )
    node.pods -= 1
    node.holders.append(group)


def _pools(plan: PlanRecord, groups: Sequence[PodGroup]) -> tuple[list[_Pool], list[Problem]]:
    pools, problems = [], []
    for pool in node_pools(plan):
        cloud = _cloud(plan, pool)
        shape = node_shape(cloud, pool.instance_type)
        if shape is None:
            problems.append(
                Problem(
                    pool.urn,
                    pool.name,
                    f"node pool '{pool.name}': instance type '{pool.instance_type}' has no "
                    "known shape, so its pods were not placed; add it to the catalog",
                    mandatory=False,
                )
            )
            continue
        daemons = [g for g in groups if g.template.daemon and g.template.fits(pool)]
        total = Request()
        for group in daemons:
            total = total + group.request
        pools.append(_Pool(pool, allocatable(cloud, shape), total, len(daemons)))
    return pools, problems


def _describe(request: Request) -> str:
    parts = [f"{request.millicores / 1000:g} CPU", f"{request.memory_bytes / GIB:.2f} GiB"]
    if request.gpus:
        parts.append(f"{request.gpus} GPU")
    return ", ".join(parts)


def _shortfall(request: Request, node: _Node) -> str:
    short = []
    if request.millicores > node.free.millicores:
        short.append(f"{(request.millicores - node.free.millicores) / 1000:g} CPU")
    if request.memory_bytes > node.free.memory_bytes:
        short.append(f"{(request.memory_bytes - node.free.memory_bytes) / GIB:.2f} GiB memory")
    if request.gpus > node.free.gpus:
        short.append(f"{request.gpus - node.free.gpus} GPU")
    if node.pods < 1:
        short.append("pod slots")
    return " and ".join(short)


def _start(pool: NodePool) -> int:
    """The nodes a pool is created with: a first deploy starts from them. The autoscaler
    adds nodes only for pending pods, also below a pool's minimum (GKE's start counts can
    be below it: components/gcp/node_counts.py)."""
    return min(pool.initial_nodes, pool.max_nodes)


def _place(pools: list[_Pool], groups: Sequence[PodGroup], at_max: bool) -> list[Problem]:
    problems: list[Problem] = []
    replicas = [
        g
        for g in sorted(
            (g for g in groups if not g.template.daemon),
            key=lambda g: (-g.request.gpus, -g.request.memory_bytes, -g.request.millicores),
        )
        for _ in range(g.max_replicas if at_max else g.min_replicas)
    ]
    too_big: set[str] = set()
    for pool in pools:
        pool.overflow, pool.late = 0, []
        start = _start(pool.pool)
        pool.nodes = [] if at_max else [pool.empty_node() for _ in range(start)]
    for group in replicas:
        hosts = [p for p in pools if group.template.fits(p.pool)]
        if not hosts:
            continue  # the waits check reports pods that fit no pool
        if not any(_fits(group.request, p.empty_node()) for p in hosts):
            if group.component not in too_big:
                too_big.add(group.component)
                largest = max(hosts, key=lambda p: p.per_node.memory_bytes + p.per_node.millicores)
                empty = largest.empty_node()
                problems.append(
                    Problem(
                        group.template.resource.urn,
                        group.component,
                        f"'{group.component}' requests {_describe(group.request)} per pod, "
                        f"more than a node of pool '{largest.pool.name}' "
                        f"({largest.pool.instance_type}) offers after reservations and "
                        f"DaemonSets ({_describe(empty.free)}): short by "
                        f"{_shortfall(group.request, empty)}; lower its requests or use a "
                        "larger instance type for the pool",
                        mandatory=True,
                    )
                )
            continue
        placed = False
        for pool in hosts:
            for node in pool.nodes:
                if _fits(group.request, node):
                    _take(node, group)
                    placed = True
                    break
            if placed:
                break
        if placed:
            continue
        for pool in hosts:
            node = pool.empty_node()
            if _fits(group.request, node) and len(pool.nodes) < pool.pool.max_nodes:
                pool.nodes.append(node)
                if not at_max:
                    pool.late.append(group)
                _take(node, group)
                placed = True
                break
        if not placed:
            host = next(p for p in hosts if _fits(group.request, p.empty_node()))
            host.overflow += 1
    return problems


def _managed(plan: PlanRecord) -> list[PodGroup]:
    pools = node_pools(plan)
    if not pools:
        return []
    cloud = _cloud(plan, pools[0])
    groups = []
    for name, replicas, cpu, mib in MANAGED_DEPLOYMENTS[cloud]:
        record = ResourceRecord(
            urn=f"managed:{cloud.value}:kube-system/{name}",
            type="kubernetes:apps/v1:Deployment",
            name=f"kube-system/{name}",
            parent=None,
            provider=None,
            custom=True,
            inputs={},
            dependencies=[],
            property_dependencies={},
            options=ResourceOptions(),
        )
        template = PodTemplate(record, {}, (), (), daemon=False)
        request = Request(cpu, mib * 2**20, 0)
        groups.append(PodGroup(template, f"kube-system/{name}", request, replicas, replicas))
    return groups


def schedule_findings(plan: PlanRecord) -> list[Problem]:
    groups = [*pod_groups(plan), *_managed(plan)]
    pools, problems = _pools(plan, groups)
    problems += _place(pools, groups, at_max=True)
    for pool in pools:
        if pool.overflow:
            problems.append(
                Problem(
                    pool.pool.urn,
                    pool.pool.name,
                    f"node pool '{pool.pool.name}' ({pool.pool.instance_type}) cannot hold "
                    "its pods at maximum replicas: they need about "
                    f"{pool.pool.max_nodes + pool.overflow} nodes and it may grow to "
                    f"{pool.pool.max_nodes}; raise its max_nodes or "
                    "lower the workloads' max_replicas",
                    mandatory=True,
                )
            )
        problems += _stranded(pool)
    _place(pools, groups, at_max=False)
    problems += _await_problems(pools)
    for pool in pools:
        start = _start(pool.pool)
        waiting = len(pool.nodes) - start
        if waiting > 0:
            problems.append(
                Problem(
                    pool.pool.urn,
                    pool.pool.name,
                    f"node pool '{pool.pool.name}': the first deploy waits for {waiting} "
                    f"node(s) to scale up beyond the {start} it starts with",
                    mandatory=False,
                )
            )
    return problems


def _stranded(pool: _Pool) -> list[Problem]:
    idle = sum(
        node.free.gpus
        for node in pool.nodes
        if node.free.gpus and node.holders and not any(_fits(h.request, node) for h in node.holders)
    )
    if not idle:
        return []
    return [
        Problem(
            pool.pool.urn,
            pool.pool.name,
            f"node pool '{pool.pool.name}': {idle} GPU(s) stay idle at maximum replicas because "
            "the pods holding the other GPUs of their nodes took the CPU or memory; lower "
            "those pods' CPU or memory requests",
            mandatory=False,
        )
    ]


# pulumi-kubernetes' await defaults at v4.32: Deployments and StatefulSets 10 minutes
# (provider/pkg/await/deployment.go DefaultDeploymentTimeoutMins, statefulset.go
# DefaultStatefulSetTimeoutMins), Helm releases 300 s (provider/pkg/provider/
# helm_release.go defaultTimeoutSeconds); `pulumi.com/timeoutSeconds` and
# `pulumi.com/skipAwait` annotations override a workload's (pkg/metadata/overrides.go).
DEFAULT_AWAIT_S = {
    "kubernetes:apps/v1:Deployment": 600,
    "kubernetes:apps/v1:StatefulSet": 600,
    "kubernetes:helm.sh/v3:Release": 300,
}
# A CPU node boots and joins in a few minutes: a planning figure, like the GPU node's.
CPU_NODE_SCALE_UP_S = 300


def await_timeout_s(resource_type: str, inputs: dict[str, Any]) -> int | None:
    """How long `pulumi up` waits for the resource to be ready; None when it does not."""
    if resource_type == "kubernetes:helm.sh/v3:Release":
        if inputs.get("skipAwait"):
            return None
        return int(inputs.get("timeout") or DEFAULT_AWAIT_S[resource_type])
    if resource_type not in DEFAULT_AWAIT_S:
        return None
    annotations = (inputs.get("metadata") or {}).get("annotations") or {}
    if str(annotations.get("pulumi.com/skipAwait", "")).lower() == "true":
        return None
    if "pulumi.com/timeoutSeconds" in annotations:
        return int(annotations["pulumi.com/timeoutSeconds"])
    return DEFAULT_AWAIT_S[resource_type]


def _await_problems(pools: list[_Pool]) -> list[Problem]:
    problems, seen = [], set()
    for pool in pools:
        scale_up = GPU_NODE_SCALE_UP_S if pool.per_node.gpus else CPU_NODE_SCALE_UP_S
        needed = scale_up + IMAGE_PULL_S
        for group in pool.late:
            resource = group.template.resource
            if resource.urn in seen:
                continue
            seen.add(resource.urn)
            timeout = await_timeout_s(resource.type, resource.inputs)
            if timeout is None or timeout >= needed:
                continue
            problems.append(
                Problem(
                    resource.urn,
                    group.component,
                    f"'{group.component}' waits for a new node of pool '{pool.pool.name}' on "
                    f"the first deploy (about {scale_up // 60} min, plus {IMAGE_PULL_S // 60} "
                    f"min to pull its image) but pulumi up awaits it only {timeout} s; set "
                    "its await timeout (pulumi.com/timeoutSeconds, or the release's timeout) "
                    f"to at least {needed} s, or start the pool with more nodes",
                    mandatory=True,
                )
            )
    return problems
