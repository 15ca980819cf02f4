"""The waits check: on small plans made for it, and on every shipped stack."""

from dataclasses import replace
from typing import Any

import pytest

from infra.offline.record import PlanRecord, ResourceOptions, ResourceRecord
from infra.truth.pods import pod_templates
from infra.truth.pools import node_pools
from infra.truth.waits import (
    closure,
    crd_findings,
    start_findings,
    wait_findings,
    zonal_volume_findings,
)
from tests.harness import SHIPPED_STACKS

P = "urn:pulumi:t::p::"


def record(
    type_: str, name: str, inputs: dict[str, Any], deps: tuple[str, ...] = ()
) -> ResourceRecord:
    return ResourceRecord(
        urn=f"{P}{type_}::{name}",
        type=type_,
        name=name,
        parent=None,
        provider=None,
        custom=True,
        inputs=inputs,
        dependencies=list(deps),
        property_dependencies={},
        options=ResourceOptions(),
    )


def plan(*resources: ResourceRecord) -> PlanRecord:
    return PlanRecord("p", "t", "aws", "dev", "us-east-1", list(resources), {})


NG = "aws:eks/nodeGroup:NodeGroup"
SYSTEM = record(
    NG,
    "system-ng",
    {
        "labels": {"llm-infra.io/pool": "system"},
        "taints": [],
        "scalingConfig": {"minSize": 1, "maxSize": 3, "desiredSize": 1},
    },
)
GPU = record(
    NG,
    "gpu-ng",
    {
        "labels": {"llm-infra.io/pool": "gpu", "llm-infra.io/gpu": "l4"},
        "taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}],
        "scalingConfig": {"minSize": 0, "maxSize": 2, "desiredSize": 0},
    },
)
CLASS = record(
    "kubernetes:storage.k8s.io/v1:StorageClass",
    "gp3",
    {"metadata": {"name": "gp3-encrypted"}, "provisioner": "ebs.csi.aws.com"},
)
DRIVER = record("aws:eks/addon:Addon", "ebs-csi", {"addonName": "aws-ebs-csi-driver"})


def deployment(name: str, pod: dict[str, Any], deps: tuple[str, ...] = ()) -> ResourceRecord:
    return record(
        "kubernetes:apps/v1:Deployment", name, {"spec": {"template": {"spec": pod}}}, deps
    )


def deployment_of(name: str) -> ResourceRecord:
    return deployment(name, {})


def statefulset(name: str, deps: tuple[str, ...]) -> ResourceRecord:
    spec = {
        "template": {"spec": {"nodeSelector": {"llm-infra.io/pool": "system"}}},
        "volumeClaimTemplates": [{"spec": {"storageClassName": "gp3-encrypted"}}],
    }
    return record("kubernetes:apps/v1:StatefulSet", name, {"spec": spec}, deps)


def test_a_cpu_pod_on_a_cluster_of_tainted_pools_only_fits_nowhere():
    findings = wait_findings(plan(GPU, deployment("api", {}, (GPU.urn,))))
    (finding,) = findings
    assert finding.name == "api"
    assert "fit no node pool" in finding.problem and "gpu-ng" in finding.problem


def test_a_pod_that_does_not_wait_for_its_pool_names_the_pool_and_the_fix():
    pod = {"nodeSelector": {"llm-infra.io/pool": "system"}}
    (finding,) = wait_findings(plan(SYSTEM, GPU, deployment("api", pod)))
    assert "does not wait for the nodes" in finding.problem and "system-ng" in finding.problem
    assert "cpu_nodes_ready" in finding.fix
    assert wait_findings(plan(SYSTEM, GPU, deployment("api", pod, (SYSTEM.urn,)))) == []


def test_waiting_on_another_pool_does_not_count():
    pod = {
        "nodeSelector": {"llm-infra.io/pool": "gpu"},
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
    }
    (finding,) = wait_findings(plan(SYSTEM, GPU, deployment("llm", pod, (SYSTEM.urn,))))
    assert "gpu-ng" in finding.problem
    assert wait_findings(plan(SYSTEM, GPU, deployment("llm", pod, (GPU.urn,)))) == []


def test_an_untolerated_taint_keeps_a_pod_off_the_pool():
    pod = {"nodeSelector": {"llm-infra.io/pool": "gpu"}}
    (finding,) = wait_findings(plan(SYSTEM, GPU, deployment("llm", pod, (GPU.urn,))))
    assert "fit no node pool" in finding.problem


def test_a_volume_user_must_wait_for_the_storage_class_and_its_driver():
    nodes_only = statefulset("db", (SYSTEM.urn,))
    (finding,) = wait_findings(plan(SYSTEM, CLASS, DRIVER, nodes_only))
    assert "StorageClass 'gp3-encrypted'" in finding.problem
    assert "ebs.csi.aws.com driver" in finding.problem
    assert "storage_ready" in finding.fix
    complete = statefulset("db", (SYSTEM.urn, CLASS.urn, DRIVER.urn))
    assert wait_findings(plan(SYSTEM, CLASS, DRIVER, complete)) == []


def test_waits_are_transitive_through_dependencies():
    middle = record("kubernetes:core/v1:Secret", "s", {}, (SYSTEM.urn,))
    pod = {"nodeSelector": {"llm-infra.io/pool": "system"}}
    api = deployment("api", pod, (middle.urn,))
    the_plan = plan(SYSTEM, middle, api)
    assert SYSTEM.urn in closure(the_plan, api)
    assert wait_findings(the_plan) == []


def test_daemonsets_need_no_node_before_they_are_created():
    release = record(
        "kubernetes:helm.sh/v3:Release", "plugin", {"chart": "nvidia-device-plugin", "values": {}}
    )
    assert pod_templates(plan(release))[0].daemon
    assert wait_findings(plan(GPU, release)) == []


def test_helm_values_place_a_release_and_name_its_claims():
    values = {
        "prometheus": {
            "prometheusSpec": {
                "nodeSelector": {"llm-infra.io/pool": "system"},
                "storageSpec": {
                    "volumeClaimTemplate": {"spec": {"storageClassName": "gp3-encrypted"}}
                },
            }
        }
    }
    release = record(
        "kubernetes:helm.sh/v3:Release",
        "stack",
        {"chart": "kube-prometheus-stack", "values": values},
    )
    (template,) = pod_templates(plan(release))
    assert template.node_selector == {"llm-infra.io/pool": "system"}
    assert template.storage_classes == ("gp3-encrypted",)


def test_a_pool_that_starts_more_nodes_than_its_max_is_found():
    # google_container_node_pool: initial_node_count is per zone (terraform-provider-google
    # docs, "initial_node_count"); total_max_node_count bounds the whole pool.
    pool = record(
        "gcp:container/nodePool:NodePool",
        "h100",
        {
            "initialNodeCount": 1,
            "nodeLocations": ["a", "b", "c"],
            "autoscaling": {"totalMinNodeCount": 1, "totalMaxNodeCount": 2},
            "nodeConfig": {"labels": {}},
        },
    )
    (gke,) = node_pools(plan(pool))
    assert (gke.initial_nodes, gke.max_nodes) == (3, 2)
    (finding,) = start_findings(plan(pool))
    assert "starts 3 nodes over 3 zones" in finding.problem


def test_aks_spot_pools_carry_the_spot_taint():
    # AKS docs, "Add an Azure Spot node pool": kubernetes.azure.com/scalesetpriority=spot:NoSchedule
    pool = record(
        "azure-native:containerservice:AgentPool",
        "spot",
        {
            "scaleSetPriority": "Spot",
            "nodeTaints": [],
            "count": 0,
            "enableAutoScaling": True,
            "minCount": 0,
            "maxCount": 2,
        },
    )
    (aks,) = node_pools(plan(pool))
    assert [t.key for t in aks.taints] == ["kubernetes.azure.com/scalesetpriority"]


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_shipped_stacks_have_pools_and_pods(shipped_plan, stack):
    the_plan = shipped_plan(stack)
    assert node_pools(the_plan), "no node pools found"
    assert len(pod_templates(the_plan)) >= 5


def test_custom_resources_wait_for_the_release_that_installs_their_crds():
    release = record(
        "kubernetes:helm.sh/v3:Release", "monitoring-stack", {"chart": "kube-prometheus-stack"}
    )
    monitor_type = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
    early = record(monitor_type, "early", {})
    late = record(monitor_type, "late", {}, (release.urn,))
    (finding,) = crd_findings(plan(release, early, late))
    assert finding.name == "early" and "kube-prometheus-stack" in finding.fix
    (orphan,) = crd_findings(plan(record(monitor_type, "orphan", {})))
    assert "no kube-prometheus-stack release" in orphan.problem


def test_zonal_volumes_need_a_pool_per_zone_on_eks():
    # cluster-autoscaler cloudprovider/aws/aws_manager.go: a multi-zone group's template
    # node carries its first zone only, so a pod pinned to another zone by its volume never
    # gets a node; EKS user guide, "managed-node-groups": one group per zone
    inputs = dict(SYSTEM.inputs)
    spanning = record(NG, "system-ng", {**inputs, "subnetIds": ["subnet-a", "subnet-b"]})
    db = statefulset("db", (spanning.urn, CLASS.urn, DRIVER.urn))
    (finding,) = zonal_volume_findings(plan(spanning, CLASS, DRIVER, db))
    assert finding.name == "db" and "system-ng (2 zones)" in finding.problem
    assert "one node pool per zone" in finding.fix
    per_zone = [
        record(NG, f"system-{zone}", {**inputs, "subnetIds": [f"subnet-{zone}"]}) for zone in "ab"
    ]
    db = statefulset("db", (per_zone[0].urn, CLASS.urn, DRIVER.urn))
    assert zonal_volume_findings(plan(*per_zone, CLASS, DRIVER, db)) == []


def test_a_pod_that_fits_no_pool_is_told_why_for_each_pool():
    (finding,) = wait_findings(plan(GPU, deployment("api", {}, (GPU.urn,))))
    assert (
        "gpu-ng: does not tolerate the taint nvidia.com/gpu=present:NoSchedule" in finding.problem
    )
    pod = {"nodeSelector": {"llm-infra.io/pool": "system"}, "tolerations": [{"operator": "Exists"}]}
    (finding,) = wait_findings(plan(GPU, deployment("api", pod, (GPU.urn,))))
    assert "selects llm-infra.io/pool=system, the nodes have gpu" in finding.problem


def test_a_resource_waits_for_what_its_provider_waits_for():
    # the engine creates a resource only once its provider is configured, and the Kubernetes
    # provider is configured from the cluster's kubeconfig: the cluster is waited for
    cluster = record("aws:eks/cluster:Cluster", "eks", {})
    provider = record("pulumi:providers:kubernetes", "k8s", {}, (cluster.urn,))
    deployment = replace(deployment_of("api"), provider=provider.urn)
    assert cluster.urn in closure(plan(cluster, provider, deployment), deployment)
    referenced = replace(deployment, provider=f"{provider.urn}::04da6b54")
    assert cluster.urn in closure(plan(cluster, provider, referenced), referenced)


@pytest.mark.parametrize(
    ("kind", "chart"),
    [
        ("kubernetes:gateway.networking.k8s.io/v1:Gateway", "gateway-helm"),
        ("kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy", "gateway-helm"),
        ("kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute", "ai-gateway-crds-helm"),
    ],
)
def test_the_gateways_resources_wait_for_the_oci_chart_that_installs_their_crds(kind, chart):
    release = record(
        "kubernetes:helm.sh/v3:Release", "crds", {"chart": f"oci://docker.io/envoyproxy/{chart}"}
    )
    early = record(kind, "early", {})
    late = record(kind, "late", {}, (release.urn,))
    (finding,) = crd_findings(plan(release, early, late))
    assert finding.name == "early" and chart in finding.fix


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_the_ai_gateway_crds_chart_makes_no_pods(shipped_plan, stack):
    """Its templates are CRDs only (manifests/charts/ai-gateway-crds-helm/templates at v1.1.0),
    so it has nothing to place, and nothing waits on nodes for it."""
    the_plan = shipped_plan(stack)
    releases = [t.resource.name for t in pod_templates(the_plan)]
    assert "gateway-ai-gateway-crds" not in releases
    assert {"gateway-envoy-gateway", "gateway-ai-gateway"} <= set(releases)
