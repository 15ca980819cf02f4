"""The front door: one OpenAI-compatible endpoint that routes each request by its `model`.

Envoy Gateway (the Gateway API implementation) with Envoy AI Gateway (its extension that
reads the request body's `model` into the `x-ai-eg-model` header, answers `/v1/models`,
and exports token usage per model), both pinned and installed by Helm on every cloud:

- Envoy AI Gateway v1.1.0 supports Envoy Gateway v1.8.1 and later in the v1.8 line,
  Kubernetes 1.32+ and Gateway API v1.5.x (envoyproxy/ai-gateway@v1.1.0
  site/versioned_docs/version-1.1/compatibility.md:11-14); Envoy Gateway v1.8.3 is that
  line's newest patch and ships Gateway API v1.5.1 (charts/gateway-helm/charts/crds/crds/
  gatewayapi-crds.yaml). Both charts are versioned with their release tag.
- Envoy Gateway is installed with the values Envoy AI Gateway requires
  (manifests/envoy-gateway-values.yaml at v1.1.0: the Backend API and the extension
  manager pointing at `ai-gateway-controller.envoy-ai-gateway-system`, so that namespace
  and name are fixed).
- Every model gets an Envoy Gateway `Backend` (its Service's DNS name) and an
  `AIServiceBackend` (schema OpenAI), which must name a Backend, not a Service
  (api/v1beta1/ai_service_backend.go:58-67); `AIGatewayRoute`s hold at most 15 rules each
  (api/v1beta1/ai_gateway_route.go:77-98).
- Every request needs an API key: a SecurityPolicy on the Gateway with `apiKeyAuth` reads
  `Authorization: Bearer <key>` (Envoy strips "Bearer "), forwards the client's name in
  `x-llm-infra-client` and removes the key before the model servers see it
  (envoyproxy/gateway@v1.8.3 api/v1alpha1/api_key_auth_types.go). Per-client request
  limits are local rate limits on that header (api/v1alpha1/ratelimit_types.go).
- The proxies' Service is the cloud's internal load balancer unless config makes it
  public, and then admits only the allowed ranges (`loadBalancerSourceRanges`).
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from workloads.endpoint_picker import (
    BACKEND_RESOURCE,
    POOL_GROUP,
    EndpointPicker,
    InferencePoolCrds,
    reference_grant_spec,
)
from workloads.monitors import MONITORING_API, SCRAPE_INTERVAL
from workloads.placement import CPU_POOL_RELEASE_TIMEOUT, HOSTNAME, Placement, soft_spread
from workloads.rate_limit_store import RateLimitStore
from workloads.wire import wire

EG_CHART = "oci://docker.io/envoyproxy/gateway-helm"
EG_VERSION = "v1.8.3"
AIGW_CRDS_CHART = "oci://docker.io/envoyproxy/ai-gateway-crds-helm"
AIGW_CHART = "oci://docker.io/envoyproxy/ai-gateway-helm"
AIGW_VERSION = "v1.1.0"
EG_NAMESPACE = "envoy-gateway-system"
AIGW_NAMESPACE = "envoy-ai-gateway-system"
AIGW_CONTROLLER = "ai-gateway-controller"
EXTENSION_PORT = 1063
CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller"
GATEWAY_CLASS = "llm-infra"
GATEWAY = "llm-gateway"
SERVICE = "llm-gateway"
"""The proxies' Service (EnvoyProxy envoyService.name), so its in-cluster name is known."""
LISTENER_PORT = 80
TLS_PORT = 443
TLS_SECRET = "llm-gateway-tls"
MODEL_HEADER = "x-ai-eg-model"
CLIENT_HEADER = "x-llm-infra-client"
API_KEYS_SECRET = "llm-gateway-api-keys"
RULES_PER_ROUTE = 15
METRICS_CLIENT_ATTRIBUTE = "llm_infra.client"
# A generation can stream for minutes; Gateway API's request timeout covers it all.
REQUEST_TIMEOUT = "900s"
# Envoy's 32 KiB default buffer is too small for long prompts (Envoy AI Gateway's basic
# example raises it to 50Mi: examples/basic/basic.yaml:30-43). It is held per connection,
# so 8Mi (a prompt of about two million characters) keeps a proxy's 1Gi limit out of reach
# of a few dozen large requests.
BUFFER_LIMIT = "8Mi"
EG_API = "gateway.envoyproxy.io/v1alpha1"
AIGW_API = "aigateway.envoyproxy.io/v1beta1"
GATEWAY_API = "gateway.networking.k8s.io/v1"
# ReferenceGrant's stored version, served by every Gateway API v1 release (v1.5.1, in Envoy
# Gateway v1.8.3's charts/gateway-helm/charts/crds/crds/gatewayapi-crds.yaml, also serves
# v1, which older CRDs a cluster may already hold do not)
GATEWAY_API_BETA = "gateway.networking.k8s.io/v1beta1"
ROUTES_GRANT = "llm-gateway-routes"
# the chart's service account (charts/gateway-helm/templates/envoy-gateway-serviceaccount.yaml
# at v1.8.3), which our ClusterRole lets read InferencePools
EG_SERVICE_ACCOUNT = "envoy-gateway"
POOL_READER = "llm-infra-envoy-gateway-inference-pools"
CONFIG_CHECKSUM = "llm-infra.io/config-checksum"
ENVOY_REQUESTS = {"cpu": "250m", "memory": "512Mi"}
ENVOY_LIMITS = {"memory": "1Gi"}
RATE_LIMIT_RESOURCES = {
    "requests": {"cpu": "100m", "memory": "128Mi"},
    "limits": {"memory": "512Mi"},
}
# The dynamic metadata Envoy AI Gateway writes each response's token count to
# (`llmRequestCosts`, namespace io.envoy.ai_gateway: api/v1beta1/ai_gateway_route.go:100-208
# at v1.1.0), which the token budgets charge.
TOKEN_COST_NAMESPACE = "io.envoy.ai_gateway"
TOKEN_COST_KEY = "llm_total_token"


@dataclass(frozen=True)
class Upstream:
    """A model the gateway routes to: the `model` clients send and where it is served."""

    model: str
    service: str
    namespace: str
    port: int
    version_of: str | None = None
    """The model whose traffic this one shares (a canary, an A/B arm); None: its own."""
    weight: int | None = None
    """Its share of that traffic, relative to the others'; None: the only one."""
    adapters: tuple[str, ...] = ()
    """LoRA adapters its servers serve under their own names (each a `model` of its own)."""
    servers: Mapping[str, str] | None = None
    """The selector labels of its pods when an endpoint picker places its requests (an
    InferencePool named after its Service, in its namespace); None: its Service spreads
    them."""

    @property
    def picked(self) -> bool:
        return self.servers is not None


@dataclass(frozen=True)
class Client:
    name: str
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    """Input plus output tokens a minute across every proxy (global, in the counter store)."""


@dataclass(frozen=True)
class Jwt:
    """OIDC access tokens instead of API keys: who issues them, where their keys are."""

    issuer: str
    jwks_uri: str
    audiences: tuple[str, ...]
    client_claim: str = "sub"


@dataclass(frozen=True)
class GatewayArgs:
    upstreams: tuple[Upstream, ...]
    clients: tuple[Client, ...]
    replicas: int
    public: bool
    allowed_cidrs: tuple[str, ...]
    load_balancer_annotations: Mapping[str, str]
    tls_hostname: str | None = None
    """HTTPS under this name with the `llm-gateway-tls` certificate; None: plain HTTP."""
    jwt: Jwt | None = None
    """Authenticate by JWT; None: by the API keys."""
    sleeping: tuple[str, ...] = ()
    """The servers that scale to zero: their rules hold requests (retry) while they wake."""


def rate_limit_config(store_url: str, placement: Mapping[str, Any]) -> dict[str, Any]:
    """Envoy Gateway's global rate limit (`config.envoyGateway.rateLimit`: api/v1alpha1/
    envoygateway_types.go:561-580,636-675 at v1.8.3) in the counter store, failing open
    (the default, said here); its one rate limit pod on the CPU pool with requests and a
    limit (`provider.kubernetes.rateLimitDeployment`: :358-363; setting `resources` replaces
    the default requests, kubernetes_helpers.go:120-122)."""
    return {
        "rateLimit": {
            "backend": {"type": "Redis", "redis": {"url": store_url}},
            "timeout": "100ms",
            "failClosed": False,
        },
        "provider": {
            "type": "Kubernetes",
            "kubernetes": {
                "rateLimitDeployment": {
                    "replicas": 1,
                    "pod": dict(placement),
                    "container": {"resources": RATE_LIMIT_RESOURCES},
                }
            },
        },
    }


def pool_reader_rules() -> list[dict[str, Any]]:
    """What Envoy Gateway needs to watch InferencePools as route backends. Envoy AI
    Gateway's chart grants the same (manifests/charts/ai-gateway-helm/templates/
    envoy_gateway_cluster_role_for_inference_pool.yaml at v1.1.0), but it is installed
    after Envoy Gateway, which is not Ready until every watch has synced
    (envoyproxy/gateway@v1.8.3 internal/provider/kubernetes/kubernetes.go:78-92,390)."""
    return [
        {
            "apiGroups": [POOL_GROUP],
            "resources": ["inferencepools"],
            "verbs": ["get", "list", "watch"],
        }
    ]


def config_checksum(config: Mapping[str, Any]) -> str:
    """A digest of Envoy Gateway's configuration, on its pod: a change rolls the pod (and
    Helm waits for it), where the chart would leave it to reload the file whenever the
    kubelet refreshes its ConfigMap, after `pulumi up` has moved on."""
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]


def envoy_gateway_values(
    placement: Mapping[str, Any], store_url: str | None = None
) -> dict[str, Any]:
    """Envoy Gateway's chart values (charts/gateway-helm/values.tmpl.yaml at v1.8.3) with
    Envoy AI Gateway's required settings (manifests/envoy-gateway-values.yaml at v1.1.0) and,
    with token budgets, the global rate limit in the counter store at `store_url`."""
    limits = rate_limit_config(store_url, placement) if store_url is not None else {}
    config = {
        "envoyGateway": {
            "gateway": {"controllerName": CONTROLLER_NAME},
            "logging": {"level": {"default": "info"}},
            "provider": {"type": "Kubernetes"},
            **limits,
            "extensionApis": {"enableEnvoyPatchPolicy": True, "enableBackend": True},
            "extensionManager": {
                # InferencePools as route backends, handed to AI Gateway's extension
                # (examples/inference-pool/envoy-gateway-values-addon.yaml at v1.1.0);
                # always on with the gateway, so a first pool never changes this release
                "backendResources": [BACKEND_RESOURCE],
                "hooks": {
                    "xdsTranslator": {
                        "translation": {
                            part: {"includeAll": True}
                            for part in ("listener", "route", "cluster", "secret")
                        },
                        "post": ["Translation", "Cluster", "Route"],
                    }
                },
                "service": {
                    "fqdn": {
                        "hostname": f"{AIGW_CONTROLLER}.{AIGW_NAMESPACE}.svc.cluster.local",
                        "port": EXTENSION_PORT,
                    }
                },
            },
        }
    }
    return {
        "config": config,
        # the chart's own requests, said here so the scheduling simulation counts them
        "deployment": {
            "envoyGateway": {
                "resources": {
                    "requests": {"cpu": "100m", "memory": "256Mi"},
                    "limits": {"memory": "1024Mi"},
                }
            },
            "pod": {
                **placement,
                "annotations": {CONFIG_CHECKSUM: config_checksum(config)},
            },
        },
        "certgen": {"job": dict(placement)},
    }


def ai_gateway_values(placement: Mapping[str, Any]) -> dict[str, Any]:
    """Envoy AI Gateway's controller values (manifests/charts/ai-gateway-helm/values.yaml
    at v1.1.0)."""
    return {
        "controller": {
            **placement,
            # Its webhook injects the external processor into every new proxy pod and fails
            # closed (values.yaml:261-263; failurePolicy Fail): two replicas and a PDB keep
            # a drain from stalling the proxies' rollouts.
            "replicaCount": 2,
            "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
            "resources": {
                "requests": {"cpu": "100m", "memory": "128Mi"},
                "limits": {"memory": "512Mi"},
            },
            # the caller's name on every token and request metric, as the label
            # `llm_infra_client` (values.yaml:107-110: "header:label" pairs; the Prometheus
            # exporter turns the dot into an underscore)
            "metricsRequestHeaderAttributes": f"{CLIENT_HEADER}:{METRICS_CLIENT_ATTRIBUTE}",
        }
    }


def envoy_proxy_spec(args: GatewayArgs, placement: Mapping[str, Any]) -> dict[str, Any]:
    """The proxies as Envoy Gateway deploys them (api/v1alpha1/envoyproxy_types.go and
    shared_types.go at v1.8.3): replicas on the CPU pool, their Service the cloud's load
    balancer."""
    service: dict[str, Any] = {
        "name": SERVICE,
        "type": "LoadBalancer",
        "annotations": dict(args.load_balancer_annotations),
        # Envoy Gateway's default, said explicitly: nodes without a proxy fail the load
        # balancer's health check instead of forwarding to another node
        "externalTrafficPolicy": "Local",
    }
    # one proxy per node where the pool has the nodes, so a drain takes one
    spread = soft_spread(HOSTNAME, {"app.kubernetes.io/name": "envoy"})
    if args.public:
        service["loadBalancerSourceRanges"] = list(args.allowed_cidrs)
    return {
        "provider": {
            "type": "Kubernetes",
            "kubernetes": {
                "envoyDeployment": {
                    "replicas": args.replicas,
                    "pod": {**placement, "topologySpreadConstraints": [spread]},
                    "container": {
                        "resources": {"requests": ENVOY_REQUESTS, "limits": ENVOY_LIMITS}
                    },
                },
                "envoyService": service,
                **({"envoyPDB": {"minAvailable": 1}} if args.replicas > 1 else {}),
            },
        }
    }


def gateway_spec(tls_hostname: str | None = None) -> dict[str, Any]:
    """One listener: HTTPS under the TLS name (the certificate's Secret beside the Gateway:
    Gateway API listener `tls.mode: Terminate`, `certificateRefs`), else plain HTTP."""
    listener: dict[str, Any] = {
        "name": "http",
        "protocol": "HTTP",
        "port": LISTENER_PORT,
        "allowedRoutes": {"namespaces": {"from": "Same"}},
    }
    if tls_hostname is not None:
        listener = {
            "name": "https",
            "protocol": "HTTPS",
            "port": TLS_PORT,
            "hostname": tls_hostname,
            "tls": {
                "mode": "Terminate",
                "certificateRefs": [{"group": "", "kind": "Secret", "name": TLS_SECRET}],
            },
            "allowedRoutes": {"namespaces": {"from": "Same"}},
        }
    return {
        "gatewayClassName": GATEWAY_CLASS,
        "listeners": [listener],
        "infrastructure": {
            "parametersRef": {
                "group": "gateway.envoyproxy.io",
                "kind": "EnvoyProxy",
                "name": GATEWAY,
            }
        },
    }


def backend_spec(upstream: Upstream) -> dict[str, Any]:
    host = f"{upstream.service}.{upstream.namespace}.svc.cluster.local"
    return {"endpoints": [{"fqdn": {"hostname": host, "port": upstream.port}}]}


def ai_service_backend_spec(name: str) -> dict[str, Any]:
    return {
        "schema": {"name": "OpenAI"},
        "backendRef": {"name": name, "kind": "Backend", "group": "gateway.envoyproxy.io"},
    }


def route_specs(
    upstreams: Sequence[Upstream], *, token_costs: bool = False
) -> list[dict[str, Any]]:
    """AIGatewayRoute specs, one rule per model, at most 15 rules a route.

    A model with versions gets one rule that splits its traffic by weight (Gateway API
    backendRef weights, AIGatewayRoute `backendRefs[].weight`), rewriting the request's
    `model` to each version's own served name (`modelNameOverride`:
    api/v1beta1/ai_gateway_route.go:354-358 at v1.1.0); each version also answers under
    its own name, so a canary can be tried before it takes traffic."""
    rules = [_rule(requested, owner, members) for requested, owner, members in rule_plan(upstreams)]
    costs = (
        {"llmRequestCosts": [{"metadataKey": TOKEN_COST_KEY, "type": "TotalToken"}]}
        if token_costs
        else {}
    )
    return [
        {
            "parentRefs": [
                {"name": GATEWAY, "kind": "Gateway", "group": "gateway.networking.k8s.io"}
            ],
            "rules": rules[start : start + RULES_PER_ROUTE],
            **costs,
        }
        for start in range(0, len(rules), RULES_PER_ROUTE)
    ]


def rule_plan(upstreams: Sequence[Upstream]) -> list[tuple[str, Upstream, list[Upstream]]]:
    """Every rule in route order, as (the `model` it matches, the upstream it belongs to,
    the servers it sends to): each model's own, then each adapter's, after every model's
    (so adding one never moves a model's rule, whose place names its Envoy cluster). An
    adapter goes to its base model's servers alone: a version need not serve it."""
    own = [(u.model, u, [u, *versions_of(u, upstreams)]) for u in upstreams]
    adapters = [(name, u, [u]) for u in upstreams for name in u.adapters]
    return [*own, *adapters]


def _rule(requested: str, upstream: Upstream, members: Sequence[Upstream]) -> dict[str, Any]:
    if requested in upstream.adapters:
        # the servers answer to the adapter's own name: no rewrite. Through the Service,
        # never the pool: AI Gateway v1.1.0 adds the pool's endpoint-picker filter once per
        # route naming the pool, so a second rule would run the picker twice on each
        # request (internal/extensionserver/post_translate_modify.go:577-595,655-670)
        refs = [{"name": backend_name(upstream)}]
    elif upstream.picked:
        if len(members) > 1:
            raise ValueError(f"{upstream.model}: a picked model cannot have versions")
        refs = [pool_ref(upstream)]
    else:
        refs = [backend_ref(member, requested, shared=len(members) > 1) for member in members]
    return {
        "name": rule_name(requested),
        "matches": [{"headers": [{"type": "Exact", "name": MODEL_HEADER, "value": requested}]}],
        "backendRefs": refs,
        "timeouts": {"request": REQUEST_TIMEOUT},
    }


def rule_clusters(upstreams: Sequence[Upstream]) -> dict[str, list[str]]:
    """The Envoy clusters each server's traffic goes through: Envoy Gateway names a route
    rule's cluster `httproute/<namespace>/<route>/rule/<index>`
    (envoyproxy/gateway@v1.8.3 internal/gatewayapi/helpers.go:479-503), and AI Gateway's
    generated HTTPRoute keeps the AIGatewayRoute's name and rule order
    (envoyproxy/ai-gateway@v1.1.0 internal/controller/ai_gateway_route.go:189-200,321-343)."""
    found: dict[str, list[str]] = {}
    for index, (_, _, members) in enumerate(rule_plan(upstreams)):
        route, rule = divmod(index, RULES_PER_ROUTE)
        cluster = f"httproute/{EG_NAMESPACE}/models-{route}/rule/{rule}"
        for member in members:
            found.setdefault(member.model, []).append(cluster)
    return found


def wake_query(clusters: Sequence[str]) -> str:
    """Requests reaching a server's rules, served or not: connects that fail while it has
    no pod (each retry counts) and requests it serves (so it is not put back to zero while
    in use). No Envoy gauge counts requests held in retry backoff, so these counters are
    the signal; a cluster split per backend gets a `/backend/<n>` suffix (helpers.go:501)."""
    names = "|".join(clusters)
    return (
        'sum(rate({__name__=~"envoy_cluster_upstream_(rq_total|cx_connect_fail)",'
        f'envoy_cluster_name=~"({names})(/backend/[0-9]+)?"}}[2m]))'
    )


def wake_retry_spec() -> dict[str, Any]:
    """Hold a request for a model at zero replicas while it wakes: retry connect failures
    with backoff (BackendTrafficPolicy `retry`: api/v1alpha1/retry_types.go at v1.8.3) up
    to the rules' 900 s request timeout, which bounds the hold. Only failures before a
    request reached a server are retried, so no half-done generation runs twice."""
    return {
        "numRetries": 100,
        "retryOn": {"triggers": ["connect-failure", "reset-before-request", "refused-stream"]},
        "perRetry": {"backOff": {"baseInterval": "1s", "maxInterval": "20s"}},
    }


def wake_policy_spec(
    upstreams: Sequence[Upstream], sleeping: Sequence[str]
) -> dict[str, Any] | None:
    """The retries, on exactly the rules that reach a sleeping server: each targeted by the
    generated HTTPRoute's name and the rule's name (`sectionName`; a rule-level policy,
    site/content/en/latest/concepts/gateway_api_extensions/backend-traffic-policy.md:78 at
    v1.8.3), merged into the Gateway's policy so its limits still apply (`mergeType`:
    internal/gatewayapi/backendtrafficpolicy.go:497-520,860-890). A pool's rule is never
    retried: a retry goes back to the pod its endpoint picker chose. None: nothing sleeps."""
    targets = []
    for index, (requested, _, members) in enumerate(rule_plan(upstreams)):
        if any(m.model in sleeping for m in members):
            targets.append(
                {
                    "group": "gateway.networking.k8s.io",
                    "kind": "HTTPRoute",
                    "name": f"models-{index // RULES_PER_ROUTE}",
                    "sectionName": rule_name(requested),
                }
            )
    if not targets:
        return None
    return {"targetRefs": targets, "mergeType": "StrategicMerge", "retry": wake_retry_spec()}


def rule_name(model: str) -> str:
    return model.replace("/", "-").replace(".", "-").lower()[:63]


def versions_of(upstream: Upstream, upstreams: Sequence[Upstream]) -> list[Upstream]:
    """The versions sharing a model's traffic; none for a version itself (its own name
    reaches only it)."""
    if upstream.version_of is not None:
        return []
    return [u for u in upstreams if u.version_of == upstream.model]


def backend_ref(member: Upstream, requested: str, *, shared: bool) -> dict[str, Any]:
    ref: dict[str, Any] = {"name": backend_name(member)}
    if member.model != requested:
        ref["modelNameOverride"] = member.model
    if shared:
        ref["weight"] = member.weight
    return ref


def pool_ref(upstream: Upstream) -> dict[str, Any]:
    """A rule's one InferencePool, in the model's namespace (a ReferenceGrant there admits
    the route); nothing else may share the rule."""
    return {
        "group": POOL_GROUP,
        "kind": "InferencePool",
        "name": upstream.service,
        "namespace": upstream.namespace,
    }


def balancing(upstreams: Sequence[Upstream]) -> dict[str, str]:
    """What places each model's requests on its servers (the `balancing` of the gateway
    output): `endpoint-picker` or `service`."""
    return {
        requested: "endpoint-picker" if owner.picked and requested == owner.model else "service"
        for requested, owner, _ in rule_plan(upstreams)
    }


def traffic(upstreams: Sequence[Upstream]) -> dict[str, list[dict[str, Any]]]:
    """Where each requested model's traffic goes: server, weight and percent (the `routes`
    of the gateway output, which plans and PR diffs show)."""
    split = {}
    for requested, _, members in rule_plan(upstreams):
        total = sum(m.weight or 0 for m in members) if len(members) > 1 else 0
        split[requested] = [
            {
                "server": m.model,
                "weight": m.weight if len(members) > 1 else None,
                "percent": round(100 * (m.weight or 0) / total, 1) if total else 100.0,
            }
            for m in members
        ]
    return split


def backend_name(upstream: Upstream) -> str:
    return f"{upstream.service}-{upstream.namespace}"[:63]


def security_policy_spec(jwt: Jwt | None = None) -> dict[str, Any]:
    """API keys (`apiKeyAuth`), or with `jwt` the tokens of an OIDC provider (`jwt`:
    api/v1alpha1/jwt_types.go at v1.8.3; not optional, so a request without a token is
    refused), whose client claim is copied into the client header the limits select on."""
    target = gateway_target()
    if jwt is not None:
        return {
            "targetRefs": target,
            "jwt": {
                "providers": [
                    {
                        "name": "oidc",
                        "issuer": jwt.issuer,
                        "audiences": list(jwt.audiences),
                        "remoteJWKS": {"uri": jwt.jwks_uri},
                        "claimToHeaders": [{"header": CLIENT_HEADER, "claim": jwt.client_claim}],
                    }
                ]
            },
        }
    return {
        "targetRefs": target,
        "apiKeyAuth": {
            "credentialRefs": [{"group": "", "kind": "Secret", "name": API_KEYS_SECRET}],
            "extractFrom": [{"headers": ["authorization"]}],
            "forwardClientIDHeader": CLIENT_HEADER,
            "sanitize": True,
        },
    }


def rate_limit_spec(clients: Sequence[Client]) -> dict[str, Any] | None:
    """Per client, on the client header the authentication sets: request limits, local (per
    proxy); token budgets, global (one count across proxies and models: `shared`), each
    request checked against what the client already spent and charged its response's total
    tokens (`cost.response` from AI Gateway's metadata; a stream already admitted finishes:
    site/versioned_docs/version-1.1/capabilities/traffic/usage-based-ratelimiting.md at
    v1.1.0). None when no client has a limit. Global and local rules share one policy
    (`type` is deprecated: api/v1alpha1/ratelimit_types.go:14-29 at v1.8.3), as a second
    BackendTrafficPolicy on the Gateway would conflict."""

    def selector(client: Client) -> list[dict[str, Any]]:
        return [{"headers": [{"name": CLIENT_HEADER, "type": "Exact", "value": client.name}]}]

    local = [
        {
            "clientSelectors": selector(client),
            "limit": {"requests": client.requests_per_minute, "unit": "Minute"},
        }
        for client in clients
        if client.requests_per_minute is not None
    ]
    tokens = [
        {
            "clientSelectors": selector(client),
            "limit": {"requests": client.tokens_per_minute, "unit": "Minute"},
            "shared": True,
            "cost": {
                "request": {"from": "Number", "number": 0},
                "response": {
                    "from": "Metadata",
                    "metadata": {"namespace": TOKEN_COST_NAMESPACE, "key": TOKEN_COST_KEY},
                },
            },
        }
        for client in clients
        if client.tokens_per_minute is not None
    ]
    if not local and not tokens:
        return None
    limits: dict[str, Any] = {}
    if local:
        limits["local"] = {"rules": local}
    if tokens:
        limits["global"] = {"rules": tokens}
    return {
        "targetRefs": gateway_target(),
        "rateLimit": limits,
    }


def gateway_target() -> list[dict[str, str]]:
    return [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": GATEWAY}]


def token_budgets(clients: Sequence[Client]) -> bool:
    return any(client.tokens_per_minute is not None for client in clients)


def client_traffic_spec(tls: bool = False) -> dict[str, Any]:
    """Larger request buffers, no caller-set client header (`headers.earlyRequestHeaders`:
    api/v1alpha1/clienttrafficpolicy_types.go:176-180 at v1.8.3); with TLS, TLS 1.2 or
    newer (`tls.minVersion`: api/v1alpha1/tls_types.go at v1.8.3, where 1.2 is also the
    default, said here so a policy can see it)."""
    spec: dict[str, Any] = {
        "targetRefs": gateway_target(),
        "connection": {"bufferLimit": BUFFER_LIMIT},
        # The client header is the gateway's to set (from the API key or the token): one a
        # caller sends is dropped before any filter runs (early header mutation), so no one
        # spends another client's limits or is counted as them.
        "headers": {"earlyRequestHeaders": {"remove": [CLIENT_HEADER]}},
    }
    if tls:
        spec["tls"] = {"minVersion": "1.2"}
    return spec


def proxy_pod_monitor_spec() -> dict[str, Any]:
    """Scrapes every proxy pod: Envoy's own stats (port `metrics`, 19001,
    `/stats/prometheus`: envoyproxy/gateway@v1.8.3 internal/infrastructure/kubernetes/proxy/
    resource.go:84-90, examples/kubernetes/metric/pod-monitor.yaml) and the AI Gateway
    sidecar's token and request metrics (port `aigw-admin`, 1064, `/metrics`:
    envoyproxy/ai-gateway@v1.1.0 internal/controller/extproc_builder.go:31-32,163-165,
    examples/monitoring/monitoring.yaml:21-58)."""
    return {
        "selector": {
            "matchLabels": {
                "app.kubernetes.io/name": "envoy",
                "app.kubernetes.io/component": "proxy",
                "app.kubernetes.io/managed-by": "envoy-gateway",
            }
        },
        "namespaceSelector": {"matchNames": [EG_NAMESPACE]},
        "podMetricsEndpoints": [
            {"port": "metrics", "path": "/stats/prometheus", "interval": SCRAPE_INTERVAL},
            {"port": "aigw-admin", "path": "/metrics", "interval": SCRAPE_INTERVAL},
        ],
    }


def in_cluster_url(tls_hostname: str | None = None) -> str:
    if tls_hostname is not None:
        return f"https://{tls_hostname}"
    return f"http://{SERVICE}.{EG_NAMESPACE}.svc:{LISTENER_PORT}"


class Gateway(pulumi.ComponentResource):
    """The front door. Creates: the Inference Extension's CRDs (`-inference-crds`), the
    Envoy Gateway release (`-envoy-gateway`), Envoy AI Gateway's CRDs and controller
    (`-ai-gateway-crds`, `-ai-gateway`), all on the CPU pool; the GatewayClass, EnvoyProxy
    and Gateway; per model a Backend and an AIServiceBackend, or for a picked model its
    InferencePool and endpoint picker (`-picker-<model>`) with a ReferenceGrant in its
    namespace;
    the AIGatewayRoutes; the API keys' Secret (`api_keys`: client name → key, secrets); the
    SecurityPolicy, the ClientTrafficPolicy and, with limits, the BackendTrafficPolicy.
    Custom resources wait for the release that installs their CRDs; the Gateway also for
    what the cloud's load balancers need (`load_balancers_ready`)."""

    def __init__(
        self,
        name: str,
        args: GatewayArgs,
        *,
        kubernetes_provider: k8s.Provider,
        namespaces: Mapping[str, k8s.core.v1.Namespace],
        placement: Placement,
        load_balancers_ready: Sequence[pulumi.Resource],
        api_keys: Mapping[str, pulumi.Input[str]],
        certificate: pulumi.Resource | None = None,
        monitoring: Sequence[pulumi.Resource] = (),
        routes_after: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:workloads:Gateway", name, None, opts)
        pods = placement.pod_fields()

        def opts_(*after: pulumi.Resource) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(
                parent=self, provider=kubernetes_provider, depends_on=list(after)
            )

        def release(
            suffix: str,
            chart: str,
            version: str,
            namespace: str,
            *,
            release_name: str,
            values: Mapping[str, Any] | None = None,
            after: Sequence[pulumi.Resource] = (),
        ) -> k8s.helm.v3.Release:
            return k8s.helm.v3.Release(
                f"{name}-{suffix}",
                name=release_name,
                chart=chart,
                version=version,
                namespace=namespace,
                values=wire(values) if values is not None else None,
                atomic=True,
                timeout=CPU_POOL_RELEASE_TIMEOUT,
                opts=opts_(namespaces[namespace], *after),
            )

        # token budgets: the counter store first, as the rate limit service waits for it
        store = (
            RateLimitStore(
                f"{name}-counters",
                namespace=EG_NAMESPACE,
                kubernetes_provider=kubernetes_provider,
                placement=placement,
                after=[namespaces[EG_NAMESPACE]],
                opts=pulumi.ResourceOptions(parent=self),
            )
            if token_budgets(args.clients)
            else None
        )
        # Envoy Gateway watches InferencePools from its start, and is not Ready until that
        # watch has synced: their CRDs and its right to read them come first
        pool_crds = InferencePoolCrds(
            f"{name}-inference-crds",
            kubernetes_provider=kubernetes_provider,
            opts=pulumi.ResourceOptions(parent=self),
        )
        pool_reader = k8s.rbac.v1.ClusterRole(
            f"{name}-pool-reader",
            metadata={"name": POOL_READER},
            rules=wire(pool_reader_rules()),
            opts=opts_(*pool_crds.crds),
        )
        pool_reading = k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-pool-reader-binding",
            metadata={"name": POOL_READER},
            role_ref=wire(
                {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": POOL_READER,
                }
            ),
            subjects=wire(
                [{"kind": "ServiceAccount", "name": EG_SERVICE_ACCOUNT, "namespace": EG_NAMESPACE}]
            ),
            opts=opts_(pool_reader),
        )
        envoy_gateway = release(
            "envoy-gateway",
            EG_CHART,
            EG_VERSION,
            EG_NAMESPACE,
            release_name="eg",
            values=envoy_gateway_values(pods, store.url if store else None),
            after=(
                *placement.ready,
                *pool_crds.crds,
                pool_reading,
                *([store.deployment] if store else []),
            ),
        )
        crds = release(
            "ai-gateway-crds",
            AIGW_CRDS_CHART,
            AIGW_VERSION,
            AIGW_NAMESPACE,
            release_name="aieg-crd",
        )
        # its webhook injects the external processor into the proxies Envoy Gateway makes
        controller = release(
            "ai-gateway",
            AIGW_CHART,
            AIGW_VERSION,
            AIGW_NAMESPACE,
            release_name="aieg",
            values=ai_gateway_values(pods),
            after=(crds, envoy_gateway, *placement.ready),
        )

        def resource(
            kind: str, api: str, object_name: str, spec: Any, *after: pulumi.Resource
        ) -> k8s.apiextensions.CustomResource:
            return k8s.apiextensions.CustomResource(
                f"{name}-{kind.lower()}-{object_name}",
                api_version=api,
                kind=kind,
                metadata={"name": object_name, "namespace": EG_NAMESPACE},
                spec=wire(spec),
                opts=opts_(*after),
            )

        gateway_class = k8s.apiextensions.CustomResource(
            f"{name}-gatewayclass",
            api_version=GATEWAY_API,
            kind="GatewayClass",
            metadata={"name": GATEWAY_CLASS},
            spec={"controllerName": CONTROLLER_NAME},
            opts=opts_(envoy_gateway),
        )
        proxy = resource("EnvoyProxy", EG_API, GATEWAY, envoy_proxy_spec(args, pods), envoy_gateway)
        gateway = resource(
            "Gateway",
            GATEWAY_API,
            GATEWAY,
            gateway_spec(args.tls_hostname),
            gateway_class,
            proxy,
            controller,
            *load_balancers_ready,
            *([certificate] if certificate is not None else []),
        )
        backends: list[pulumi.Resource] = []
        picked = [u for u in args.upstreams if u.servers is not None]
        for upstream in picked:
            assert upstream.servers is not None
            picker = EndpointPicker(
                f"{name}-picker-{upstream.service}",
                pool=upstream.service,
                namespace=upstream.namespace,
                servers=upstream.servers,
                port=upstream.port,
                gateway_namespace=EG_NAMESPACE,
                # a second picker where the proxies have one, so a drain takes neither
                replicas=2 if args.replicas > 1 else 1,
                kubernetes_provider=kubernetes_provider,
                placement=placement,
                after=[*pool_crds.crds, namespaces[upstream.namespace]],
                opts=pulumi.ResourceOptions(parent=self),
            )
            backends += [picker.pool, picker.service]
        for pool_namespace in sorted({u.namespace for u in picked}):
            # the routes here may name that namespace's pools
            backends.append(
                k8s.apiextensions.CustomResource(
                    f"{name}-referencegrant-{pool_namespace}",
                    api_version=GATEWAY_API_BETA,
                    kind="ReferenceGrant",
                    metadata={"name": ROUTES_GRANT, "namespace": pool_namespace},
                    spec=wire(reference_grant_spec(EG_NAMESPACE)),
                    opts=opts_(envoy_gateway, namespaces[pool_namespace]),
                )
            )
        for upstream in args.upstreams:
            if upstream.picked and not upstream.adapters:
                continue  # its pool is its only backend
            backend = backend_name(upstream)
            backends.append(
                resource("Backend", EG_API, backend, backend_spec(upstream), envoy_gateway)
            )
            backends.append(
                resource(
                    "AIServiceBackend", AIGW_API, backend, ai_service_backend_spec(backend), crds
                )
            )
        routes = route_specs(args.upstreams, token_costs=token_budgets(args.clients))
        for index, spec in enumerate(routes):
            # a route naming adapters waits for the servers that load them (`routes_after`):
            # until then the old servers would answer those names 404
            resource(
                "AIGatewayRoute",
                AIGW_API,
                f"models-{index}",
                spec,
                gateway,
                *backends,
                *routes_after,
            )
        if args.jwt is None:
            keys = k8s.core.v1.Secret(
                f"{name}-api-keys",
                metadata={"name": API_KEYS_SECRET, "namespace": EG_NAMESPACE},
                type="Opaque",
                string_data=dict(api_keys),
                opts=opts_(namespaces[EG_NAMESPACE]),
            )
            resource("SecurityPolicy", EG_API, "api-keys", security_policy_spec(), gateway, keys)
        else:
            resource("SecurityPolicy", EG_API, "jwt", security_policy_spec(args.jwt), gateway)
        resource(
            "ClientTrafficPolicy",
            EG_API,
            "buffers",
            client_traffic_spec(tls=args.tls_hostname is not None),
            gateway,
        )
        traffic = rate_limit_spec(args.clients)
        if traffic is not None:
            # one policy on the Gateway: a second one would conflict
            resource("BackendTrafficPolicy", EG_API, "client-limits", traffic, gateway)
        wake = wake_policy_spec(args.upstreams, args.sleeping)
        if wake is not None:
            resource("BackendTrafficPolicy", EG_API, "wake-retries", wake, gateway)
        if monitoring:
            k8s.apiextensions.CustomResource(
                f"{name}-proxy-monitor",
                api_version=MONITORING_API,
                kind="PodMonitor",
                metadata={"name": "llm-gateway-proxies", "namespace": EG_NAMESPACE},
                spec=wire(proxy_pod_monitor_spec()),
                opts=opts_(namespaces[EG_NAMESPACE], *monitoring),
            )
        self.url = in_cluster_url(args.tls_hostname)
        self.register_outputs({"url": self.url})
