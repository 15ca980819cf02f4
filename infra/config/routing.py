"""How the gateway balances each model's requests across its servers: by an endpoint picker
(an InferencePool) or by the model's Service. Plain functions of the stack config."""

from components.enums import Engine
from infra.config.models import ModelConfig
from infra.config.stack import StackConfig

PICKER = "endpoint-picker"
SERVICE = "service"


def balancing_reason(config: StackConfig, model: ModelConfig) -> tuple[str, str]:
    """(PICKER or SERVICE, why). The picker reads vLLM's queue and KV-cache metrics (the
    Inference Extension's model server protocol, which TGI does not implement); an
    AIGatewayRoute rule holds one InferencePool and nothing beside it, with no model name
    rewrite (envoyproxy/ai-gateway@v1.1.0 api/v1beta1/ai_gateway_route.go:234-235,355-358 and the
    rule's CEL rules in manifests/charts/ai-gateway-crds-helm/templates/
    aigateway.envoyproxy.io_aigatewayroutes.yaml:866-872), so a weighted split stays on
    Services; and a pool with no server has nothing to pick from, so a model that scales
    to zero keeps the Service its first request is retried against while it wakes."""
    gateway = config.gateway
    if not gateway.enabled:
        return SERVICE, "no gateway"
    if not gateway.endpoint_picker:
        return SERVICE, "gateway.endpoint_picker is off"
    if model.engine != Engine.VLLM:
        return SERVICE, f"{model.engine.value} does not export the metrics the picker reads"
    if model.version_of is not None or any(m.version_of == model.name for m in config.models):
        return SERVICE, "its traffic is split between versions by weight"
    if model.min_replicas == 0:
        return SERVICE, "it scales to zero, and a pool without servers has none to pick"
    return PICKER, "vLLM: queue depth, KV-cache use and prefix cache per server"


def picked_models(config: StackConfig) -> frozenset[str]:
    """The models whose requests an endpoint picker places."""
    return frozenset(m.name for m in config.models if balancing_reason(config, m)[0] == PICKER)
