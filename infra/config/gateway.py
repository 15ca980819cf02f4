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


class GatewayClientConfig(Section):
    name: DnsLabel = Field(
        description="Client or team; its API key is the `gateway_api_keys.<name>` stack "
        "output (secret)."
    )
    requests_per_minute: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="Requests this client may send per minute, per gateway replica; beyond "
        "it the gateway answers 429. Default: no limit.",
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
    clients: tuple[GatewayClientConfig, ...] = Field(
        (GatewayClientConfig(name="default"),),
        min_length=1,
        description="Who may call the gateway: one API key each, generated as a Pulumi "
        "secret. Requests without a known key are refused (401).",
    )
