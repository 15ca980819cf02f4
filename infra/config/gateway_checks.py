"""Checks of `gateway` beyond its fields, each naming the config path, the value and the fix
(the contract of infra.config.checks)."""

from collections.abc import Iterator

from infra.config.checks import Check, ConfigView
from infra.config.errors import PLATFORM_KEY, ConfigIssue, show

P = PLATFORM_KEY


def check_gateway_exposure(view: ConfigView) -> Iterator[ConfigIssue]:
    gateway = view.gateway
    if gateway is None or not gateway.enabled:
        return
    if gateway.public and gateway.tls_hostname is None:
        # a plain-HTTP listener: API keys would cross the internet in clear text
        yield ConfigIssue(
            f"{P}.gateway.public",
            "is true, but gateway.tls_hostname is not set, so the gateway speaks plain HTTP "
            "and clients' API keys would cross the internet unencrypted",
            "set gateway.tls_hostname, or keep the gateway internal",
        )
    if gateway.public and not gateway.allowed_cidrs:
        yield ConfigIssue(
            f"{P}.gateway.allowed_cidrs",
            "is empty, but the gateway is public, so its load balancer would admit nobody",
            "list the ranges your clients come from, or set gateway.public: false",
        )
    if not gateway.public and gateway.allowed_cidrs:
        yield ConfigIssue(
            f"{P}.gateway.allowed_cidrs",
            "is set, but the gateway is internal (gateway.public is false), reached from the "
            "network only",
            "remove it, or set gateway.public: true",
        )


def check_gateway_clients(view: ConfigView) -> Iterator[ConfigIssue]:
    gateway = view.gateway
    if gateway is None:
        return
    seen: dict[str, int] = {}
    for index, client in enumerate(gateway.clients):
        if client.name in seen:
            yield ConfigIssue(
                f"{P}.gateway.clients[{index}].name",
                f"{show(client.name)} is already used by gateway.clients[{seen[client.name]}]",
                "give each client its own name (each gets its own API key)",
            )
        seen.setdefault(client.name, index)


GATEWAY_CHECKS: tuple[Check, ...] = (check_gateway_exposure, check_gateway_clients)
