"""Token budgets per client: AI Gateway counts each response's tokens, Envoy Gateway's
global rate limit charges them to the caller in a counter store, and a client past its
budget gets 429 until the minute turns."""

import jsonschema
import pytest

from tests.harness import shipped_config_values
from tests.workloads.test_gateway import custom_resources, schema
from workloads import gateway
from workloads.gateway import Client, rate_limit_spec, route_specs
from workloads.rate_limit_store import NAME, PORT, RATE_LIMIT_PODS, store_args

EG = "gateway.envoyproxy.io/v1alpha1"
PROD_STACKS = ["prod", "gcp-prod", "azure-prod"]


def valid(kind, spec, api="gateway.envoyproxy.io", version="v1alpha1"):
    validator = jsonschema.Draft7Validator(schema(api, kind, version))
    document = {"apiVersion": f"{api}/{version}", "kind": kind, "metadata": {"name": "x"}}
    return [e.message for e in validator.iter_errors({**document, "spec": spec})]


def test_a_budget_charges_each_responses_tokens_to_its_client_across_proxies():
    spec = rate_limit_spec([Client("team-a", 600, 50_000), Client("team-b", tokens_per_minute=9)])
    assert spec is not None and valid("BackendTrafficPolicy", spec) == []
    assert "type" not in spec["rateLimit"]  # deprecated; local and global side by side
    (local,) = spec["rateLimit"]["local"]["rules"]
    assert local["limit"] == {"requests": 600, "unit": "Minute"}
    first, second = spec["rateLimit"]["global"]["rules"]
    assert first["limit"] == {"requests": 50_000, "unit": "Minute"}
    assert second["clientSelectors"][0]["headers"][0]["value"] == "team-b"
    # one budget for all models (routes), checked on the request, charged on the response
    assert first["shared"] is True
    assert first["cost"] == {
        "request": {"from": "Number", "number": 0},
        "response": {
            "from": "Metadata",
            "metadata": {"namespace": "io.envoy.ai_gateway", "key": "llm_total_token"},
        },
    }


def test_routes_write_the_total_token_count_the_budget_reads():
    (route,) = route_specs([gateway.Upstream("m", "m", "ns", 8000)], token_costs=True)
    assert route["llmRequestCosts"] == [{"metadataKey": "llm_total_token", "type": "TotalToken"}]
    assert valid("AIGatewayRoute", route, "aigateway.envoyproxy.io", "v1beta1") == []
    (plain,) = route_specs([gateway.Upstream("m", "m", "ns", 8000)])
    assert "llmRequestCosts" not in plain


@pytest.mark.parametrize("stack", PROD_STACKS)
def test_prod_clients_have_budgets_in_the_stores_counters(shipped_plan, stack):
    plan = shipped_plan(stack)
    clients = shipped_config_values(stack)["llm-infra:platform"]["gateway"]["clients"]
    (policy,) = custom_resources(plan, EG, "BackendTrafficPolicy")
    budgets = {
        r["clientSelectors"][0]["headers"][0]["value"]: r["limit"]["requests"]
        for r in policy.inputs["spec"]["rateLimit"]["global"]["rules"]
    }
    assert budgets == {c["name"]: c["tokens_per_minute"] for c in clients}
    for route in custom_resources(plan, "aigateway.envoyproxy.io/v1beta1", "AIGatewayRoute"):
        assert route.inputs["spec"]["llmRequestCosts"][0]["metadataKey"] == "llm_total_token"
    (release,) = [
        r
        for r in plan.of_type("kubernetes:helm.sh/v3:Release")
        if r.name == "gateway-envoy-gateway"
    ]
    limit = release.inputs["values"]["config"]["envoyGateway"]["rateLimit"]
    (service,) = [
        s
        for s in plan.of_type("kubernetes:core/v1:Service")
        if s.name == "gateway-counters-service"
    ]
    namespace = service.inputs["metadata"]["namespace"]
    assert limit["backend"] == {
        "type": "Redis",
        "redis": {"url": f"{NAME}.{namespace}.svc.cluster.local:{PORT}"},
    }
    assert limit["failClosed"] is False  # a store outage lifts budgets, never blocks traffic
    # the rate limit service waits for its store, which it cannot start without
    (store,) = [
        d
        for d in plan.of_type("kubernetes:apps/v1:Deployment")
        if d.name == "gateway-counters-deployment"
    ]
    assert store.urn in release.options.depends_on


def test_only_the_rate_limit_service_reaches_the_store(shipped_plan):
    plan = shipped_plan("prod")
    (policy,) = [
        p
        for p in plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if p.name == "gateway-counters-network-policy"
    ]
    assert policy.inputs["spec"]["ingress"] == [
        {
            "from": [{"podSelector": {"matchLabels": RATE_LIMIT_PODS}}],
            "ports": [{"protocol": "TCP", "port": PORT}],
        }
    ]


def test_the_store_keeps_nothing_on_disk_and_evicts_old_counters_first():
    args = store_args()
    assert args[:5] == ["valkey-server", "--save", "", "--appendonly", "no"]
    assert args[-2:] == ["--maxmemory-policy", "allkeys-lru"]


def test_dev_has_no_store(shipped_plan):
    plan = shipped_plan("dev")
    assert not [d for d in plan.of_type("kubernetes:apps/v1:Deployment") if "counters" in d.name]
