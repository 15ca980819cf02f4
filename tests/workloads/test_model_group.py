"""Models bigger than a node: Llama 3.1 405B in bf16 as one replica over 2 × 8 H100, a
LeaderWorkerSet group (kubernetes-sigs/lws v0.10.0) whose leader runs vLLM 0.11.0 over Ray
and whose worker joins it, as vLLM's own LWS recipe does (docs/deployment/frameworks/lws.md
in the vllm-0.11.0 sdist). The tests-only stack (tests/stacks/Pulumi.multinode.yaml) also
serves the 8B model with two LoRA adapters; it is planned, rendered and checked as a shipped
stack is."""

import json
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from infra.cli import main
from infra.config import ConfigError
from infra.cost import estimate_cost
from infra.diff import diff_plans
from infra.offline.plan import plan_with_config
from infra.reports.diff import render_diff_markdown
from tests.harness import EXAMPLES, load, minimal_platform, plan_document, shipped_document
from tests.infra.test_render import CUSTOM_KINDS
from tests.test_deploy_truth import truth
from tests.tools import checkov_failures
from tests.workloads.test_endpoint_picker import named
from tests.workloads.test_gateway import schema
from workloads import leader_worker_set
from workloads.model_group import RAYLET_PORT, SCRIPT, leader_command, worker_command

P = "llm-infra:platform"
STACK = "multinode"
NAME = "llama-3-1-405b"
LWS = "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet"
RELEASE = "kubernetes:helm.sh/v3:Release"
SERVER_ENTRYPOINT = ["python3", "-m", "vllm.entrypoints.openai.api_server"]


def document() -> dict[str, Any]:
    return dict(yaml.safe_load((EXAMPLES / f"Pulumi.{STACK}.yaml").read_text()))


@pytest.fixture(scope="module")
def plan(shipped_plan):
    return shipped_plan(STACK)


def group(plan) -> Any:
    return named(plan, LWS, f"{NAME}-group")


def templates(plan) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = group(plan).inputs["spec"]["leaderWorkerTemplate"]
    return spec["leaderTemplate"], spec["workerTemplate"]


def only_container(template: dict[str, Any]) -> dict[str, Any]:
    (found,) = template["spec"]["containers"]
    return found


def test_one_replica_is_a_group_of_two_whole_h100_nodes(plan):
    spec = group(plan).inputs["spec"]
    assert spec["replicas"] == 1
    # LWS v0.10.0 api/leaderworkerset/v1/leaderworkerset_types.go: a group is `size` pods,
    # recreated together when one restarts; workers start with the leader (the leader is
    # Ready only once they have joined, so LeaderReady would never start them)
    assert spec["leaderWorkerTemplate"]["size"] == 2
    assert spec["leaderWorkerTemplate"]["restartPolicy"] == "RecreateGroupOnPodRestart"
    assert spec["startupPolicy"] == "LeaderCreated"
    for template in templates(plan):
        resources = only_container(template)["resources"]
        assert resources["requests"]["nvidia.com/gpu"] == "8"
        assert resources["limits"] == resources["requests"]
        assert template["spec"]["nodeSelector"]["llm-infra.io/pool"] == "frontier"
    notes = group(plan).inputs["metadata"]["annotations"]
    assert notes["llm-infra.io/tensor-parallel-size"] == "8"
    assert notes["llm-infra.io/pipeline-parallel-size"] == "2"


def test_the_leader_starts_the_ray_head_then_serves_with_tensor_and_pipeline_parallel(plan):
    leader, _ = templates(plan)
    container = only_container(leader)
    command = container["command"]
    # multi-node-serving.sh `leader` starts `ray start --head` and waits for the workers
    # (examples/online_serving/multi-node-serving.sh in vLLM 0.11.0, in the image at
    # /vllm-workspace: docker/Dockerfile:272,418); only then the API server runs, as its
    # own process (`exec`), with the container's args
    assert command[:2] == ["bash", "-c"]
    assert f'bash {SCRIPT} leader --ray_cluster_size="$LWS_GROUP_SIZE"' in command[2]
    assert command[2].endswith('&& exec "$@"')
    assert command[3:] == ["--", *SERVER_ENTRYPOINT]
    args = container["args"]
    # vllm/engine/arg_utils.py:649-656; Ray is required across nodes (parallelism_scaling.md)
    assert "--tensor-parallel-size=8" in args
    assert "--pipeline-parallel-size=2" in args
    assert "--distributed-executor-backend=ray" in args
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"


def test_each_worker_joins_its_leaders_ray_head_and_is_probed_on_its_raylet(plan):
    leader, worker = templates(plan)
    container = only_container(worker)
    # LWS_LEADER_ADDRESS is the leader pod's name in LWS's headless Service
    # (pkg/utils/pod/pod_utils.go:143-146); the kubelet expands $(…) in commands
    assert container["command"][:4] == [
        "bash",
        SCRIPT,
        "worker",
        "--ray_address=$(LWS_LEADER_ADDRESS)",
    ]
    assert f"--node-manager-port={RAYLET_PORT}" in container["command"]
    assert "args" not in container
    assert container["ports"] == [
        {"name": "raylet", "containerPort": RAYLET_PORT, "protocol": "TCP"}
    ]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["tcpSocket"] == {"port": "raylet"}
    # Ray workers inherit `ray start`'s environment, not the leader's: vLLM forwards only
    # its own variables (vllm/executor/ray_distributed_executor.py:57-62)
    names = {e["name"] for e in only_container(leader)["env"]}
    assert {e["name"] for e in container["env"]} == names
    assert "VLLM_HOST_IP" in names


def test_the_ray_waits_cover_a_gpu_nodes_scale_up_and_image_pull(plan):
    leader, worker = templates(plan)
    timeout = next(
        a for a in only_container(worker)["command"] if a.startswith("--ray_init_timeout=")
    )
    seconds = int(timeout.split("=")[1])
    assert seconds >= 600
    assert f"--ray_init_timeout={seconds}" in only_container(leader)["command"][2]
    startup = only_container(worker)["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] > seconds


def test_leader_and_worker_run_hardened_under_our_uid_with_room_to_write(plan):
    for template in templates(plan):
        pod = template["spec"]
        container = only_container(template)
        assert pod["securityContext"]["runAsUser"] == 10001
        assert pod["automountServiceAccountToken"] is False
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        # Ray's session directory is /tmp/ray (ray/_common/utils.py:202-217 in Ray 2.49);
        # its object store and NCCL use /dev/shm
        assert {"/tmp", "/dev/shm", "/models"} <= mounts
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["dshm"]["emptyDir"] == {"medium": "Memory", "sizeLimit": "16Gi"}
        assert template["metadata"]["annotations"] == {
            "cluster-autoscaler.kubernetes.io/safe-to-evict": "false"
        }


def test_clients_reach_leaders_only_and_group_pods_reach_each_other(plan):
    service = named(plan, "kubernetes:core/v1:Service", NAME)
    leaders = service.inputs["spec"]["selector"]
    # the leader pods' worker index (leaderworkerset_controller.go:793-797)
    assert leaders["leaderworkerset.sigs.k8s.io/worker-index"] == "0"
    pool = named(plan, "kubernetes:inference.networking.k8s.io/v1:InferencePool", NAME).inputs[
        "spec"
    ]
    assert pool["selector"]["matchLabels"] == leaders
    members = named(plan, "kubernetes:networking.k8s.io/v1:NetworkPolicy", f"{NAME}-group")
    spec = members.inputs["spec"]
    own = {"leaderworkerset.sigs.k8s.io/name": f"{NAME}-group"}
    # Ray, NCCL and torch's rendezvous pick ports at random: every port, only each other
    assert spec["podSelector"] == {"matchLabels": own}
    assert spec["ingress"] == [{"from": [{"podSelector": {"matchLabels": own}}]}]


def test_the_controller_is_pinned_and_the_group_waits_for_it(plan, shipped_plan):
    (release,) = [r for r in plan.of_type(RELEASE) if r.inputs["chart"] == leader_worker_set.CHART]
    assert release.inputs["version"] == "0.10.0"
    assert release.inputs["namespace"] == "lws-system"
    assert release.inputs["name"] == "lws"
    assert release.inputs["values"]["image"]["manager"]["tag"] == "v0.10.0"
    # its webhooks fail closed (charts/lws/templates/webhook/webhook.yaml)
    assert release.urn in group(plan).dependencies
    # a stack whose models all fit a node has no controller
    dev = shipped_plan("dev")
    assert not [r for r in dev.of_type(RELEASE) if r.inputs["chart"] == leader_worker_set.CHART]
    assert not dev.of_type(LWS)


def test_the_pool_is_one_zone_in_a_cluster_placement_group(plan):
    node_group = plan.get("aws:eks/nodeGroup:NodeGroup", "gpu-frontier-ng")
    assert len(node_group.inputs["subnetIds"]) == 1
    group_ = plan.get("aws:ec2/placementGroup:PlacementGroup", "gpu-frontier-placement")
    assert group_.inputs["strategy"] == "cluster"
    others = [g for g in plan.of_type("aws:ec2/placementGroup:PlacementGroup") if g is not group_]
    assert others == []


def test_the_stack_comes_up_the_group_on_two_nodes(plan):
    assert truth(plan) == []


def test_a_pool_that_cannot_hold_the_group_does_not_come_up(tmp_path):
    small = document()
    frontier = next(p for p in small["config"][P]["gpu_pools"] if p["name"] == "frontier")
    frontier["max_nodes"] = 1
    problems = truth(plan_document(tmp_path, small, stack=STACK))
    assert any("gpu-frontier-ng" in p and "need about 2 nodes" in p for p in problems), problems


def test_the_stack_passes_check_renders_valid_objects_and_checkov(tmp_path, capsys):
    project = str(EXAMPLES)
    assert main(["--project-dir", project, "check", "--stack", STACK]) == 0
    summary = capsys.readouterr().out
    assert "models fit: yes" in summary
    out = tmp_path / "rendered"
    assert main(["--project-dir", project, "render", "--stack", STACK, "--out", str(out)]) == 0
    validator = jsonschema.Draft7Validator(
        schema("leaderworkerset.x-k8s.io", "LeaderWorkerSet", "v1")
    )
    groups = 0
    for path in sorted(out.glob("*.yaml")):
        manifest = yaml.safe_load(path.read_text())
        if manifest["kind"] == "LeaderWorkerSet":
            errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(manifest)]
            assert errors == [], path.name
            groups += 1
        elif manifest["kind"] not in CUSTOM_KINDS:
            kubernetes_validate.validate(manifest, "1.34.0", strict=True)
    assert groups == 1
    assert checkov_failures(out) == []


def test_the_fit_plans_the_topology_and_the_cost_is_the_whole_group():
    config, record = plan_with_config(STACK, EXAMPLES)
    sizing = next(s for s in json.loads(record.to_json())["sizing"] if s["model"] == NAME)
    assert sizing["fits"] is True
    assert (sizing["gpus"], sizing["pipeline_parallel"]) == (8, 2)
    cost = next(m for m in estimate_cost(config).models if m.name == NAME)
    one_node = next(m for m in estimate_cost(config).models if m.name == "llama-3-1-70b")
    # the 70B holds 4 of a p5's 8 GPUs; a replica of the 405B holds two whole p5 nodes
    assert cost.usd_per_replica_hour == pytest.approx(4 * one_node.usd_per_replica_hour, rel=1e-3)


def test_adding_the_group_is_a_pr_diff_that_names_its_nodes(plan, tmp_path):
    before = document()
    platform = before["config"][P]
    platform["models"] = [m for m in platform["models"] if m["name"] != NAME]
    platform["gpu_pools"] = [p for p in platform["gpu_pools"] if p["name"] != "frontier"]
    base = plan_document(tmp_path, before, stack=STACK)
    diff = diff_plans(json.loads(base.to_json()), json.loads(plan.to_json()))
    added = {(c["type"], c["name"]) for c in diff.created}
    assert {
        (LWS, f"{NAME}-group"),
        ("aws:ec2/placementGroup:PlacementGroup", "gpu-frontier-placement"),
        ("kubernetes:helm.sh/v3:Release", "leader-worker-set-release"),
    } <= added
    assert not diff.replacements
    assert f"**{NAME}** added: 16 × h100 (2 nodes of p5.48xlarge), fits: True" in (
        render_diff_markdown(diff)
    )


@pytest.mark.parametrize(
    ("model", "pool", "path", "says"),
    [
        ({"gpus_per_replica": 12}, {}, "models[0].gpus_per_replica", "not whole nodes"),
        ({"gpus_per_replica": 40}, {}, "models[0].gpus_per_replica", "over 5 nodes"),
        ({"engine": "tgi"}, {}, "models[0].engine", "one node only"),
        ({"min_replicas": 0}, {}, "models[0].min_replicas", "cannot start within"),
        ({}, {"zones": None}, "gpu_pools[0].zones", "lives in one zone"),
        ({}, {"compact_placement": False}, "gpu_pools[0].compact_placement", "sit close"),
        ({}, {"gpu": "l4", "gpus_per_node": 4}, "models[0].gpus_per_replica", "8-GPU nodes"),
        ({}, {"fast_interconnect": True}, "gpu_pools[0].fast_interconnect", "aws-ofi-nccl"),
    ],
)
def test_config_refuses_a_group_it_cannot_build(model, pool, path, says):
    platform = {
        **shipped_document("prod")["config"][P],
        "gpu_pools": [
            {
                "name": "frontier",
                "gpu": "h100",
                "gpus_per_node": 8,
                "min_nodes": 0,
                "max_nodes": 2,
                "zones": ["us-east-1a"],
                "compact_placement": True,
                **pool,
            }
        ],
        "models": [
            {
                "name": NAME,
                "hf_model_id": "meta-llama/Llama-3.1-405B-Instruct",
                "pool": "frontier",
                "gpus_per_replica": 16,
                "max_model_len_tokens": 16384,
                "min_replicas": 1,
                "max_replicas": 1,
                **model,
            }
        ],
    }
    if platform["gpu_pools"][0]["zones"] is None:
        del platform["gpu_pools"][0]["zones"]
    with pytest.raises(ConfigError) as error:
        load(platform)
    issues = [str(i) for i in error.value.issues]
    assert any(path in i and says in i for i in issues), issues


def test_the_commands_are_the_images_own():
    # the leader ends in the image's entrypoint; the worker is the script the image ships
    assert leader_command(2, 600)[-3:] == SERVER_ENTRYPOINT
    assert worker_command(600)[:2] == ["bash", SCRIPT]


def test_lws_keeps_its_own_headless_service_name_and_prometheus_finds_the_leaders(plan):
    # LWS makes a headless Service named after the set, and none when one of that name
    # exists (leaderworkerset_controller.go:213-216): the client Service has another name
    services = {r.inputs["metadata"]["name"] for r in plan.of_type("kubernetes:core/v1:Service")}
    assert group(plan).inputs["metadata"]["name"] not in services
    service = named(plan, "kubernetes:core/v1:Service", NAME)
    monitor = named(plan, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor", NAME)
    wanted = monitor.inputs["spec"]["selector"]["matchLabels"]
    assert wanted.items() <= service.inputs["metadata"]["labels"].items()


def test_a_node_drain_disrupts_one_pod_of_any_group_at_a_time(plan):
    pdb = named(plan, "kubernetes:policy/v1:PodDisruptionBudget", NAME).inputs["spec"]
    assert pdb["maxUnavailable"] == 1
    for template in templates(plan):
        assert pdb["selector"]["matchLabels"].items() <= template["metadata"]["labels"].items()


def test_ray_sends_no_usage_reports(plan):
    for template in templates(plan):
        env = {e["name"]: e.get("value") for e in only_container(template)["env"]}
        assert env["RAY_USAGE_STATS_ENABLED"] == "0"


CLAIM = "kubernetes:core/v1:PersistentVolumeClaim"


def claims(plan) -> dict[str, Any]:
    return {
        r.inputs["metadata"]["name"]: r
        for r in plan.resources
        if r.type == CLAIM and r.inputs["metadata"]["name"].startswith("model-cache-")
    }


def test_each_pod_of_a_group_keeps_its_model_cache_on_a_claim_of_its_own(plan):
    group_spec = group(plan).inputs["spec"]["leaderWorkerTemplate"]
    (claim,) = group_spec["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "model-cache"
    assert claim["spec"]["storageClassName"] == "gp3-encrypted"
    # the whole download (every node holds all the weights: about 913 GiB) in 128 GiB steps
    assert claim["spec"]["resources"]["requests"]["storage"] == "1024Gi"
    # the StatefulSets never delete a claim: the group's component owns them
    assert group_spec["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain",
        "whenScaled": "Retain",
    }
    for template in templates(plan):
        names = {v["name"] for v in template["spec"]["volumes"]}
        assert "model-cache" not in names  # the claim, not an emptyDir
        mounts = {m["name"]: m["mountPath"] for m in only_container(template)["volumeMounts"]}
        assert mounts["model-cache"] == "/models"


def test_the_claims_exist_before_the_set_under_the_names_its_statefulsets_use(plan):
    """A StatefulSet uses the claim `<template>-<set>-<ordinal>` when it exists (kubernetes
    pkg/controller/statefulset/stateful_set_utils.go getPersistentVolumeClaimName). LWS
    v0.10.0 names the leaders' StatefulSet after the set and group 0's workers' after its
    leader pod, ordinals from 1 (pod_controller.go:436-452). So the leader of group 0
    mounts `model-cache-<set>-0` and its worker `model-cache-<set>-0-1`; recreating the
    group (which deletes the worker StatefulSet) finds both again."""
    found = claims(plan)
    assert set(found) == {
        "model-cache-llama-3-1-405b-group-0",
        "model-cache-llama-3-1-405b-group-0-1",
    }
    (template,) = group(plan).inputs["spec"]["leaderWorkerTemplate"]["volumeClaimTemplates"]
    for claim in found.values():
        assert claim.inputs["spec"] == template["spec"]
        assert claim.inputs["metadata"]["namespace"] == group(plan).inputs["metadata"]["namespace"]
        # made before the set (or its StatefulSets would make them), after the storage
        # driver (and so deleted before it on destroy, their volumes with them)
        assert claim.urn in group(plan).dependencies
        assert any("ebs-csi" in d for d in claim.dependencies), claim.dependencies
        # a new size or class is a new volume, the old one deleted first: same name
        assert claim.options.replace_on_changes == ["spec"]
        assert claim.options.delete_before_replace
    # and Kubernetes refuses a StatefulSet's new claim templates: the set is replaced too
    assert group(plan).options.replace_on_changes == [
        "spec.leaderWorkerTemplate.volumeClaimTemplates"
    ]
    assert group(plan).options.delete_before_replace


def test_an_adapter_leaves_the_claims_and_a_new_quantization_replaces_them(plan, tmp_path):
    """The claim follows the download in 128 GiB steps: one more adapter moves the 405B's
    by a few GiB and changes nothing; fp8 halves it, and the PR diff says the claims and
    the set are replaced."""

    def planned(change) -> Any:
        changed = document()
        model = next(m for m in changed["config"][P]["models"] if m["name"] == NAME)
        change(model)
        where = tmp_path / str(len(list(tmp_path.iterdir())))
        where.mkdir()
        return plan_document(where, changed, stack=STACK)

    def adapter(model):
        model["adapters"] = [{"name": "legal", "source": "example-org/legal-lora", "rank": 64}]

    head = planned(adapter)
    diff = diff_plans(json.loads(plan.to_json()), json.loads(head.to_json()))
    assert not [c for c in diff.updated if c.type == CLAIM]
    assert not [c for c in diff.updated if c.type == LWS and c.replaces]

    head = planned(lambda model: model.update(quantization="fp8"))
    assert {
        c["spec"]["resources"]["requests"]["storage"]
        for c in (r.inputs for r in claims(head).values())
    } == {"512Gi"}
    diff = diff_plans(json.loads(plan.to_json()), json.loads(head.to_json()))
    replaced = {(c.type, c.name) for c in diff.updated if c.replaces}
    assert {(LWS, f"{NAME}-group"), (CLAIM, f"{NAME}-cache-0-0"), (CLAIM, f"{NAME}-cache-0-1")} <= (
        replaced
    )
    assert {r.name for r in diff.replacements} >= {f"{NAME}-cache-0-0", f"{NAME}-cache-0-1"}


def test_a_model_cache_on_the_nodes_disk_must_fit_it_and_a_groups_is_on_its_claims():
    platform = minimal_platform()
    platform["gpu_pools"][0] = {"name": "standard", "gpu": "h100", "gpus_per_node": 8}
    platform["models"][0].update(
        hf_model_id="meta-llama/Llama-3.1-70B-Instruct", gpus_per_replica=4
    )
    with pytest.raises(ConfigError) as error:
        load(platform)  # 163 GiB of cache and 60 of image and system on a 200 GiB disk
    issues = [str(i) for i in error.value.issues]
    assert any(
        "gpu_pools[0].disk_size_gib" in i and "raise disk_size_gib to 223" in i for i in issues
    )
    platform["gpu_pools"][0]["disk_size_gib"] = 250
    load(platform)
    # the tests-only stack's frontier pool keeps the default 200 GiB: its pods' caches are
    # their claims
    frontier = next(p for p in document()["config"][P]["gpu_pools"] if p["name"] == "frontier")
    assert "disk_size_gib" not in frontier
    # but the engine image is still on the node's disk
    grouped = document()["config"][P]
    small = next(p for p in grouped["gpu_pools"] if p["name"] == "frontier")
    small["disk_size_gib"] = 50
    with pytest.raises(ConfigError) as error:
        load(grouped)
    assert any(
        "disk_size_gib" in str(i) and "its cache is on a claim" in str(i)
        for i in error.value.issues
    )
