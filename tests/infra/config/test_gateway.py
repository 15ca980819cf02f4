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


def test_a_public_gateway_is_refused_until_it_has_tls():
    """The listener is plain HTTP: a key sent over the internet would be readable."""
    issues = issues_of(
        minimal_platform(gateway={"public": True, "allowed_cidrs": ["203.0.113.0/24"]})
    )
    assert issues == [
        f"{P}.gateway.public: is true, but the gateway has no TLS yet, so clients' API keys "
        "would cross the internet unencrypted; keep the gateway internal (reach it over your "
        "network, a VPN or peering)"
    ]
    issues = issues_of(minimal_platform(gateway={"public": True}))
    assert any(i.startswith(f"{P}.gateway.allowed_cidrs: is empty") for i in issues)


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
