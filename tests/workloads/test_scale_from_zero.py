"""A model at min_replicas 0 wakes on its first request: the gateway holds the request
(retrying the failed connect) while KEDA, triggered by the gateway's own counters for that
model's routes, starts a replica; then the queue metric decides."""

import jsonschema
import pytest

from tests.harness import plan_document, shipped_document
from tests.workloads.test_gateway import custom_resources, schema
from workloads.autoscaling import WAKE_TARGET

EG = "gateway.envoyproxy.io/v1alpha1"


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    """dev with its 8B model at zero, a canary of it that stays warm, a second warm model
    of its own (an endpoint picker balances it), and a request limit."""
    document = shipped_document("dev")
    models = document["config"]["llm-infra:platform"]["models"]
    models[0]["min_replicas"] = 0
    models[0]["weight"] = 90
    models.append(
        {
            **models[0],
            "name": "canary",
            "version_of": models[0]["name"],
            "weight": 10,
            "min_replicas": 1,
        }
    )
    warm = {k: v for k, v in models[0].items() if k != "weight"}
    models.append({**warm, "name": "warm", "min_replicas": 1})
    gateway = document["config"]["llm-infra:platform"]["gateway"]
    gateway["clients"] = [{"name": "default", "requests_per_minute": 600}]
    return plan_document(tmp_path_factory.mktemp("zero"), document, stack="dev")


def scaler(plan, name):
    (found,) = [
        s
        for s in custom_resources(plan, "keda.sh/v1alpha1", "ScaledObject")
        if s.inputs["metadata"]["name"] == name
    ]
    return found.inputs["spec"]


def clusters_routing_to(plan, backend_prefix):
    """The Envoy cluster names of the rules whose backends include the server, from the
    rendered routes: route `models-<k>`, rule at its index."""
    found = []
    for route in custom_resources(plan, "aigateway.envoyproxy.io/v1beta1", "AIGatewayRoute"):
        name = route.inputs["metadata"]["name"]
        for index, rule in enumerate(route.inputs["spec"]["rules"]):
            if any(ref["name"].startswith(backend_prefix) for ref in rule["backendRefs"]):
                found.append(f"httproute/envoy-gateway-system/{name}/rule/{index}")
    return found


def test_a_model_at_zero_wakes_on_the_gateways_counters_for_its_own_routes(plan):
    models = shipped_document("dev")["config"]["llm-infra:platform"]["models"]
    name = models[0]["name"]
    spec = scaler(plan, name)
    assert spec["minReplicaCount"] == 0
    queue, wake = spec["triggers"]
    assert "num_requests_waiting" in queue["metadata"]["query"]
    query = wake["metadata"]["query"]
    assert wake["metadata"]["activationThreshold"] == "0"
    assert wake["metadata"]["threshold"] == WAKE_TARGET  # wakes; the queue scales out
    assert "envoy_cluster_upstream_(rq_total|cx_connect_fail)" in query
    # exactly the clusters of the rules that send it traffic (its own and none other)
    routed = clusters_routing_to(plan, f"{name}-")
    assert routed == ["httproute/envoy-gateway-system/models-0/rule/0"]
    assert f'envoy_cluster_name=~"({"|".join(routed)})(/backend/[0-9]+)?"' in query


def test_a_warm_model_keeps_the_queue_trigger_alone(plan):
    assert len(scaler(plan, "canary")["triggers"]) == 1


def policies(plan):
    return {
        p.inputs["metadata"]["name"]: p.inputs
        for p in custom_resources(plan, EG, "BackendTrafficPolicy")
    }


def test_the_gateway_holds_requests_by_retrying_failed_connects(plan):
    policy = policies(plan)["wake-retries"]
    retry = policy["spec"]["retry"]
    # only failures before a request reached a server: no generation runs twice
    assert set(retry["retryOn"]["triggers"]) == {
        "connect-failure",
        "reset-before-request",
        "refused-stream",
    }
    assert "timeout" not in retry["perRetry"]  # the rules' 900 s request timeout bounds it
    validator = jsonschema.Draft7Validator(
        schema("gateway.envoyproxy.io", "BackendTrafficPolicy", "v1alpha1")
    )
    document = {k: policy[k] for k in ("apiVersion", "kind", "spec")}
    document["metadata"] = {"name": "wake-retries"}
    assert [e.message for e in validator.iter_errors(document)] == []


def test_only_the_rules_reaching_the_sleeping_model_retry(plan):
    spec = policies(plan)["wake-retries"]["spec"]
    rules = {
        rule["name"]: (route.inputs["metadata"]["name"], rule)
        for route in custom_resources(plan, "aigateway.envoyproxy.io/v1beta1", "AIGatewayRoute")
        for rule in route.inputs["spec"]["rules"]
    }
    # the generated HTTPRoute keeps the AIGatewayRoute's name and its rules' names
    # (envoyproxy/ai-gateway@v1.1.0 internal/controller/ai_gateway_route.go:189-200,322-327)
    targets = {(t["kind"], t["name"], t["sectionName"]) for t in spec["targetRefs"]}
    model = shipped_document("dev")["config"]["llm-infra:platform"]["models"][0]["name"]
    assert targets == {("HTTPRoute", rules[model][0], model)}
    # not the pool's rule: a retry there would return to the pod the picker chose
    assert rules["warm"][1]["backendRefs"][0]["kind"] == "InferencePool"
    # merged into the Gateway's policy, whose client limits still apply on that rule
    # (envoyproxy/gateway@v1.8.3 internal/gatewayapi/backendtrafficpolicy.go:860-890)
    assert spec["mergeType"] == "StrategicMerge"
    assert "rateLimit" in policies(plan)["client-limits"]["spec"]
    assert "retry" not in policies(plan)["client-limits"]["spec"]


def test_shipped_stacks_without_a_model_at_zero_retry_nothing(shipped_plan):
    assert "wake-retries" not in policies(shipped_plan("prod"))
