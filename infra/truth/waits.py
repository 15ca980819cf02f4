"""Does every Kubernetes resource wait for what it needs? From the plan's dependency graph.

A resource that creates pods must depend (directly or through other resources) on a node
pool its pods fit; one that claims volumes, on the StorageClass it names and the driver
that provisions it. Otherwise `pulumi up` creates it while there is nowhere to run or
nothing to provision, and its await (or an atomic Helm release) fails against nodes that
are still coming up.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from infra.offline.record import PlanRecord, ResourceRecord
from infra.truth.pods import PodTemplate, chart_name, pod_templates
from infra.truth.pools import NodePool, node_pools

STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
# The resource that runs each provisioner's CSI driver, as the platforms create it.
DRIVERS = {
    # the EKS managed add-on (EKS user guide, "Amazon EBS CSI driver")
    "ebs.csi.aws.com": lambda r: (
        r.type == "aws:eks/addon:Addon" and r.inputs.get("addonName") == "aws-ebs-csi-driver"
    ),
    # a GKE cluster add-on (addons_config.gce_persistent_disk_csi_driver_config)
    "pd.csi.storage.gke.io": lambda r: r.type == "gcp:container/cluster:Cluster",
    # built into every AKS cluster (AKS docs, "CSI storage drivers on AKS")
    "disk.csi.azure.com": lambda r: r.type == "azure-native:containerservice:ManagedCluster",
}


@dataclass(frozen=True)
class Finding:
    urn: str
    name: str
    type: str
    problem: str
    fix: str

    def message(self) -> str:
        return f"{self.type} '{self.name}': {self.problem}; {self.fix}"


def closure(plan: PlanRecord, start: ResourceRecord) -> set[str]:
    """Every resource `start` waits for: its dependencies and its provider's, transitively."""
    by_urn = plan.index
    seen: set[str] = set()
    todo = [start.urn]
    while todo:
        resource = by_urn.get(todo.pop())
        if resource is None:
            continue
        edges: Iterable[str] = list(resource.dependencies)
        if resource.provider:
            # the plan records a provider by its URN; the engine's references add `::<id>`
            provider = resource.provider
            if provider not in by_urn:
                provider = provider.rsplit("::", 1)[0]
            edges = [*edges, provider]
        for urn in edges:
            if urn not in seen:
                seen.add(urn)
                todo.append(urn)
    return seen


def wait_findings(plan: PlanRecord) -> list[Finding]:
    pools = node_pools(plan)
    classes = {
        str(r.inputs.get("metadata", {}).get("name")): r for r in plan.of_type(STORAGE_CLASS)
    }
    findings: list[Finding] = []
    for template in pod_templates(plan):
        waits = closure(plan, template.resource)
        if not template.daemon:
            findings += _node_findings(template, pools, waits)
        for name in template.storage_classes:
            findings += _storage_findings(plan, template, classes.get(name), name, waits)
    return findings


def _finding(template: PodTemplate, problem: str, fix: str) -> Finding:
    r = template.resource
    return Finding(urn=r.urn, name=r.name, type=r.type, problem=problem, fix=fix)


def _node_findings(template: PodTemplate, pools: list[NodePool], waits: set[str]) -> list[Finding]:
    hosts = [pool for pool in pools if template.fits(pool)]
    if not hosts:
        return [
            _finding(
                template,
                "its pods fit no node pool ("
                + ("; ".join(f"{p.name}: {template.misfit(p)}" for p in pools) or "no pools")
                + ")",
                "place it with the cluster seam's cpu_node_selector()/gpu_node_selector() "
                "and their tolerations",
            )
        ]
    if any(pool.urn in waits for pool in hosts):
        return []
    return [
        _finding(
            template,
            f"it does not wait for the nodes its pods land on ({', '.join(p.name for p in hosts)})",
            "add the seam's cpu_nodes_ready()/gpu_nodes_ready(pool) to its depends_on",
        )
    ]


def _storage_findings(
    plan: PlanRecord,
    template: PodTemplate,
    storage_class: ResourceRecord | None,
    name: str,
    waits: set[str],
) -> list[Finding]:
    if storage_class is None:
        return []  # a class the cloud provides; nothing in the plan to wait for
    missing = [] if storage_class.urn in waits else [f"StorageClass '{name}'"]
    provisioner = str(storage_class.inputs.get("provisioner", ""))
    is_driver = DRIVERS.get(provisioner)
    drivers = [r for r in plan.resources if is_driver is not None and is_driver(r)]
    if drivers and not any(d.urn in waits for d in drivers):
        missing.append(f"the {provisioner} driver ({drivers[0].name})")
    if not missing:
        return []
    return [
        _finding(
            template,
            f"it claims volumes but does not wait for {' or '.join(missing)}",
            "add the seam's storage_ready() to its depends_on",
        )
    ]


def start_findings(plan: PlanRecord) -> list[Finding]:
    """Pools that would start more nodes than their maximum (GKE: counts per zone)."""
    return [
        Finding(
            urn=pool.urn,
            name=pool.name,
            type="node pool",
            problem=f"starts {pool.initial_nodes} nodes over {len(pool.zones) or 1} zones, "
            f"more than its maximum of {pool.max_nodes}",
            fix="start fewer nodes per zone, or pin the pool to fewer zones",
        )
        for pool in node_pools(plan)
        if pool.initial_nodes > pool.max_nodes
    ]


# The chart that installs each API group's CRDs, for the custom resources the stacks create
# (kube-prometheus-stack ships the Prometheus Operator's monitoring.coreos.com CRDs in its
# `charts/crds`; the keda chart ships keda.sh's; Envoy Gateway's chart the Gateway API's
# and its own in charts/gateway-helm/charts/crds/crds at v1.8.3; Envoy AI Gateway's in
# its CRDs chart, manifests/charts/ai-gateway-crds-helm/templates at v1.1.0). An OCI
# chart is named by its last part.
CRD_CHARTS = {
    "monitoring.coreos.com": "kube-prometheus-stack",
    "keda.sh": "keda",
    "gateway.networking.k8s.io": "gateway-helm",
    "gateway.envoyproxy.io": "gateway-helm",
    "aigateway.envoyproxy.io": "ai-gateway-crds-helm",
    # cert-manager's chart with crds.enabled (deploy/charts/cert-manager at v1.21.1)
    "cert-manager.io": "cert-manager",
}


def crd_findings(plan: PlanRecord) -> list[Finding]:
    """Custom resources created before the release that installs their CRD: the API server
    rejects them ("no matches for kind") until it exists."""
    releases: dict[str, list[str]] = {}
    for release in plan.of_type("kubernetes:helm.sh/v3:Release"):
        releases.setdefault(chart_name(release.inputs.get("chart")), []).append(release.urn)
    findings = []
    for resource in plan.resources:
        if not resource.type.startswith("kubernetes:"):
            continue
        group = resource.type.split(":")[1].split("/")[0]
        chart = CRD_CHARTS.get(group)
        if chart is None:
            continue
        installers = releases.get(chart, [])
        waits = closure(plan, resource)
        if installers and any(urn in waits for urn in installers):
            continue
        findings.append(
            Finding(
                urn=resource.urn,
                name=resource.name,
                type=resource.type,
                problem=(
                    f"it needs the {group} CRDs, and does not wait for the {chart} release "
                    "that installs them"
                    if installers
                    else f"it needs the {group} CRDs, and no {chart} release in the stack "
                    "installs them"
                ),
                fix=f"add the {chart} release to its depends_on (or do not create it "
                f"without {chart})",
            )
        )
    return findings


# Node pools whose autoscaler cannot choose the zone a new node comes up in: an EKS managed
# node group over several subnets is one Auto Scaling group, whose template node the Cluster
# Autoscaler gives only its first zone (cluster-autoscaler cloudprovider/aws/aws_manager.go;
# EKS user guide, "managed-node-groups": one group per zone for stateful workloads), and an
# AKS pool over several zones is one scale set (AKS docs, cluster autoscaler and zones: one
# pool per zone for zonal disks). A GKE pool is one instance group per zone, which its
# autoscaler grows by zone.
ZONE_BLIND_POOLS = ("aws:eks/nodeGroup:NodeGroup", "azure-native:containerservice:")


def zonal_volume_findings(plan: PlanRecord) -> list[Finding]:
    """Pods on zonal volumes that could land on a pool spanning zones: after a restart the
    pod must come back in its volume's zone, and such a pool cannot be grown there."""
    pools = node_pools(plan)
    by_urn = plan.index
    findings = []
    for template in pod_templates(plan):
        if template.daemon or not template.storage_classes:
            continue
        spanning = [
            pool
            for pool in pools
            if template.fits(pool)
            and len(pool.zones) > 1
            and by_urn.get(pool.urn) is not None
            and by_urn[pool.urn].type.startswith(ZONE_BLIND_POOLS)
        ]
        if spanning:
            names = ", ".join(f"{p.name} ({len(p.zones)} zones)" for p in spanning)
            findings.append(
                _finding(
                    template,
                    f"its pods keep zonal volumes but may land on {names}, whose autoscaler "
                    "cannot add a node in a given zone",
                    "run them on one node pool per zone (as the seam's CPU pool is), with "
                    "balance-similar-node-groups",
                )
            )
    return findings
