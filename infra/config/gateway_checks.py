"""Checks of `gateway` beyond its fields, each naming the config path, the value and the fix
(the contract of infra.config.checks)."""

from collections.abc import Iterator

from infra.config.checks import Check, ConfigView
from infra.config.errors import PLATFORM_KEY, ConfigIssue, show

P = PLATFORM_KEY
# Envoy Gateway's local rate limit: at most 16 rules (envoyproxy/gateway@v1.8.3
# api/v1alpha1/ratelimit_types.go, LocalRateLimit.Rules MaxItems=16), one per client.
LOCAL_RULES = 16


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


def check_gateway_dns(view: ConfigView) -> Iterator[ConfigIssue]:
    gateway = view.gateway
    if gateway is None or not gateway.enabled or gateway.dns_zone is None:
        return
    path, zone = f"{P}.gateway.dns_zone", gateway.dns_zone
    if gateway.tls_hostname is None:
        yield ConfigIssue(
            path,
            f"is {show(zone)}, but gateway.tls_hostname is not set, so there is no name to "
            "publish in it",
            f"set gateway.tls_hostname to a name in the zone, e.g. llm.{zone}",
        )
    elif not gateway.tls_hostname.endswith(f".{zone}"):
        yield ConfigIssue(
            path,
            f"is {show(zone)}, which does not hold gateway.tls_hostname "
            f"{show(gateway.tls_hostname)}",
            f"set gateway.tls_hostname to a name in the zone (e.g. llm.{zone}), or the zone "
            "to the name's parent domain",
        )
    if gateway.public:
        yield ConfigIssue(
            path,
            "is a private zone, seen only from the stack's network, but the gateway is public",
            "publish a public gateway's name in your public DNS and remove dns_zone, or set "
            "gateway.public: false",
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
    limited = [c for c in gateway.clients if c.requests_per_minute is not None]
    if len(limited) > LOCAL_RULES:
        yield ConfigIssue(
            f"{P}.gateway.clients",
            f"gives {len(limited)} clients a requests_per_minute, but a gateway's local "
            f"rate limit holds at most {LOCAL_RULES} rules",
            f"limit at most {LOCAL_RULES} clients, or group callers into teams",
        )


def check_model_versions(view: ConfigView) -> Iterator[ConfigIssue]:
    """`version_of` names a model that is not itself a version; every member of a model
    with versions states its weight, and some weight is above 0; versions need the gateway,
    which is what splits the traffic."""
    index_of = {model.name: i for i, model in view.models.items()}
    groups: dict[str, list[int]] = {}
    for i, model in view.models.items():
        path = f"{P}.models[{i}]"
        if model.version_of is None:
            continue
        primary = view.models.get(index_of.get(model.version_of, -1))
        if primary is None or model.version_of == model.name:
            yield ConfigIssue(
                f"{path}.version_of",
                f"{show(model.version_of)} is not another model of this stack",
                "name the model (its `name`) this one is a version of",
            )
        elif primary.version_of is not None:
            yield ConfigIssue(
                f"{path}.version_of",
                f"{show(model.version_of)} is itself a version of {show(primary.version_of)}",
                f"write version_of: {primary.version_of} (versions belong to one model)",
            )
        else:
            groups.setdefault(model.version_of, [index_of[model.version_of]]).append(i)
        if view.gateway is not None and not view.gateway.enabled:
            yield ConfigIssue(
                f"{path}.version_of",
                f"is {show(model.version_of)}, but the gateway is off (gateway.enabled is "
                "false), and it is the gateway that splits a model's traffic by weight",
                "set gateway.enabled: true, or remove version_of",
            )
    members = {i for group in groups.values() for i in group}
    for i, model in view.models.items():
        if model.weight is not None and i not in members and model.version_of is None:
            yield ConfigIssue(
                f"{P}.models[{i}].weight",
                f"is {model.weight}, but {show(model.name)} has no versions to share traffic with",
                "remove weight, or add a model with version_of: " + model.name,
            )
    for name, group in groups.items():
        for i in group:
            if view.models[i].weight is None:
                yield ConfigIssue(
                    f"{P}.models[{i}].weight",
                    f"is missing, but {show(name)} has versions "
                    f"({', '.join(view.models[j].name for j in group[1:])})",
                    "give the model and each version its share of the traffic, e.g. "
                    "weight: 90 and weight: 10",
                )
        if all(view.models[i].weight == 0 for i in group):
            yield ConfigIssue(
                f"{P}.models[{group[0]}].weight",
                f"is 0, as is every version's, so requests for {show(name)} would go nowhere",
                "give the version that should serve a weight above 0",
            )


def check_adapters(view: ConfigView) -> Iterator[ConfigIssue]:
    """Adapters are vLLM's (TGI's LoRA support is another engine's); each name is a
    `model` of its own at the gateway, so none may repeat a model's or another adapter's."""
    taken = {model.name: f"models[{i}]" for i, model in view.models.items()}
    for i, model in view.models.items():
        path = f"{P}.models[{i}]"
        if model.adapters and model.engine.value != "vllm":
            yield ConfigIssue(
                f"{path}.adapters",
                f"lists {len(model.adapters)} adapter(s), but {show(model.name)} runs on "
                f"{model.engine.value}, and only the vLLM servers here load LoRA adapters",
                "serve the model with engine: vllm, or remove its adapters",
            )
        if model.max_loras is not None and not model.adapters:
            yield ConfigIssue(
                f"{path}.max_loras",
                f"is {model.max_loras}, but {show(model.name)} has no adapters",
                "remove max_loras, or list the model's adapters",
            )
        for j, adapter in enumerate(model.adapters):
            where = f"{path}.adapters[{j}].name"
            if adapter.name in taken:
                yield ConfigIssue(
                    where,
                    f"{show(adapter.name)} is already the name of {taken[adapter.name]}",
                    "give the adapter a name no model or other adapter has",
                )
            taken.setdefault(adapter.name, f"models[{i}].adapters[{j}]")
        if model.adapters and view.gateway is not None and not view.gateway.enabled:
            yield ConfigIssue(
                f"{path}.adapters",
                "are listed, but the gateway is off (gateway.enabled is false), so no "
                "client could name them",
                "set gateway.enabled: true, or remove the adapters",
            )


GATEWAY_CHECKS: tuple[Check, ...] = (
    check_adapters,
    check_gateway_exposure,
    check_gateway_clients,
    check_gateway_dns,
    check_model_versions,
)
