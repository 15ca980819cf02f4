"""The deploy-truth pack, started as the Pulumi CLI starts it and driven over the analyzer
protocol: purpose-made broken stacks fail with the resource and the fix; a sound one passes."""

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.offline.convert import UNKNOWN
from infra.policy.runner import started_pack
from tests.harness import ROOT
from tests.policies.conftest import STACK, Pack, resource
from workloads.images import contract

NG = "aws:eks/nodeGroup:NodeGroup"


@pytest.fixture(scope="module")
def deploy() -> Iterator[Pack]:
    with started_pack(Path(ROOT / "policies" / "deploy")) as stub:
        yield Pack(stub)


def urn(type_: str, name: str) -> str:
    return f"{STACK}{type_}::{name}"


SYSTEM = resource(
    NG,
    {
        "labels": {"llm-infra.io/pool": "system"},
        "scalingConfig": {"minSize": 1, "maxSize": 3, "desiredSize": 1},
    },
    name="system-ng",
)
GPU_ONLY = resource(
    NG,
    {
        "labels": {"llm-infra.io/pool": "gpu"},
        "taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}],
        "scalingConfig": {"minSize": 0, "maxSize": 2, "desiredSize": 0},
    },
    name="gpu-ng",
)
CLASS = resource(
    "kubernetes:storage.k8s.io/v1:StorageClass",
    {"metadata": {"name": "gp3-encrypted"}, "provisioner": "ebs.csi.aws.com"},
    name="gp3",
)
DRIVER = resource("aws:eks/addon:Addon", {"addonName": "aws-ebs-csi-driver"}, name="ebs-csi")


def workload(kind: str, pod: dict[str, Any], deps: list[str], **spec: Any) -> dict[str, Any]:
    type_ = f"kubernetes:apps/v1:{kind}"
    return resource(
        type_, {"spec": {"template": {"spec": pod}, **spec}}, name="app", dependencies=deps
    )


def test_a_cpu_pod_on_a_cluster_of_tainted_pools_fails_naming_it_and_the_fix(deploy):
    found = deploy.violations([GPU_ONLY, workload("Deployment", {}, [GPU_ONLY["urn"]])])
    (message,) = found["deploy-pods-fit-a-pool"]
    assert "'app'" in message and "fit no node pool" in message and "cpu_node_selector" in message


def test_a_request_for_a_pool_it_does_not_wait_for_fails(deploy):
    pod = {"nodeSelector": {"llm-infra.io/pool": "system"}}
    found = deploy.violations([SYSTEM, GPU_ONLY, workload("Deployment", pod, [])])
    (message,) = found["deploy-waits-for-nodes"]
    assert "system-ng" in message and "cpu_nodes_ready" in message


def test_a_volume_user_without_the_storage_driver_edge_fails(deploy):
    pod = {"nodeSelector": {"llm-infra.io/pool": "system"}}
    claims = [{"spec": {"storageClassName": "gp3-encrypted"}}]
    app = workload("StatefulSet", pod, [SYSTEM["urn"], CLASS["urn"]], volumeClaimTemplates=claims)
    found = deploy.violations([SYSTEM, CLASS, DRIVER, app])
    (message,) = found["deploy-waits-for-storage"]
    assert "ebs.csi.aws.com driver" in message and "storage_ready" in message


def test_a_sound_stack_passes(deploy):
    pod = {"nodeSelector": {"llm-infra.io/pool": "system"}}
    claims = [{"spec": {"storageClassName": "gp3-encrypted"}}]
    deps = [SYSTEM["urn"], CLASS["urn"], DRIVER["urn"]]
    app = workload("StatefulSet", pod, deps, volumeClaimTemplates=claims)
    assert deploy.violations([SYSTEM, CLASS, DRIVER, app]) == {}


def test_a_gke_pool_starting_above_its_max_fails(deploy):
    pool = resource(
        "gcp:container/nodePool:NodePool",
        {
            "initialNodeCount": 1,
            "nodeLocations": ["us-central1-a", "us-central1-b", "us-central1-c"],
            "autoscaling": {"totalMinNodeCount": 1, "totalMaxNodeCount": 2},
            "nodeConfig": {"labels": {}},
        },
        name="h100",
    )
    (message,) = deploy.violations([pool])["deploy-pool-starts-within-max"]
    assert "starts 3 nodes over 3 zones" in message


def test_helm_release_values_reach_the_rules_as_plain_values(deploy):
    # The engine hands packs read-only proxies; the rules must still find the values' selector.
    values = {"nodeSelector": {"llm-infra.io/pool": "system"}}
    release = resource(
        "kubernetes:helm.sh/v3:Release",
        {"chart": "keda", "values": values},
        name="keda",
        dependencies=[SYSTEM["urn"]],
    )
    assert deploy.violations([SYSTEM, GPU_ONLY, release]) == {}
    lost = resource(
        "kubernetes:helm.sh/v3:Release", {"chart": "keda", "values": values}, name="keda"
    )
    assert "deploy-waits-for-nodes" in deploy.violations([SYSTEM, GPU_ONLY, lost])


def sized_pool(name: str, instance: str, high: int, gpu: bool = False) -> dict[str, Any]:
    taints = [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}] if gpu else []
    return resource(
        NG,
        {
            "labels": {"llm-infra.io/pool": name},
            "taints": taints,
            "instanceTypes": [instance],
            "scalingConfig": {"minSize": 1, "maxSize": high, "desiredSize": 1},
        },
        name=f"{name}-ng",
    )


def sized(name: str, pool: str, cpu: str, replicas: int, gpus: int = 0, deps=()) -> dict[str, Any]:
    limits = {"nvidia.com/gpu": str(gpus)} if gpus else {}
    pod: dict[str, Any] = {
        "nodeSelector": {"llm-infra.io/pool": pool},
        "containers": [
            {
                "name": "c",
                "resources": {"requests": {"cpu": cpu, "memory": "8Gi"}, "limits": limits},
            }
        ],
    }
    if gpus:
        pod["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Exists"}]
    return resource(
        "kubernetes:apps/v1:Deployment",
        {"spec": {"replicas": replicas, "template": {"spec": pod}}},
        name=name,
        dependencies=list(deps),
    )


def test_a_request_bigger_than_any_node_fails_with_the_shortfall(deploy):
    system = sized_pool("system", "m6i.large", 3)
    found = deploy.violations([system, sized("embed", "system", "2", 1, deps=[system["urn"]])])
    (message,) = found["deploy-pods-fit-a-node"]
    assert "'embed' requests 2 CPU" in message and "short by" in message
    assert "larger instance type" in message


def test_a_gpu_pool_too_small_for_its_models_at_max_fails(deploy):
    gpu = sized_pool("gpu", "g6.2xlarge", 2, gpu=True)
    found = deploy.violations([gpu, sized("llm", "gpu", "6", 3, gpus=1, deps=[gpu["urn"]])])
    (message,) = found["deploy-pools-hold-max-replicas"]
    assert "gpu-ng" in message and "raise its max_nodes" in message


def test_a_container_breaking_its_image_contract_fails(deploy):
    # the vLLM contract (workloads/images.yaml): torch's getpass needs USER under an
    # arbitrary uid; the image's entrypoint is the api_server module, not `vllm serve`
    vllm = contract("vllm")
    pod = {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001},
        "containers": [
            {
                "name": "vllm",
                "image": vllm.image(),
                "command": ["vllm", "serve"],
                "securityContext": {"readOnlyRootFilesystem": True},
                "ports": [{"name": "http"}],
            }
        ],
    }
    server = resource(
        "kubernetes:apps/v1:Deployment",
        {"metadata": {"name": "llm"}, "spec": {"template": {"spec": pod}}},
        name="llm-deployment",
    )
    server["parent"] = f"{STACK}llm-infra:workloads:ModelServer::llm"
    messages = deploy.violations([server])["deploy-images-keep-contracts"]
    assert any("needs USER" in m for m in messages)
    assert any("command ['vllm', 'serve']" in m for m in messages)
    assert all(vllm.tag in m for m in messages)
    unknown = copy.deepcopy(server)
    unknown["inputs"]["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:latest"
    (message,) = deploy.violations([unknown])["deploy-images-keep-contracts"]
    assert "nginx:latest has no contract" in message


def test_a_gated_model_without_a_token_is_told_how_to_get_one(deploy):
    def server(model: str, env: list[dict[str, Any]]) -> dict[str, Any]:
        container = {"name": "vllm", "args": [f"--model={model}"], "env": env}
        spec = {"template": {"spec": {"containers": [container]}}}
        return resource("kubernetes:apps/v1:Deployment", {"spec": spec}, name=model.split("/")[1])

    token = [
        {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf-token", "key": "token"}}}
    ]
    found = deploy.violations(
        [
            server("meta-llama/Llama-3.1-8B-Instruct", []),
            server("meta-llama/Llama-3.1-70B-Instruct", token),
            server("Qwen/Qwen2.5-7B-Instruct", []),
        ]
    )
    (message,) = found["deploy-gated-models-have-a-token"]
    assert "Llama-3.1-8B-Instruct is gated" in message and "llm-infra:hfToken" in message


def test_values_unknown_during_preview_do_not_silence_the_rules(deploy):
    # On a first `pulumi preview` many inputs are unknown (subnet ids, ARNs); the engine's
    # proxies raise on reading one (pulumi_policy proxy.py), which would turn every stack
    # rule into a "can't be known during preview" note. The rules read past them.
    system = copy.deepcopy(SYSTEM)
    system["inputs"]["subnetIds"] = [UNKNOWN, UNKNOWN]
    pod = {"nodeSelector": {"llm-infra.io/pool": "system"}, "serviceAccountName": UNKNOWN}
    result = deploy.run([system, GPU_ONLY, workload("Deployment", pod, [])])
    found = {d.policy: d for d in result.diagnostics}
    assert "system-ng" in found["deploy-waits-for-nodes"].message
    assert found["deploy-waits-for-nodes"].enforcement == "mandatory"


EKS_PRIVATE = resource(
    "aws:eks/cluster:Cluster",
    {"vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False}},
    name="cluster-eks",
)
IN_CLUSTER = resource("kubernetes:core/v1:Namespace", {"metadata": {"name": "x"}}, name="ns")


def deploy_path(runner: str) -> dict[str, Any]:
    path = resource("llm-infra:deploy:DeployPath", {"runner": runner, "runnerCidrs": []})
    return {**path, "custom": False, "name": "deploy"}


def test_a_private_endpoint_deployed_from_outside_fails_naming_the_cluster_and_the_fix(deploy):
    found = deploy.violations([EKS_PRIVATE, IN_CLUSTER, deploy_path("github-hosted")])
    (message,) = found["deploy-reaches-the-api"]
    assert "'cluster-eks'" in message and "GitHub-hosted runner" in message
    assert "deploy.runner: in-network" in message


def test_an_in_network_deploy_needs_the_runner_in_the_network(deploy):
    path = deploy_path("in-network")
    (message,) = deploy.violations([EKS_PRIVATE, IN_CLUSTER, path])["deploy-reaches-the-api"]
    assert "creates no runner in the network" in message
    runner = resource("llm-infra:aws:CodeBuildRunner", {"inNetwork": True}, name="deploy-runner")
    runner["parent"], runner["custom"] = path["urn"], False
    # at preview the engine hands a project still to be created with unknown values
    project = resource(
        "aws:codebuild/project:Project", {"vpcConfig": UNKNOWN}, name="deploy-runner-project"
    )
    project["parent"] = runner["urn"]
    found = deploy.violations([EKS_PRIVATE, IN_CLUSTER, path, runner])
    assert "creates no runner in the network" in found["deploy-reaches-the-api"][0]
    assert "deploy-reaches-the-api" not in deploy.violations(
        [EKS_PRIVATE, IN_CLUSTER, path, runner, project]
    )


def test_a_stack_with_nothing_in_the_cluster_needs_no_path_to_it(deploy):
    """The platform stage of a two-stage deploy creates no Kubernetes resource."""
    assert deploy.violations([EKS_PRIVATE, deploy_path("github-hosted")]) == {}
