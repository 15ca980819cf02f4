"""OIDC access tokens instead of API keys: the gateway validates each token against the
identity provider's keys, names the caller from a claim, and no API key exists anywhere."""

import json

import jsonschema
import pytest

from infra.config import ConfigError
from infra.offline.plan import plan_with_config
from infra.policy.check import pack_config
from infra.policy.runner import analyze, started_pack
from infra.reports.endpoints import endpoints_of, render_endpoints_table
from tests.harness import ROOT, load, minimal_platform, shipped_document, write_document
from tests.workloads.test_gateway import custom_resources, schema
from workloads.gateway import CLIENT_HEADER

EG = "gateway.envoyproxy.io/v1alpha1"
JWT = {
    "issuer": "https://login.example.com/",
    "jwks_uri": "https://login.example.com/.well-known/jwks.json",
    "audiences": ["llm-gateway"],
    "client_claim": "team",
}


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    document = shipped_document("prod")
    platform = document["config"]["llm-infra:platform"]
    platform["gateway"]["jwt"] = JWT
    platform["gateway"]["clients"] = [{"name": "search", "requests_per_minute": 300}]
    return plan_with_config(
        "prod", write_document(tmp_path_factory.mktemp("jwt"), document, "prod")
    )


@pytest.fixture(scope="module")
def plan(planned):
    return planned[1]


def valid(resource, kind):
    validator = jsonschema.Draft7Validator(schema("gateway.envoyproxy.io", kind, "v1alpha1"))
    document = {k: resource.inputs[k] for k in ("apiVersion", "kind", "spec")}
    document["metadata"] = {"name": resource.inputs["metadata"]["name"]}
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(document)]


def test_every_request_needs_a_token_the_provider_signed_for_the_gateway(plan):
    (policy,) = custom_resources(plan, EG, "SecurityPolicy")
    spec = policy.inputs["spec"]
    assert "apiKeyAuth" not in spec and "optional" not in spec["jwt"]
    assert spec["jwt"]["providers"] == [
        {
            "name": "oidc",
            "issuer": "https://login.example.com/",
            "audiences": ["llm-gateway"],
            "remoteJWKS": {"uri": "https://login.example.com/.well-known/jwks.json"},
            # the caller's name, for the limits the BackendTrafficPolicy selects on
            "claimToHeaders": [{"header": CLIENT_HEADER, "claim": "team"}],
        }
    ]
    assert valid(policy, "SecurityPolicy") == []


def test_no_api_key_is_generated_or_stored(plan):
    assert "gateway_api_keys" not in plan.outputs
    assert not [s for s in plan.of_type("kubernetes:core/v1:Secret") if "api-keys" in s.name]
    passwords = plan.of_type("random:index/randomPassword:RandomPassword")
    assert [r.name for r in passwords if r.name.startswith("gateway-key")] == []


def test_a_caller_cannot_claim_another_clients_name(plan):
    """The client header is set by the gateway from the token's claim; one a caller sends
    is removed before any filter runs."""
    (traffic,) = custom_resources(plan, EG, "ClientTrafficPolicy")
    assert traffic.inputs["spec"]["headers"] == {"earlyRequestHeaders": {"remove": [CLIENT_HEADER]}}
    assert valid(traffic, "ClientTrafficPolicy") == []
    (limits,) = custom_resources(plan, EG, "BackendTrafficPolicy")
    (rule,) = limits.inputs["spec"]["rateLimit"]["local"]["rules"]
    assert rule["clientSelectors"][0]["headers"][0] == {
        "name": CLIENT_HEADER,
        "type": "Exact",
        "value": "search",
    }


def test_the_endpoint_report_asks_for_a_token_not_a_key(plan):
    text = render_endpoints_table(endpoints_of(plan))
    assert "access tokens:   from https://login.example.com/" in text
    assert "gateway_api_keys" not in text
    assert "<an access token from your identity provider>" in text


def test_the_security_pack_accepts_the_jwt_gateway(planned):
    config, plan = planned
    with started_pack(ROOT / "policies" / "security") as stub:
        result = analyze(stub, json.loads(plan.to_json()), pack_config(config, {}))
    assert [d.policy for d in result.diagnostics if d.policy.startswith("gateway-")] == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("jwks_uri", "http://login.example.com/keys"),
        ("audiences", []),
        ("client_claim", "a claim"),
    ],
)
def test_a_bad_jwt_setting_names_its_path(field, value):
    with pytest.raises(ConfigError) as error:
        load(minimal_platform(gateway={"jwt": {**JWT, field: value}}))
    assert any(
        str(i).startswith(f"llm-infra:platform.gateway.jwt.{field}:") for i in error.value.issues
    )


def test_the_shipped_stacks_keep_api_keys(shipped_plan):
    assert "gateway_api_keys" in shipped_plan("dev").outputs
