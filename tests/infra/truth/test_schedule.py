"""The scheduling simulation on plans made for it, on the shipped stacks, and as a
property: adding capacity never makes a schedulable stack unschedulable."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from infra.offline.record import PlanRecord
from infra.truth.requests import memory_bytes, millicores, pod_request
from infra.truth.schedule import schedule_findings
from tests.infra.truth.test_waits import NG, plan, record


def pool(name: str, instance: str, low: int, high: int, gpu: bool = False) -> Any:
    labels = {"llm-infra.io/pool": name}
    taints = []
    if gpu:
        taints = [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]
    return record(
        NG,
        f"{name}-ng",
        {
            "labels": labels,
            "taints": taints,
            "instanceTypes": [instance],
            "scalingConfig": {"minSize": low, "maxSize": high, "desiredSize": low},
        },
    )


def deployment(name: str, pool_name: str, cpu: str, memory: str, replicas: int, gpus: int = 0):
    resources = {"requests": {"cpu": cpu, "memory": memory}, "limits": {}}
    pod: dict[str, Any] = {
        "nodeSelector": {"llm-infra.io/pool": pool_name},
        "containers": [{"name": "c", "resources": resources}],
    }
    if gpus:
        resources["limits"]["nvidia.com/gpu"] = str(gpus)
        pod["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Exists"}]
    spec = {"replicas": replicas, "template": {"spec": pod}}
    return record("kubernetes:apps/v1:Deployment", name, {"spec": spec})


def mandatory(the_plan: PlanRecord) -> list[str]:
    return [p.message for p in schedule_findings(the_plan) if p.mandatory]


def test_quantities():
    assert millicores("500m") == 500 and millicores("2") == 2000 and millicores(1.5) == 1500
    assert memory_bytes("512Mi") == 512 * 2**20 and memory_bytes("1G") == 10**9
    assert memory_bytes("129e6") == 129_000_000


def test_requests_default_to_limits_and_init_containers_count_when_larger():
    pod = {
        "containers": [{"resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}],
        "initContainers": [{"resources": {"requests": {"cpu": "3", "memory": "10Mi"}}}],
    }
    request = pod_request(pod)
    assert (request.millicores, request.memory_bytes) == (3000, 2**30)


def test_a_request_bigger_than_any_node_names_the_pod_pool_and_shortfall():
    # m6i.large: 2 vCPU less 70m kube-reserved (nodeadm) less the managed agents' allowance
    the_plan = plan(pool("system", "m6i.large", 1, 3), deployment("embed", "system", "2", "4Gi", 1))
    (message,) = mandatory(the_plan)
    assert "'embed' requests 2 CPU" in message and "'system-ng' (m6i.large)" in message
    assert "short by 0.27 CPU" in message


def test_a_gpu_pool_with_too_few_nodes_for_its_models_at_max_replicas():
    the_plan = plan(
        pool("system", "m6i.xlarge", 1, 3),
        pool("gpu", "g6.2xlarge", 0, 2, gpu=True),
        deployment("llm", "gpu", "6", "24Gi", 3, gpus=1),
    )
    (message,) = [m for m in mandatory(the_plan) if "cannot hold" in m]
    assert "'gpu-ng' (g6.2xlarge) cannot hold its pods at maximum replicas" in message
    assert "need about 3 nodes and it may grow to 2" in message


def test_idle_gpus_when_cpu_requests_take_the_node():
    # g6.12xlarge: 4 L4s, 48 vCPU; a 1-GPU pod asking 40 CPU leaves 3 GPUs idle on its node
    the_plan = plan(
        pool("gpu", "g6.12xlarge", 0, 1, gpu=True), deployment("llm", "gpu", "40", "24Gi", 1, 1)
    )
    advisories = [p.message for p in schedule_findings(the_plan) if not p.mandatory]
    assert any("3 GPU(s) stay idle" in m for m in advisories)


def test_the_first_deploy_waits_for_scale_up_beyond_the_minimum():
    the_plan = plan(
        pool("gpu", "g6.2xlarge", 0, 4, gpu=True), deployment("llm", "gpu", "6", "24Gi", 2, 1)
    )
    advisories = [p.message for p in schedule_findings(the_plan) if not p.mandatory]
    assert any("waits for 2 node(s)" in m for m in advisories)


@settings(max_examples=150, deadline=None)
@given(
    replicas=st.lists(st.integers(1, 4), min_size=1, max_size=4),
    cpus=st.lists(st.sampled_from(["250m", "1", "2", "3", "7"]), min_size=4, max_size=4),
    max_nodes=st.integers(1, 4),
    extra=st.integers(1, 3),
    another_pool=st.booleans(),
)
def test_adding_capacity_never_makes_a_schedulable_stack_unschedulable(
    replicas, cpus, max_nodes, extra, another_pool
):
    pods = [deployment(f"d{i}", "system", cpus[i], "1Gi", n) for i, n in enumerate(replicas)]
    before = plan(pool("system", "m6i.2xlarge", 1, max_nodes), *pods)
    more = [pool("system", "m6i.2xlarge", 1, max_nodes + extra)]
    if another_pool:
        bigger = pool("system", "m6i.4xlarge", 0, 2)
        more.append(record(NG, "system-more-ng", bigger.inputs))
    # resources in URN order, as every plan holds them: the new pool may come first
    after = plan(*sorted([*more, *pods], key=lambda r: r.urn))
    if not mandatory(before):
        assert mandatory(after) == []
    assert len(mandatory(after)) <= len(mandatory(before))


def test_a_workload_waiting_for_a_new_gpu_node_needs_an_await_that_long():
    # pulumi-kubernetes awaits a Deployment 10 minutes by default (provider/pkg/await/
    # deployment.go DefaultDeploymentTimeoutMins at v4.32); a GPU node takes about as long.
    gpu = pool("gpu", "g6.2xlarge", 0, 2, gpu=True)
    llm = deployment("llm", "gpu", "6", "24Gi", 1, gpus=1)
    (message,) = mandatory(plan(gpu, llm))
    assert "'llm' waits for a new node of pool 'gpu-ng'" in message
    assert "awaits it only 600 s" in message and "at least 900 s" in message
    for annotation in ({"pulumi.com/timeoutSeconds": "1800"}, {"pulumi.com/skipAwait": "true"}):
        waited = deployment("llm", "gpu", "6", "24Gi", 1, gpus=1)
        waited.inputs["metadata"] = {"annotations": annotation}
        assert mandatory(plan(gpu, waited)) == []


def test_a_pool_that_starts_with_enough_nodes_needs_no_longer_await():
    gpu = pool("gpu", "g6.2xlarge", 1, 2, gpu=True)
    assert mandatory(plan(gpu, deployment("llm", "gpu", "6", "24Gi", 1, gpus=1))) == []
