"""The front door: one OpenAI-compatible endpoint routing by model, behind API keys, on the
cloud's internal load balancer. Checked on the shipped plans and against the CRD schemas of
the pinned releases (tests/workloads/crds, extracted from the charts' CRDs: SOURCES.json)."""

import gzip
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from components.azure.cluster import CPU_POOL as AZURE_CPU_POOL
from components.seam import DEFAULT_CPU_POOL
from infra.offline.record import PlanRecord
from infra.truth.requests import pod_groups
from tests.harness import SHIPPED_STACKS, shipped_config_values
from workloads import certificates, gateway, leader_worker_set, monitoring
from workloads.gateway import Client, Upstream, rate_limit_spec, route_specs

CRDS = Path(__file__).parent / "crds"
CR = "kubernetes:{api}:{kind}"
MODEL_SERVICE = "kubernetes:core/v1:Service"


def schema(group: str, kind: str, version: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        gzip.decompress((CRDS / f"{group}_{kind}_{version}.json.gz").read_bytes())
    )
    return strict(document)


def strict(node: Any) -> Any:
    """The API server prunes a field its structural schema does not declare, silently: here
    an undeclared field is an error (except where the schema keeps unknown fields)."""
    if isinstance(node, dict):
        node = {k: strict(v) for k, v in node.items()}
        if (
            "properties" in node
            and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")
        ):
            node["additionalProperties"] = False
    elif isinstance(node, list):
        node = [strict(v) for v in node]
    return node


def custom_resources(plan: PlanRecord, api: str, kind: str) -> list[Any]:
    return plan.of_type(CR.format(api=api, kind=kind))


KINDS = [
    ("gateway.envoyproxy.io/v1alpha1", "EnvoyProxy"),
    ("gateway.envoyproxy.io/v1alpha1", "SecurityPolicy"),
    ("gateway.envoyproxy.io/v1alpha1", "ClientTrafficPolicy"),
    ("gateway.networking.k8s.io/v1", "GatewayClass"),
    ("gateway.networking.k8s.io/v1", "Gateway"),
    ("aigateway.envoyproxy.io/v1beta1", "AIGatewayRoute"),
    # the proxies' Envoy stats and the AI Gateway sidecar's token metrics
    ("monitoring.coreos.com/v1", "PodMonitor"),
]
# With gateway.tls_hostname (every shipped stack): the private CA and the gateway's
# certificate.
TLS_KINDS = [("cert-manager.io/v1", "Certificate"), ("cert-manager.io/v1", "ClusterIssuer")]
# For the prod stacks' TGI model and embeddings server, which no endpoint picker balances
# (dev's one model is picked: tests/workloads/test_endpoint_picker.py).
SERVICE_KINDS = [
    ("gateway.envoyproxy.io/v1alpha1", "Backend"),
    ("aigateway.envoyproxy.io/v1beta1", "AIServiceBackend"),
]
PROD_STACKS = [s for s in SHIPPED_STACKS if s != "dev"]


@pytest.mark.parametrize(
    ("stack", "api", "kind"),
    [
        *((s, api, kind) for s in SHIPPED_STACKS for api, kind in KINDS),
        *((s, api, kind) for s in SHIPPED_STACKS for api, kind in TLS_KINDS),
        *((s, api, kind) for s in PROD_STACKS for api, kind in SERVICE_KINDS),
    ],
)
def test_every_gateway_object_is_valid_against_its_pinned_crd(shipped_plan, stack, api, kind):
    """The structural schema the API server enforces (CEL rules are not evaluated here)."""
    found = custom_resources(shipped_plan(stack), api, kind)
    assert found, f"{stack} has no {kind}"
    group, version = api.split("/")
    validator = jsonschema.Draft7Validator(schema(group, kind, version))
    for resource in found:
        document = {k: resource.inputs[k] for k in ("apiVersion", "kind", "metadata", "spec")}
        document["metadata"] = {"name": document["metadata"]["name"]}
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(document)]
        assert errors == [], f"{resource.name}: {errors}"


def test_the_rate_limit_policy_is_valid_against_its_pinned_crd():
    spec = rate_limit_spec([Client("team-a", 600), Client("team-b")])
    assert spec is not None
    document = {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "BackendTrafficPolicy",
        "metadata": {"name": "client-limits", "namespace": gateway.EG_NAMESPACE},
        "spec": spec,
    }
    validator = jsonschema.Draft7Validator(
        schema("gateway.envoyproxy.io", "BackendTrafficPolicy", "v1alpha1")
    )
    assert [e.message for e in validator.iter_errors(document)] == []
    (rule,) = spec["rateLimit"]["local"]["rules"]  # only the client with a limit
    assert rule["limit"] == {"requests": 600, "unit": "Minute"}
    assert rule["clientSelectors"][0]["headers"][0]["value"] == "team-a"
    assert rate_limit_spec([Client("team-b")]) is None


def test_the_schemas_are_the_pinned_releases():
    sources = json.loads((CRDS / "SOURCES.json").read_text())
    assert {s.split()[0] for s in sources.values()} == {
        f"envoyproxy/gateway@{gateway.EG_VERSION}",
        f"envoyproxy/ai-gateway@{gateway.AIGW_VERSION}",
        f"cert-manager/cert-manager@{certificates.VERSION}",
        f"prometheus-community/helm-charts@kube-prometheus-stack-{monitoring.STACK_VERSION}",
        f"kubernetes-sigs/lws@{leader_worker_set.IMAGE_TAG}",
    }


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_model_and_the_embeddings_server_get_a_route_to_their_service(shipped_plan, stack):
    plan = shipped_plan(stack)
    services = {
        f"{s.inputs['metadata']['name']}.{s.inputs['metadata']['namespace']}.svc.cluster.local": s
        for s in plan.of_type(MODEL_SERVICE)
    }
    backends = {
        b.inputs["metadata"]["name"]: b.inputs["spec"]["endpoints"][0]["fqdn"]
        for b in custom_resources(plan, "gateway.envoyproxy.io/v1alpha1", "Backend")
    }
    routed = {}
    for route in custom_resources(plan, "aigateway.envoyproxy.io/v1beta1", "AIGatewayRoute"):
        for rule in route.inputs["spec"]["rules"]:
            (header,) = rule["matches"][0]["headers"]
            assert header["name"] == "x-ai-eg-model"
            (ref,) = rule["backendRefs"]
            routed[header["value"]] = ref["name"]
    # what the stack file serves: each model by its name, the embeddings model by its id
    platform = shipped_config_values(stack)["llm-infra:platform"]
    expected = {m["name"]: m["name"] for m in platform["models"]}
    if platform.get("embeddings", {}).get("enabled"):
        expected[platform["embeddings"]["model_id"]] = "embeddings"
    assert sorted(routed) == sorted(expected)
    assert plan.outputs["workloads"]["gateway"]["models"] == list(expected)
    ai_backends = {
        a.inputs["metadata"]["name"]: a.inputs["spec"]
        for a in custom_resources(plan, "aigateway.envoyproxy.io/v1beta1", "AIServiceBackend")
    }
    picked = {
        p.inputs["metadata"]["name"]
        for p in custom_resources(plan, "inference.networking.k8s.io/v1", "InferencePool")
    }
    for model, ai_backend in routed.items():
        if model in picked:
            continue  # its InferencePool: tests/workloads/test_endpoint_picker.py
        # rule → AIServiceBackend (schema OpenAI) → Envoy Gateway Backend → the Service
        spec = ai_backends[ai_backend]
        assert spec["schema"] == {"name": "OpenAI"}
        assert spec["backendRef"]["kind"] == "Backend"
        fqdn = backends[spec["backendRef"]["name"]]
        service = services[fqdn["hostname"]]
        assert service.inputs["metadata"]["name"] == expected[model], model
        # on the port the Service serves
        assert fqdn["port"] in [p["port"] for p in service.inputs["spec"]["ports"]], model


def test_routes_hold_at_most_fifteen_rules():
    """api/v1beta1/ai_gateway_route.go (v1.1.0): `rules` has at most 15 items."""
    upstreams = [Upstream(f"m{i}", f"m{i}", "ns", 8000) for i in range(32)]
    routes = route_specs(upstreams)
    assert [len(r["rules"]) for r in routes] == [15, 15, 2]
    assert len({r["rules"][0]["name"] for r in routes}) == 3


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_request_needs_an_api_key_and_the_key_stays_a_secret(shipped_plan, stack):
    plan = shipped_plan(stack)
    (policy,) = custom_resources(plan, "gateway.envoyproxy.io/v1alpha1", "SecurityPolicy")
    spec = policy.inputs["spec"]
    assert spec["targetRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway.GATEWAY}
    ]
    auth = spec["apiKeyAuth"]
    assert auth["extractFrom"] == [{"headers": ["authorization"]}]
    assert auth["sanitize"] is True  # the model servers never see the key
    (ref,) = auth["credentialRefs"]
    secret = plan.get("kubernetes:core/v1:Secret", "gateway-api-keys")
    assert secret.inputs["metadata"]["name"] == ref["name"]
    assert secret.inputs["stringData"] == "[secret]"
    assert plan.outputs["gateway_api_keys"] == "[secret]"
    assert "gateway_api_keys" not in json.dumps(plan.outputs["workloads"])


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_the_gateway_is_on_an_internal_load_balancer_of_its_cloud(shipped_plan, stack):
    plan = shipped_plan(stack)
    (proxy,) = custom_resources(plan, "gateway.envoyproxy.io/v1alpha1", "EnvoyProxy")
    service = proxy.inputs["spec"]["provider"]["kubernetes"]["envoyService"]
    assert service["type"] == "LoadBalancer" and service["name"] == gateway.SERVICE
    assert "loadBalancerSourceRanges" not in service
    internal = {
        "aws": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"},
        "gcp": {"networking.gke.io/load-balancer-type": "Internal"},
        "azure": {"service.beta.kubernetes.io/azure-load-balancer-internal": "true"},
    }[plan.cloud]
    assert internal.items() <= service["annotations"].items()


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_the_proxies_and_controllers_run_on_the_cpu_pool_in_the_simulation(shipped_plan, stack):
    plan = shipped_plan(stack)
    groups = {g.component: g for g in pod_groups(plan)}
    envoy = groups["gateway-envoyproxy-llm-gateway/envoy"]
    # gateway.replicas by environment: one in dev, two in prod
    assert envoy.min_replicas == envoy.max_replicas == (1 if plan.environment == "dev" else 2)
    assert envoy.request.millicores == 250
    # every pod the front door adds, counted at its requests and replicas, on the CPU pool
    expected = {
        "gateway-envoyproxy-llm-gateway/envoy": 1 if plan.environment == "dev" else 2,
        "gateway-envoy-gateway/deployment.envoyGateway": 1,
        "gateway-ai-gateway/controller": 2,
    }
    if plan.cloud == "aws":
        expected["load-balancer-controller-release/chart"] = 2
    if plan.environment == "prod":  # TLS: cert-manager's controller, webhook and cainjector
        expected |= {f"cert-manager-release/{c}": 1 for c in ("chart", "webhook", "cainjector")}
    cpu_pool = AZURE_CPU_POOL if plan.cloud == "azure" else DEFAULT_CPU_POOL
    for component, replicas in expected.items():
        group = groups[component]
        assert group.max_replicas == replicas, component
        assert group.request.millicores > 0 and group.request.memory_bytes > 0, component
        assert group.template.node_selector == {"llm-infra.io/pool": cpu_pool}, component


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_model_servers_admit_the_gateways_proxies(shipped_plan, stack):
    plan = shipped_plan(stack)
    policies = [
        p
        for p in plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if p.name.endswith("-network-policy")
        and not p.name.startswith(("qdrant", "gateway-counters"))
    ]
    assert policies
    for policy in policies:
        callers = policy.inputs["spec"]["ingress"][0]["from"][0]["namespaceSelector"]
        assert gateway.EG_NAMESPACE in callers["matchExpressions"][0]["values"], policy.name


def test_envoy_gateway_is_installed_as_envoy_ai_gateway_requires():
    """manifests/envoy-gateway-values.yaml at v1.1.0: the Backend API on, and the extension
    manager at the AI Gateway controller's Service (its chart's fullnameOverride, values.yaml:85,
    in the namespace the docs install it to)."""
    values = gateway.envoy_gateway_values({"nodeSelector": {"llm-infra.io/pool": "cpu"}})
    config = values["config"]["envoyGateway"]
    assert config["extensionApis"]["enableBackend"] is True
    assert config["extensionManager"]["service"]["fqdn"] == {
        "hostname": "ai-gateway-controller.envoy-ai-gateway-system.svc.cluster.local",
        "port": 1063,
    }
    assert config["extensionManager"]["hooks"]["xdsTranslator"]["post"] == [
        "Translation",
        "Cluster",
        "Route",
    ]
    assert values["deployment"]["pod"]["nodeSelector"] == {"llm-infra.io/pool": "cpu"}


def test_a_misspelt_field_fails_the_schema_check():
    """The check can fail: the API server would drop this field, here it is an error."""
    validator = jsonschema.Draft7Validator(schema("gateway.envoyproxy.io", "Backend", "v1alpha1"))
    document = {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "Backend",
        "metadata": {"name": "x"},
        "spec": {"endpoints": [{"fqdn": {"hostname": "x", "port": 80, "prot": 1}}]},
    }
    assert [e.message for e in validator.iter_errors(document)]


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_gateway_serves_https_with_a_certificate_of_the_private_ca(shipped_plan, stack):
    plan = shipped_plan(stack)
    (gw,) = custom_resources(plan, "gateway.networking.k8s.io/v1", "Gateway")
    (listener,) = gw.inputs["spec"]["listeners"]
    assert (listener["protocol"], listener["port"]) == ("HTTPS", 443)
    (ref,) = listener["tls"]["certificateRefs"]
    certs = {
        c.inputs["metadata"]["name"]: c
        for c in custom_resources(plan, "cert-manager.io/v1", "Certificate")
    }
    leaf = certs[ref["name"]]
    # the certificate's Secret is beside the Gateway, for the name the listener serves
    assert leaf.inputs["metadata"]["namespace"] == gw.inputs["metadata"]["namespace"]
    assert leaf.inputs["spec"]["dnsNames"] == [listener["hostname"]]
    assert leaf.inputs["spec"]["issuerRef"]["name"] == certificates.CA_ISSUER
    # the CA's Secret is where a ClusterIssuer reads it: cert-manager's own namespace
    ca = certs[certificates.CA_SECRET]
    assert ca.inputs["spec"]["isCA"] is True
    assert ca.inputs["metadata"]["namespace"] == certificates.NAMESPACE
    (policy,) = custom_resources(plan, "gateway.envoyproxy.io/v1alpha1", "ClientTrafficPolicy")
    assert policy.inputs["spec"]["tls"] == {"minVersion": "1.2"}
    assert plan.outputs["workloads"]["gateway"]["url"] == f"https://{listener['hostname']}"
