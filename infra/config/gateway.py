"""`gateway`: the front door, one authenticated OpenAI-compatible endpoint for every model."""

from typing import Annotated

from pydantic import Field, StringConstraints

from infra.config.base import Cidr, DnsLabel, Section

Hostname = Annotated[
    str,
    StringConstraints(
        max_length=253,
        pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$",
    ),
]
"""A fully qualified DNS name in lower case, e.g. `llm.internal.example.com`."""


HttpsUrl = Annotated[
    str, StringConstraints(max_length=253, pattern=r"^https://[^\s/?#]+(/[^\s]*)?$")
]
"""An https:// URL (Envoy Gateway's remote JWKS `uri`: at most 253 characters)."""


class GatewayJwtConfig(Section):
    issuer: Annotated[str, StringConstraints(min_length=1, max_length=253)] = Field(
        description="The tokens' `iss`, e.g. `https://login.example.com/` (your identity "
        "provider's issuer URL)."
    )
    jwks_uri: HttpsUrl = Field(
        description="Where the gateway fetches the provider's signing keys (JWKS), e.g. "
        "`https://login.example.com/.well-known/jwks.json`; cached for 5 minutes."
    )
    audiences: tuple[Annotated[str, StringConstraints(min_length=1)], ...] = Field(
        min_length=1,
        max_length=8,
        description="The `aud` values a token must carry (one of them), e.g. `llm-gateway`.",
    )
    client_claim: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")] = Field(
        "sub",
        description="The claim naming the caller (a string claim); its value is matched "
        "against `gateway.clients[].name` for limits, and labels usage metrics.",
    )


class GatewayClientConfig(Section):
    name: DnsLabel = Field(
        description="Client or team; its API key is the `gateway_api_keys.<name>` stack "
        "output (secret). With `gateway.jwt`: the value of the tokens' client claim."
    )
    requests_per_minute: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="Requests this client may send per minute, per gateway replica; beyond "
        "it the gateway answers 429. Default: no limit.",
    )
    tokens_per_minute: int | None = Field(
        None,
        ge=1,
        le=4_000_000_000,
        description="Tokens (input plus output) this client may use per minute across all "
        "models and gateway replicas; once spent, new requests get 429 until the minute "
        "turns (a stream already admitted finishes). Counted in a small in-cluster store "
        "that the gateway adds when any client has a budget. Default: no budget.",
    )


class GatewayConfig(Section):
    enabled: bool = Field(
        True,
        description="Deploy the front door: Envoy Gateway with Envoy AI Gateway, routing "
        "OpenAI-compatible requests by their `model` to that model's servers.",
    )
    public: bool = Field(
        False,
        description="Put the gateway's load balancer on the internet, admitting only "
        "`allowed_cidrs`. Default: an internal load balancer, reachable from the network.",
    )
    allowed_cidrs: tuple[Cidr, ...] = Field(
        (),
        description="Source ranges a public gateway admits (the load balancer's source "
        "ranges). Required when `public`; not allowed otherwise.",
    )
    replicas: int = Field(ge=1, le=20, description="Envoy proxy pods behind the load balancer.")
    tls_hostname: Hostname | None = Field(
        None,
        description="Serve HTTPS (TLS 1.2 or newer) on port 443 under this name, with a "
        "certificate from the stack's private CA (cert-manager). Point the name at the load "
        "balancer in your DNS; clients trust the CA (`llm-infra endpoints` says how to read "
        "it). Default: plain HTTP on port 80, inside the network only.",
    )
    dns_zone: Hostname | None = Field(
        None,
        description="Publish `tls_hostname` in a private DNS zone of this name that the "
        "stack creates on its network (Route 53 private hosted zone, Cloud DNS private zone, "
        "Azure private DNS zone), kept pointing at the load balancer by external-dns, which "
        "may change that zone alone. `tls_hostname` must be inside it, e.g. zone "
        "`prod.example.internal` for `llm.prod.example.internal`. Internal gateways only. "
        "Default: no zone; point the name at the load balancer in your own DNS.",
    )
    endpoint_picker: bool = Field(
        True,
        description="Balance each vLLM model that has no versions and keeps at least one "
        "replica through an InferencePool (Gateway API Inference Extension): an endpoint "
        "picker beside the model's servers sends each request to the server with the "
        "shortest queue, the most free KV cache and the longest cached prefix. Other models "
        "(TGI, embeddings, models with versions, models that scale to zero) are balanced by "
        "their Service. The picker fails closed: with no picker up its model answers with an "
        "error. Two pickers per model behind two or more gateway replicas. Default: on.",
    )
    jwt: GatewayJwtConfig | None = Field(
        None,
        description="Authenticate callers by OIDC access tokens (JWT, `Authorization: "
        "Bearer <token>`) from your identity provider instead of API keys: the gateway checks "
        "signature, issuer, audience and expiry, and no keys are generated. Default: API keys.",
    )
    clients: tuple[GatewayClientConfig, ...] = Field(
        (GatewayClientConfig(name="default"),),
        min_length=1,
        description="Who may call the gateway: one API key each, generated as a Pulumi "
        "secret; requests without a known key are refused (401). With `gateway.jwt` any "
        "valid token may call, and these name the callers that get limits.",
    )
