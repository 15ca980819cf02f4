"""`gateway`: internal by default, public only to listed ranges, one key per named client."""

import pytest

from infra.config import ConfigError
from tests.harness import load, minimal_platform

P = "llm-infra:platform"


def issues_of(platform):
    with pytest.raises(ConfigError) as error:
        load(platform)
    return [str(issue) for issue in error.value.issues]


def test_the_gateway_is_on_internal_with_one_default_client_and_replicas_by_environment():
    dev = load(minimal_platform())
    assert dev.gateway.enabled and not dev.gateway.public
    assert [c.name for c in dev.gateway.clients] == ["default"]
    assert dev.gateway.replicas == 1
    prod = minimal_platform(environment="prod")
    prod["cluster"] = {}
    assert load(prod).gateway.replicas == 2


def test_a_public_gateway_needs_tls_and_the_ranges_it_admits():
    """A plain-HTTP listener on the internet would carry API keys readable by anyone."""
    public = {"public": True, "allowed_cidrs": ["203.0.113.0/24"]}
    assert issues_of(minimal_platform(gateway=public)) == [
        f"{P}.gateway.public: is true, but gateway.tls_hostname is not set, so the gateway "
        "speaks plain HTTP and clients' API keys would cross the internet unencrypted; set "
        "gateway.tls_hostname, or keep the gateway internal"
    ]
    config = load(minimal_platform(gateway={**public, "tls_hostname": "llm.example.com"}))
    assert config.gateway.public and config.gateway.tls_hostname == "llm.example.com"
    issues = issues_of(
        minimal_platform(gateway={"public": True, "tls_hostname": "llm.example.com"})
    )
    assert [i.split(": ")[0] for i in issues] == [f"{P}.gateway.allowed_cidrs"]


@pytest.mark.parametrize("name", ["LLM.example.com", "llm", "-llm.example.com", "llm.example.com."])
def test_the_tls_name_is_a_lower_case_fully_qualified_name(name):
    (issue,) = issues_of(minimal_platform(gateway={"tls_hostname": name}))
    assert issue.startswith(f"{P}.gateway.tls_hostname:")


def test_ranges_on_an_internal_gateway_are_refused():
    (issue,) = issues_of(minimal_platform(gateway={"allowed_cidrs": ["203.0.113.0/24"]}))
    assert issue.endswith("remove it, or set gateway.public: true")


def test_each_client_has_its_own_name_and_a_sane_limit():
    clients = [{"name": "team-a"}, {"name": "team-a", "requests_per_minute": 10}]
    (issue,) = issues_of(minimal_platform(gateway={"clients": clients}))
    assert issue.startswith(f"{P}.gateway.clients[1].name: 'team-a' is already used")
    issues = issues_of(
        minimal_platform(gateway={"clients": [{"name": "t", "requests_per_minute": 0}]})
    )
    assert any(i.startswith(f"{P}.gateway.clients[0].requests_per_minute:") for i in issues)
    assert issues_of(minimal_platform(gateway={"clients": []}))[0].startswith(
        f"{P}.gateway.clients:"
    )


def versioned(*models):
    base = minimal_platform()["models"][0]
    return minimal_platform(models=[{**base, **m} for m in models])


def test_a_model_and_its_versions_each_state_a_weight():
    config = load(
        versioned({"weight": 90}, {"name": "llama-canary", "version_of": "llama", "weight": 10})
    )
    assert [(m.name, m.version_of, m.weight) for m in config.models] == [
        ("llama", None, 90),
        ("llama-canary", "llama", 10),
    ]
    (issue,) = issues_of(
        versioned({}, {"name": "llama-canary", "version_of": "llama", "weight": 10})
    )
    assert issue == (
        f"{P}.models[0].weight: is missing, but 'llama' has versions (llama-canary); give the "
        "model and each version its share of the traffic, e.g. weight: 90 and weight: 10"
    )


def test_versions_belong_to_a_model_of_the_stack_that_is_not_itself_a_version():
    (issue,) = issues_of(versioned({}, {"name": "b", "version_of": "nope", "weight": 1}))
    assert issue.startswith(f"{P}.models[1].version_of: 'nope' is not another model")
    issues = issues_of(
        versioned(
            {"weight": 1},
            {"name": "b", "version_of": "llama", "weight": 1},
            {"name": "c", "version_of": "b", "weight": 1},
        )
    )
    assert issues == [
        f"{P}.models[2].version_of: 'b' is itself a version of 'llama'; write version_of: "
        "llama (versions belong to one model)"
    ]


def test_weights_need_versions_some_traffic_and_the_gateway():
    (issue,) = issues_of(versioned({"weight": 5}))
    assert issue.startswith(f"{P}.models[0].weight: is 5, but 'llama' has no versions")
    (issue,) = issues_of(
        versioned({"weight": 0}, {"name": "b", "version_of": "llama", "weight": 0})
    )
    assert issue.startswith(f"{P}.models[0].weight: is 0, as is every version's")
    platform = versioned({"weight": 1}, {"name": "b", "version_of": "llama", "weight": 1})
    (issue,) = issues_of({**platform, "gateway": {"enabled": False}})
    assert issue.startswith(f"{P}.models[1].version_of: is 'llama', but the gateway is off")
