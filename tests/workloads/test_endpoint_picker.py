"""Inference-aware balancing: each picked vLLM model's InferencePool and endpoint picker, on
the shipped plans, against the pinned Inference Extension (v1.0.2), Envoy Gateway (v1.8.3)
and Envoy AI Gateway (v1.1.0)."""

import json

import jsonschema
import pytest
import yaml

from infra.config.routing import PICKER
from infra.diff import diff_plans
from infra.reports.diff import render_diff_markdown
from tests.harness import SHIPPED_STACKS, plan_document, shipped_document
from tests.workloads.test_gateway import custom_resources, schema, strict
from workloads import endpoint_picker, gateway
from workloads.endpoint_picker import (
    CRD_FILES,
    GRPC_PORT,
    POOL_API,
    crd_documents,
    picker_name,
    plugins_config,
)
from workloads.images import contract

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
RELEASE = "kubernetes:helm.sh/v3:Release"
CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
ROUTE = ("aigateway.envoyproxy.io/v1beta1", "AIGatewayRoute")
GRANT = ("gateway.networking.k8s.io/v1beta1", "ReferenceGrant")

# The flags the picker defines at v1.0.2 (kubernetes-sigs/gateway-api-inference-extension@
# v1.0.2 cmd/epp/runner/runner.go:76-108, and the zap flags bound at :137-141): Go's flag
# package exits on any other.
EPP_FLAGS = {
    "grpc-port", "grpc-health-port", "metrics-port", "enable-pprof", "pool-name",
    "pool-group", "pool-namespace", "v", "secure-serving", "health-checking", "cert-path",
    "total-queued-requests-metric", "kv-cache-usage-percentage-metric", "lora-info-metric",
    "config-file", "config-text", "model-server-metrics-port", "model-server-metrics-path",
    "model-server-metrics-scheme", "model-server-metrics-https-insecure-skip-verify",
    "refresh-metrics-interval", "refresh-prometheus-metrics-interval",
    "metrics-staleness-threshold", "ha-enable-leader-election", "zap-encoder",
    "zap-log-level", "zap-devel", "zap-stacktrace-level", "zap-time-encoding",
}  # fmt: skip
# The plugin types v1.0.2 registers (cmd/epp/runner/runner.go:300-311).
EPP_PLUGINS = {
    "prefix-cache-scorer", "max-score-picker", "random-picker", "weighted-random-picker",
    "single-profile-handler", "kv-cache-utilization-scorer", "queue-scorer",
    "lora-affinity-scorer",
}  # fmt: skip


def picked(plan):
    return [
        m for m, how in plan.outputs["workloads"]["gateway"]["balancing"].items() if how == PICKER
    ]


def named(plan, type_, name, namespace=None):
    found = [
        r
        for r in plan.of_type(type_)
        if r.inputs["metadata"]["name"] == name
        and (namespace is None or r.inputs["metadata"].get("namespace") == namespace)
    ]
    assert len(found) == 1, f"{len(found)} {type_} named {name}"
    return found[0]


def pools(plan):
    return {
        p.inputs["metadata"]["name"]: p for p in custom_resources(plan, POOL_API, "InferencePool")
    }


def pickers(plan):
    """(model, its pool, its namespace, its picker's Deployment) of every picked model."""
    for name, pool in pools(plan).items():
        namespace = pool.inputs["metadata"]["namespace"]
        yield name, pool, namespace, named(plan, DEPLOYMENT, picker_name(name), namespace)


def pool_schema():
    (pool_crd, _) = crd_documents()
    (version,) = pool_crd["spec"]["versions"]
    return strict(version["schema"]["openAPIV3Schema"])


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_vllm_model_without_versions_is_balanced_by_its_pool(shipped_plan, stack):
    plan = shipped_plan(stack)
    models = picked(plan)
    assert models, f"{stack} picks no model"
    assert sorted(pools(plan)) == sorted(models)
    for route in custom_resources(plan, *ROUTE):
        for rule in route.inputs["spec"]["rules"]:
            model = rule["matches"][0]["headers"][0]["value"]
            if model in models:
                pool = pools(plan)[model]
                # one InferencePool and nothing else in the rule (AI Gateway's CEL rules)
                assert rule["backendRefs"] == [
                    {
                        "group": "inference.networking.k8s.io",
                        "kind": "InferencePool",
                        "name": model,
                        "namespace": pool.inputs["metadata"]["namespace"],
                    }
                ]


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_each_pool_selects_exactly_its_models_servers_on_their_serving_port(shipped_plan, stack):
    plan = shipped_plan(stack)
    validator = jsonschema.Draft7Validator(pool_schema())
    for name, pool in pools(plan).items():
        document = {k: pool.inputs[k] for k in ("apiVersion", "kind", "metadata", "spec")}
        assert [e.message for e in validator.iter_errors(document)] == []
        spec, namespace = pool.inputs["spec"], pool.inputs["metadata"]["namespace"]
        server = named(plan, DEPLOYMENT, name, namespace)
        template = server.inputs["spec"]["template"]
        labels = template["metadata"]["labels"]
        assert spec["selector"]["matchLabels"].items() <= labels.items()
        # no other Deployment's pods carry those labels (no stray pod joins the pool)
        others = [
            d
            for d in plan.of_type(DEPLOYMENT)
            if d is not server
            and d.inputs["metadata"].get("namespace") == namespace
            and spec["selector"]["matchLabels"].items()
            <= d.inputs["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert others == []
        (container,) = template["spec"]["containers"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        # requests go to the pod's serving port, and the picker scrapes /metrics there
        # (its default: the pool's targetPorts[0], pkg/epp/backend/metrics/metrics.go:76-81)
        assert spec["targetPorts"] == [{"number": ports["http"]}]


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_each_pool_names_a_picker_service_that_selects_the_picker(shipped_plan, stack):
    plan = shipped_plan(stack)
    for name, pool in pools(plan).items():
        namespace = pool.inputs["metadata"]["namespace"]
        ref = pool.inputs["spec"]["endpointPickerRef"]
        assert ref["name"] == picker_name(name)
        service = named(plan, SERVICE, ref["name"], namespace)
        (port,) = service.inputs["spec"]["ports"]
        assert port["port"] == ref["port"]["number"] == GRPC_PORT
        # Envoy speaks HTTP/2 gRPC to it (AI Gateway's cluster: internal/extensionserver/
        # inferencepool.go at v1.1.0)
        assert port["appProtocol"] == "http2"
        picker = named(plan, DEPLOYMENT, ref["name"], namespace)
        pod = picker.inputs["spec"]["template"]
        assert service.inputs["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
        (container,) = pod["spec"]["containers"]
        by_name = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert by_name[port["targetPort"]] == GRPC_PORT
        assert container["image"] == contract("epp").image()


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_the_picker_runs_with_the_flags_and_plugins_its_version_defines(shipped_plan, stack):
    plan = shipped_plan(stack)
    for name, _, namespace, picker in pickers(plan):
        pod = picker.inputs["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        args = container["args"]
        flags = [a.removeprefix("--").split("=")[0] for a in args if a.startswith("--")]
        assert set(flags) <= EPP_FLAGS
        value = {args[i].removeprefix("--"): args[i + 1] for i in range(len(args) - 1)}
        # its own pool: the namespace is not taken from the pod (the default is `default`)
        assert (value["pool-name"], value["pool-namespace"]) == (name, namespace)
        # the series vLLM v0.11.0 exports (workloads/images.yaml `vllm`)
        metrics = contract("vllm").metrics
        assert metrics is not None
        series = metrics.series
        assert value["total-queued-requests-metric"] in series
        assert value["kv-cache-usage-percentage-metric"] in series
        # the mounted plugins config, of registered plugin types
        config_map = named(plan, "kubernetes:core/v1:ConfigMap", picker_name(name), namespace)
        (volume,) = pod["volumes"]
        assert volume["configMap"]["name"] == config_map.inputs["metadata"]["name"]
        (mount,) = container["volumeMounts"]
        key = value["config-file"].removeprefix(mount["mountPath"] + "/")
        plugins = yaml.safe_load(config_map.inputs["data"][key])
        assert {p["type"] for p in plugins["plugins"]} <= EPP_PLUGINS
        assert plugins["kind"] == "EndpointPickerConfig"
        # only amd64 images exist (Dockerfile:10 at v1.0.2)
        assert pod["nodeSelector"]["kubernetes.io/arch"] == "amd64"


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_the_picker_may_read_what_it_watches_in_its_namespace(shipped_plan, stack):
    plan = shipped_plan(stack)
    for name, _, namespace, deployment in pickers(plan):
        role = named(plan, ROLE, picker_name(name), namespace)
        granted = {
            (group, resource)
            for rule in role.inputs["rules"]
            if {"get", "list", "watch"} <= set(rule["verbs"])
            for group in rule["apiGroups"]
            for resource in rule["resources"]
        }
        # pkg/epp/server/controller_manager.go:48-84 at v1.0.2: pods, its pool, objectives
        assert granted == {
            ("", "pods"),
            ("inference.networking.k8s.io", "inferencepools"),
            ("inference.networking.x-k8s.io", "inferenceobjectives"),
        }
        binding = named(
            plan,
            "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
            picker_name(name),
            namespace,
        )
        account = deployment.inputs["spec"]["template"]["spec"]["serviceAccountName"]
        assert binding.inputs["subjects"] == [
            {"kind": "ServiceAccount", "name": account, "namespace": namespace}
        ]
        assert binding.inputs["roleRef"]["name"] == role.inputs["metadata"]["name"]


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_only_the_proxies_reach_the_picker_and_the_picker_reaches_its_servers(shipped_plan, stack):
    plan = shipped_plan(stack)
    for name, pool in pools(plan).items():
        namespace = pool.inputs["metadata"]["namespace"]
        picker = named(plan, POLICY, picker_name(name), namespace).inputs["spec"]
        (rule,) = picker["ingress"]
        sources = rule["from"][0]["namespaceSelector"]["matchExpressions"][0]["values"]
        assert (sources, rule["ports"]) == (
            [gateway.EG_NAMESPACE],
            [{"protocol": "TCP", "port": GRPC_PORT}],
        )
        # the servers admit their own namespace (the picker scrapes them) and the proxies
        # (which send each request to the pod the picker chose) on the pool's port
        server = named(plan, POLICY, name, namespace).inputs["spec"]
        port = pool.inputs["spec"]["targetPorts"][0]["number"]
        admitted = {
            source
            for rule in server["ingress"]
            if {"protocol": "TCP", "port": port} in rule["ports"]
            for peer in rule["from"]
            for source in peer["namespaceSelector"]["matchExpressions"][0]["values"]
        }
        assert {namespace, gateway.EG_NAMESPACE} <= admitted


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_the_routes_may_name_the_pools_of_the_models_namespace(shipped_plan, stack):
    plan = shipped_plan(stack)
    validator = jsonschema.Draft7Validator(
        schema("gateway.networking.k8s.io", "ReferenceGrant", "v1beta1")
    )
    grants = {g.inputs["metadata"]["namespace"]: g for g in custom_resources(plan, *GRANT)}
    assert set(grants) == {p.inputs["metadata"]["namespace"] for p in pools(plan).values()}
    for grant in grants.values():
        document = {k: grant.inputs[k] for k in ("apiVersion", "kind", "metadata", "spec")}
        assert [e.message for e in validator.iter_errors(document)] == []
        spec = grant.inputs["spec"]
        # AI Gateway checks its AIGatewayRoute (internal/controller/referencegrant.go at
        # v1.1.0), Envoy Gateway the HTTPRoute generated from it (internal/gatewayapi/
        # route.go:1859-1870 at v1.8.3)
        assert {(f["group"], f["kind"], f["namespace"]) for f in spec["from"]} == {
            ("aigateway.envoyproxy.io", "AIGatewayRoute", gateway.EG_NAMESPACE),
            ("gateway.networking.k8s.io", "HTTPRoute", gateway.EG_NAMESPACE),
        }
        assert spec["to"] == [{"group": "inference.networking.k8s.io", "kind": "InferencePool"}]


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_envoy_gateway_watches_pools_whose_crds_it_waits_for(shipped_plan, stack):
    plan = shipped_plan(stack)
    crds = {c.inputs["metadata"]["name"]: c for c in plan.of_type(CRD)}
    assert {
        "inferencepools.inference.networking.k8s.io",
        "inferenceobjectives.inference.networking.x-k8s.io",
    } <= set(crds)
    (release,) = [r for r in plan.of_type(RELEASE) if r.inputs["chart"] == gateway.EG_CHART]
    manager = release.inputs["values"]["config"]["envoyGateway"]["extensionManager"]
    # examples/inference-pool/envoy-gateway-values-addon.yaml at AI Gateway v1.1.0
    assert manager["backendResources"] == [
        {"group": "inference.networking.k8s.io", "kind": "InferencePool", "version": "v1"}
    ]
    for crd in crds.values():
        if "inference" in crd.inputs["metadata"]["name"]:
            assert crd.urn in release.dependencies
    for pool in pools(plan).values():
        assert crds["inferencepools.inference.networking.k8s.io"].urn in pool.dependencies


def test_the_vendored_crds_are_the_pinned_release():
    assert contract("epp").tag == endpoint_picker.VERSION
    for name, document in zip(CRD_FILES, crd_documents(), strict=True):
        annotations = document["metadata"]["annotations"]
        assert (
            annotations["inference.networking.k8s.io/bundle-version"] == endpoint_picker.VERSION
        ), name
        assert (
            document["metadata"]["name"]
            == f"{document['spec']['names']['plural']}.{document['spec']['group']}"
        )


def test_the_plugins_config_scores_queue_kv_cache_and_prefix():
    plugins = yaml.safe_load(plugins_config())
    assert [p["type"] for p in plugins["plugins"]] == [
        "queue-scorer",
        "kv-cache-utilization-scorer",
        "prefix-cache-scorer",
    ]
    (profile,) = plugins["schedulingProfiles"]
    assert [p["pluginRef"] for p in profile["plugins"]] == [p["type"] for p in plugins["plugins"]]


@pytest.fixture(scope="module")
def without_picker(tmp_path_factory):
    document = shipped_document("prod")
    document["config"]["llm-infra:platform"].setdefault("gateway", {})["endpoint_picker"] = False
    return plan_document(tmp_path_factory.mktemp("no-picker"), document, stack="prod")


def test_turning_the_picker_off_routes_every_model_to_its_service(without_picker, shipped_plan):
    plan = without_picker
    assert set(plan.outputs["workloads"]["gateway"]["balancing"].values()) == {"service"}
    assert pools(plan) == {}
    assert custom_resources(plan, *GRANT) == []
    # the CRDs and Envoy Gateway's release stay as they were: no control-plane change
    (release,) = [r for r in plan.of_type(RELEASE) if r.inputs["chart"] == gateway.EG_CHART]
    (shipped,) = [
        r for r in shipped_plan("prod").of_type(RELEASE) if r.inputs["chart"] == gateway.EG_CHART
    ]
    assert release.inputs == shipped.inputs
    backends = {
        b.inputs["metadata"]["name"]
        for b in custom_resources(plan, "aigateway.envoyproxy.io/v1beta1", "AIServiceBackend")
    }
    for rule in (
        r for route in custom_resources(plan, *ROUTE) for r in route.inputs["spec"]["rules"]
    ):
        assert all(ref["name"] in backends for ref in rule["backendRefs"])


def test_the_pr_diff_says_which_models_change_how_they_are_balanced(without_picker, shipped_plan):
    base = json.loads(shipped_plan("prod").to_json())
    head = json.loads(without_picker.to_json())
    diff = diff_plans(base, head)
    text = render_diff_markdown(diff)
    for model in picked(shipped_plan("prod")):
        assert f"**balancing {model}**: endpoint-picker → service" in text
    # the pools and pickers go; the model servers themselves are untouched
    deleted = {r["type"] for r in diff.deleted}
    assert "kubernetes:inference.networking.k8s.io/v1:InferencePool" in deleted
    assert not [c for c in diff.updated if c.type == DEPLOYMENT]


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_envoy_gateway_may_read_pools_before_it_starts(shipped_plan, stack):
    """It is not Ready until its InferencePool watch syncs (envoyproxy/gateway@v1.8.3
    internal/provider/kubernetes/kubernetes.go:78-92,390); AI Gateway's chart, which also
    grants the read, comes after it."""
    plan = shipped_plan(stack)
    (release,) = [r for r in plan.of_type(RELEASE) if r.inputs["chart"] == gateway.EG_CHART]
    binding = named(
        plan, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", gateway.POOL_READER
    )
    role = named(plan, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", gateway.POOL_READER)
    assert binding.urn in release.dependencies
    # the chart's service account (charts/gateway-helm/templates/envoy-gateway-serviceaccount.yaml)
    assert binding.inputs["subjects"] == [
        {"kind": "ServiceAccount", "name": "envoy-gateway", "namespace": gateway.EG_NAMESPACE}
    ]
    assert binding.inputs["roleRef"]["name"] == role.inputs["metadata"]["name"]
    (rule,) = role.inputs["rules"]
    assert (rule["apiGroups"], rule["resources"]) == (
        ["inference.networking.k8s.io"],
        ["inferencepools"],
    )
    assert {"get", "list", "watch"} <= set(rule["verbs"])


def test_a_change_of_envoy_gateways_config_rolls_its_pod():
    """The chart mounts its config as a file it reloads whenever the kubelet refreshes it;
    a digest on the pod makes Helm roll it and wait instead."""
    placement = {"nodeSelector": {"pool": "system"}}
    plain = gateway.envoy_gateway_values(placement)
    budgets = gateway.envoy_gateway_values(placement, store_url="counters:6379")
    digest = [
        v["deployment"]["pod"]["annotations"][gateway.CONFIG_CHECKSUM] for v in (plain, budgets)
    ]
    assert digest[0] != digest[1]
    assert (
        digest[0]
        == gateway.envoy_gateway_values(placement)["deployment"]["pod"]["annotations"][
            gateway.CONFIG_CHECKSUM
        ]
    )
    assert plain["deployment"]["pod"]["nodeSelector"] == placement["nodeSelector"]


@pytest.mark.parametrize(
    ("stack", "replicas"), [("dev", 1), ("prod", 2), ("gcp-prod", 2), ("azure-prod", 2)]
)
def test_a_new_picker_is_ready_before_the_old_one_stops(shipped_plan, stack, replicas):
    plan = shipped_plan(stack)
    budgets = plan.of_type("kubernetes:policy/v1:PodDisruptionBudget")
    for _, _, _, picker in pickers(plan):
        spec = picker.inputs["spec"]
        assert spec["strategy"] == {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
        }
        # as many pickers as the proxies allow for a drain: two behind two proxies
        assert spec["replicas"] == replicas
        mine = [
            b
            for b in budgets
            if b.inputs["spec"]["selector"]["matchLabels"].items()
            <= spec["template"]["metadata"]["labels"].items()
        ]
        assert len(mine) == (1 if replicas > 1 else 0)
        if mine:
            assert mine[0].inputs["spec"]["minAvailable"] == 1
