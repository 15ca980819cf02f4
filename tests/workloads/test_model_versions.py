"""Safe rollouts: a model's versions (canary, A/B) share its traffic by weight at the
gateway; each version is its own Deployment, sized and priced on its own; shifting weights
is a config change the PR diff shows, and rollback is a weight change."""

import json

import jsonschema
import pytest

from infra.diff import diff_plans
from infra.reports.diff import render_diff_markdown, render_diff_table
from tests.harness import plan_document, shipped_document
from tests.workloads.test_gateway import custom_resources, schema
from workloads.gateway import Upstream, route_specs, traffic

PRIMARY, CANARY = "llama-3-1-8b", "llama-3-1-8b-canary"
ROUTE = ("aigateway.envoyproxy.io/v1beta1", "AIGatewayRoute")


def with_canary(primary_weight: int, canary_weight: int) -> dict:
    """Prod with a canary of its 8B model: a fine-tune of the same architecture."""
    document = shipped_document("prod")
    models = document["config"]["llm-infra:platform"]["models"]
    primary = next(m for m in models if m["name"] == PRIMARY)
    primary["weight"] = primary_weight
    models.append(
        {
            **primary,
            "name": CANARY,
            "hf_model_id": "example-org/llama-3.1-8b-support-ft",
            "architecture": "meta-llama/Llama-3.1-8B-Instruct",
            "version_of": PRIMARY,
            "weight": canary_weight,
        }
    )
    return document


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    """Prod with a 90/10 canary, then the same with the weights shifted to 0/100 and back
    to 100/0 (a rollback)."""
    found = {}
    for weights in ((90, 10), (0, 100), (100, 0)):
        tmp = tmp_path_factory.mktemp("-".join(map(str, weights)))
        found[weights] = plan_document(tmp, with_canary(*weights), stack="prod")
    return found


def rules_of(plan):
    return {
        rule["name"]: rule
        for route in custom_resources(plan, *ROUTE)
        for rule in route.inputs["spec"]["rules"]
    }


def test_requests_for_the_model_are_split_by_weight_and_renamed_for_the_canary(plans):
    rule = rules_of(plans[(90, 10)])[PRIMARY]
    assert rule["matches"] == [
        {"headers": [{"type": "Exact", "name": "x-ai-eg-model", "value": PRIMARY}]}
    ]
    # vLLM answers only to its --served-model-name: the canary's requests are renamed to it
    assert rule["backendRefs"] == [
        {"name": f"{PRIMARY}-llm-serving", "weight": 90},
        {"name": f"{CANARY}-llm-serving", "weight": 10, "modelNameOverride": CANARY},
    ]


def test_the_canary_also_answers_under_its_own_name_alone(plans):
    rule = rules_of(plans[(90, 10)])[CANARY]
    assert rule["backendRefs"] == [{"name": f"{CANARY}-llm-serving"}]
    assert CANARY in plans[(90, 10)].outputs["workloads"]["gateway"]["models"]


def test_each_version_is_its_own_deployment_with_its_own_fit_and_cost(plans):
    plan = plans[(90, 10)]
    deployments = {
        d.inputs["metadata"]["name"]: d for d in plan.of_type("kubernetes:apps/v1:Deployment")
    }
    container = deployments[CANARY].inputs["spec"]["template"]["spec"]["containers"][0]
    assert "--model=example-org/llama-3.1-8b-support-ft" in container["args"]
    assert f"--served-model-name={CANARY}" in container["args"]
    sized = {s["model"]: s for s in plan.sizing}
    assert sized[CANARY]["fits"] and sized[CANARY]["architecture"] == sized[PRIMARY]["architecture"]
    priced = {m["name"]: m for m in plan.cost["models"]}
    assert priced[CANARY]["usd_per_replica_hour"] > 0


def test_the_routes_stay_valid_against_the_pinned_crd(plans):
    validator = jsonschema.Draft7Validator(
        schema("aigateway.envoyproxy.io", "AIGatewayRoute", "v1beta1")
    )
    for route in custom_resources(plans[(90, 10)], *ROUTE):
        document = {k: route.inputs[k] for k in ("apiVersion", "kind", "spec")}
        document["metadata"] = {"name": route.inputs["metadata"]["name"]}
        assert [e.message for e in validator.iter_errors(document)] == []


def test_shifting_the_weights_is_a_route_update_the_pr_diff_spells_out(plans):
    base = json.loads(plans[(90, 10)].to_json())
    head = json.loads(plans[(0, 100)].to_json())
    diff = diff_plans(base, head)
    # the route object changes; no Deployment is created, deleted or restarted
    assert [c.type for c in diff.updated] == [
        "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute"
    ]
    assert diff.created == [] and diff.deleted == []
    text = render_diff_markdown(diff)
    assert f"**model {PRIMARY}**: {PRIMARY} 90%, {CANARY} 10% → {PRIMARY} 0%, {CANARY} 100%" in text
    assert f"Front door: model {PRIMARY}: " in render_diff_table(diff)


def test_rollback_is_a_weight_change_that_sends_everything_back(plans):
    rule = rules_of(plans[(100, 0)])[PRIMARY]
    assert [ref.get("weight") for ref in rule["backendRefs"]] == [100, 0]
    assert plans[(100, 0)].outputs["workloads"]["gateway"]["routes"][PRIMARY] == [
        {"server": PRIMARY, "weight": 100, "percent": 100.0},
        {"server": CANARY, "weight": 0, "percent": 0.0},
    ]


def test_a_model_without_versions_keeps_one_unweighted_backend():
    upstreams = [Upstream("a", "a", "ns", 8000), Upstream("b", "b", "ns", 8000)]
    (route,) = route_specs(upstreams)
    assert [r["backendRefs"] for r in route["rules"]] == [[{"name": "a-ns"}], [{"name": "b-ns"}]]
    assert traffic(upstreams)["a"] == [{"server": "a", "weight": None, "percent": 100.0}]
