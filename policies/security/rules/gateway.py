"""The front door: every Gateway asks for credentials, and its load balancer is internal
unless the stack opens it to listed ranges.

Read from Envoy Gateway's resources (envoyproxy/gateway@v1.8.3 api/v1alpha1): a
SecurityPolicy attaches to a Gateway by `targetRefs` and authenticates with `apiKeyAuth`,
`jwt`, `basicAuth`, `oidc` or `extAuth`; an EnvoyProxy's `provider.kubernetes.envoyService`
is the Service in front of the proxies.
"""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policies.lib.props import get, items, stack_environment
from policies.lib.rules import Resource, Rule, StackRule, rule, stack_rule

GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
SECURITY_POLICY = "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy"
ENVOY_PROXY = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"
AUTHENTICATIONS = ("apiKeyAuth", "jwt", "basicAuth", "oidc", "extAuth")
# The annotation that makes a LoadBalancer Service internal, per cloud: the AWS Load
# Balancer Controller's scheme (guide/service/annotations.md at v3.5.0), GKE's internal
# passthrough load balancer, AKS's internal load balancer.
INTERNAL = {
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
    "networking.gke.io/load-balancer-type": "Internal",
    "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
}
ANYWHERE = ("0.0.0.0/0", "::/0")


def _name(resource: Resource) -> str:
    return str(get(resource.props, "metadata", "name", default=resource.name))


def _namespace(resource: Resource) -> str:
    return str(get(resource.props, "metadata", "namespace", default=""))


def _authenticates(spec: Any) -> bool:
    """Some authentication that refuses a request without credentials: an optional JWT
    (`jwt.optional`, api/v1alpha1/jwt_types.go) lets such requests through."""
    methods = [key for key in AUTHENTICATIONS if get(spec, key)]
    return any(key != "jwt" or not get(spec, "jwt", "optional", default=False) for key in methods)


@stack_rule(
    "gateway-requires-auth",
    "Every Gateway has a SecurityPolicy that authenticates its requests (API keys, JWT, "
    "basic, OIDC or external auth)",
    mirrors="Envoy Gateway SecurityPolicy",
)
def gateway_requires_auth(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str | None]]:
    guarded: set[tuple[str, str]] = set()
    for policy in resources:
        if policy.type != SECURITY_POLICY:
            continue
        if not _authenticates(get(policy.props, "spec", default={})):
            continue
        spec = get(policy.props, "spec", default={})
        for ref in items(get(spec, "targetRefs", default=[])):
            if get(ref, "kind") == "Gateway":
                guarded.add((_namespace(policy), str(get(ref, "name"))))
    for gateway in resources:
        if gateway.type == GATEWAY and (_namespace(gateway), _name(gateway)) not in guarded:
            yield (
                f"Gateway {_name(gateway)} accepts requests without credentials: attach a "
                "SecurityPolicy with apiKeyAuth or jwt to it (gateway.clients)",
                gateway.urn,
            )


@rule(
    "gateway-load-balancer-internal",
    "A gateway's load balancer is internal, or admits only listed source ranges (never 0.0.0.0/0)",
    [ENVOY_PROXY],
    mirrors="AWS Load Balancer Controller, GKE and AKS internal load balancers",
)
def load_balancer_internal(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    service = get(resource.props, "spec", "provider", "kubernetes", "envoyService", default={})
    if get(service, "type", default="LoadBalancer") != "LoadBalancer":
        return
    annotations = get(service, "annotations", default={})
    if any(get(annotations, key) == value for key, value in INTERNAL.items()):
        return
    ranges = [str(r) for r in items(get(service, "loadBalancerSourceRanges", default=[]))]
    if not ranges:
        yield (
            "the gateway's load balancer is public and admits anyone: keep it internal "
            "(gateway.public: false), or list the clients' ranges in gateway.allowed_cidrs"
        )
    elif any(r in ANYWHERE for r in ranges):
        yield (
            "the gateway's load balancer admits anyone (0.0.0.0/0 or ::/0): list the clients' "
            "ranges in "
            "gateway.allowed_cidrs instead"
        )


BACKEND_TRAFFIC_POLICY = "kubernetes:gateway.envoyproxy.io/v1alpha1:BackendTrafficPolicy"


@stack_rule(
    "gateway-rate-limits-in-prod",
    "In prod every Gateway limits each client's requests (a BackendTrafficPolicy with a "
    "rate limit), so one caller cannot take every GPU",
    mirrors="Envoy Gateway BackendTrafficPolicy rateLimit",
)
def gateway_rate_limits_in_prod(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str | None]]:
    if stack_environment(resources, config) != "prod":
        return
    limited: set[tuple[str, str]] = set()
    for policy in resources:
        if policy.type != BACKEND_TRAFFIC_POLICY or not get(policy.props, "spec", "rateLimit"):
            continue
        for ref in items(get(policy.props, "spec", "targetRefs", default=[])):
            if get(ref, "kind") == "Gateway":
                limited.add((_namespace(policy), str(get(ref, "name"))))
    for gateway in resources:
        if gateway.type == GATEWAY and (_namespace(gateway), _name(gateway)) not in limited:
            yield (
                f"Gateway {_name(gateway)} has no request limits in prod: give each of "
                "gateway.clients a requests_per_minute",
                gateway.urn,
            )


@stack_rule(
    "gateway-tls-in-prod",
    "In prod a Gateway's listeners speak TLS (HTTPS): API keys and prompts never cross the "
    "network in clear text",
    mirrors="Gateway API listener protocol and tls",
)
def gateway_tls_in_prod(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str | None]]:
    # the stack's environment from its cloud resources' tags (Kubernetes objects carry none)
    if stack_environment(resources, config) != "prod":
        return
    for gateway in resources:
        if gateway.type != GATEWAY:
            continue
        for listener in items(get(gateway.props, "spec", "listeners", default=[])):
            if get(listener, "protocol") not in ("HTTPS", "TLS"):
                yield (
                    f"Gateway {_name(gateway)}: listener {get(listener, 'name')} speaks "
                    f"{get(listener, 'protocol')}: set gateway.tls_hostname so it serves HTTPS",
                    gateway.urn,
                )


RULES: list[Rule | StackRule] = [
    gateway_tls_in_prod,
    gateway_requires_auth,
    load_balancer_internal,
    gateway_rate_limits_in_prod,
]
