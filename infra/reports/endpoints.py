"""`llm-infra endpoints`: where clients call the stack's models, from its plan.

The in-cluster URL and the models are in the plan; the load balancer's address is the
cloud's to give once it exists, so the report says how to read it, and how to read each
client's API key from the stack's secret output.
"""

import json
import shlex
from dataclasses import asdict, dataclass

from infra.offline.record import PlanRecord
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


def endpoints_of(plan: PlanRecord) -> Endpoints:
    front = (plan.outputs.get("workloads") or {}).get("gateway")
    if not front:
        return Endpoints(plan.stack, False, False, None, None, None, [])
    proxies = plan.of_type("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy")
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
        key_command=f"pulumi stack output gateway_api_keys --show-secrets -s {plan.stack}",
        models=[str(m) for m in front["models"]],
    )


def render_endpoints_table(found: Endpoints) -> str:
    if not found.enabled or found.address_command is None:
        return f"Stack '{found.stack}' has no gateway (gateway.enabled is false).\n"
    model = found.models[0] if found.models else "<model>"
    where = "public, from gateway.allowed_cidrs" if found.public else "internal, from the network"
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "Hello"}]})
    lines = [
        f"Gateway of stack '{found.stack}' ({where})",
        f"  in the cluster:  {found.in_cluster_url}",
        f"  load balancer:   {found.address_command}",
        f"  API keys:        {found.key_command}",
        "",
        "Models (the `model` of a request):",
        *(f"  {m}" for m in found.models),
        "",
        "Call it (OpenAI-compatible; /v1/models lists the models):",
        '  export LLM_GATEWAY="http://$(' + found.address_command + ')"',
        "  export LLM_API_KEY=<one client's key from the API keys command>",
        f'  curl -s "$LLM_GATEWAY{CHAT}" -H "Authorization: Bearer $LLM_API_KEY" \\',
        f"    -H 'Content-Type: application/json' -d {shlex.quote(body)}",
        "",
        "  from openai import OpenAI",
        '  client = OpenAI(base_url=os.environ["LLM_GATEWAY"] + "/v1", '
        'api_key=os.environ["LLM_API_KEY"])',
        f'  client.chat.completions.create(model="{model}", messages=[{{"role": "user", '
        '"content": "Hello"}])',
    ]
    return "\n".join(lines) + "\n"


def render_endpoints_json(found: Endpoints) -> str:
    return json.dumps(asdict(found), indent=2, sort_keys=True) + "\n"
