"""`llm-infra endpoints`: where clients call the stack's models, from its plan.

The in-cluster URL and the models are in the plan; the load balancer's address is the
cloud's to give once it exists, so the report says how to read it, and how to read each
client's API key from the stack's secret output.
"""

import json
import shlex
from dataclasses import asdict, dataclass
from typing import Any

from infra.offline.record import PlanRecord
from workloads.certificates import CA_SECRET
from workloads.certificates import NAMESPACE as CERT_NAMESPACE
from workloads.gateway import EG_NAMESPACE, SERVICE

CHAT = "/v1/chat/completions"


@dataclass(frozen=True)
class Endpoints:
    stack: str
    enabled: bool
    public: bool
    in_cluster_url: str | None
    address_command: str | None
    key_command: str | None
    models: list[str]
    ca_command: str | None = None
    """With TLS: how to read the private CA's certificate that clients trust."""
    routes: dict[str, list[dict[str, Any]]] | None = None
    """Where each model's traffic goes (a model with versions splits it by weight)."""
    token_issuer: str | None = None
    """With JWT: the identity provider whose access tokens callers send (no API keys)."""
    balancing: dict[str, str] | None = None
    """What places each model's requests on its servers: `endpoint-picker` or `service`."""
    dns_zone: str | None = None
    """The private zone the stack publishes the URL's name in, when it does."""


def endpoints_of(plan: PlanRecord) -> Endpoints:
    front = (plan.outputs.get("workloads") or {}).get("gateway")
    if not front:
        return Endpoints(plan.stack, False, False, None, None, None, [])
    proxies = plan.of_type("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy")
    auth = str(front.get("auth", "api-keys"))
    issuer = auth.removeprefix("jwt from ") if auth.startswith("jwt from ") else None
    service = proxies[0].inputs["spec"]["provider"]["kubernetes"]["envoyService"] if proxies else {}
    return Endpoints(
        stack=plan.stack,
        enabled=True,
        public="loadBalancerSourceRanges" in service,
        in_cluster_url=str(front["url"]),
        address_command=(
            f"kubectl -n {EG_NAMESPACE} get service {SERVICE} -o jsonpath="
            "'{.status.loadBalancer.ingress[0].hostname}{.status.loadBalancer.ingress[0].ip}'"
        ),
        key_command=(
            f"pulumi stack output gateway_api_keys --show-secrets -s {plan.stack}"
            if issuer is None
            else None
        ),
        models=[str(m) for m in front["models"]],
        routes=front.get("routes"),
        balancing=front.get("balancing"),
        dns_zone=front.get("dns_zone"),
        token_issuer=issuer,
        ca_command=(
            f"kubectl -n {CERT_NAMESPACE} get secret {CA_SECRET} "
            "-o jsonpath='{.data.ca\\.crt}' | base64 -d > llm-infra-ca.pem"
            if str(front["url"]).startswith("https://")
            else None
        ),
    )


def render_endpoints_table(found: Endpoints) -> str:
    if not found.enabled or found.address_command is None:
        return f"Stack '{found.stack}' has no gateway (gateway.enabled is false).\n"
    model = found.models[0] if found.models else "<model>"
    where = "public, from gateway.allowed_cidrs" if found.public else "internal, from the network"
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "Hello"}]})
    tls = found.ca_command is not None
    lines = [
        f"Gateway of stack '{found.stack}' ({where}{', HTTPS' if tls else ''})",
        f"  {'URL' if tls else 'in the cluster'}:  {found.in_cluster_url}",
        f"  load balancer:   {found.address_command}",
        (
            f"  API keys:        {found.key_command}"
            if found.token_issuer is None
            else f"  access tokens:   from {found.token_issuer} (OIDC; no API keys)"
        ),
        *([f"  CA to trust:     {found.ca_command}"] if tls else []),
        *([_name_note(found)] if tls else []),
        "",
        "Models (the `model` of a request):",
        *(f"  {m}{_split(found, m)}{_balanced(found, m)}" for m in found.models),
        "",
        "Call it (OpenAI-compatible; /v1/models lists the models):",
        (
            f'  export LLM_GATEWAY="{found.in_cluster_url}"'
            if tls
            else '  export LLM_GATEWAY="http://$(' + found.address_command + ')"'
        ),
        (
            "  export LLM_API_KEY=<one client's key from the API keys command>"
            if found.token_issuer is None
            else "  export LLM_API_KEY=<an access token from your identity provider>"
        ),
        f'  curl -s{" --cacert llm-infra-ca.pem" if tls else ""} "$LLM_GATEWAY{CHAT}" '
        '-H "Authorization: Bearer $LLM_API_KEY" \\',
        f"    -H 'Content-Type: application/json' -d {shlex.quote(body)}",
        "",
        *(
            ["  export SSL_CERT_FILE=llm-infra-ca.pem   # the OpenAI client trusts the CA"]
            if tls
            else []
        ),
        "  from openai import OpenAI",
        '  client = OpenAI(base_url=os.environ["LLM_GATEWAY"] + "/v1", '
        'api_key=os.environ["LLM_API_KEY"])',
        f'  client.chat.completions.create(model="{model}", messages=[{{"role": "user", '
        '"content": "Hello"}])',
    ]
    return "\n".join(lines) + "\n"


def _name_note(found: Endpoints) -> str:
    if found.dns_zone is not None:
        return f"  (the name is published in the private zone {found.dns_zone}, on the network)"
    return "  (point the URL's name at the load balancer's address in your DNS)"


def _balanced(found: Endpoints, model: str) -> str:
    return "  (endpoint picker)" if (found.balancing or {}).get(model) == "endpoint-picker" else ""


def _split(found: Endpoints, model: str) -> str:
    """`  → llama 90%, llama-canary 10%` for a model whose versions share its traffic."""
    targets = (found.routes or {}).get(model) or []
    if len(targets) < 2:
        return ""
    return "  → " + ", ".join(f"{t['server']} {t['percent']:g}%" for t in targets)


def render_endpoints_json(found: Endpoints) -> str:
    return json.dumps(asdict(found), indent=2, sort_keys=True) + "\n"
