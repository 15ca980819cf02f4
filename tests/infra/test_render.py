"""`llm-infra render`: one YAML file per Kubernetes object, schema-valid for the stack's
Kubernetes version and clean under checkov's Kubernetes checks."""

import kubernetes_validate
import pytest
import yaml

from infra.cli import main
from infra.offline.plan import plan_with_config
from infra.render import api_version, kubernetes_objects, manifest
from tests.harness import ROOT, SHIPPED_STACKS
from tests.tools import checkov_failures

# Kinds from operators' CRDs: the Kubernetes schemas do not describe them.
CUSTOM_KINDS = {
    "ScaledObject",
    "ServiceMonitor",
    "PodMonitor",
    "PrometheusRule",
    # the gateway's, checked against their pinned CRDs' schemas in tests/workloads/test_gateway.py
    "GatewayClass",
    "Gateway",
    "EnvoyProxy",
    "Backend",
    "SecurityPolicy",
    "ClientTrafficPolicy",
    "BackendTrafficPolicy",
    "AIGatewayRoute",
    "AIServiceBackend",
    "Certificate",
    "ClusterIssuer",
    # the endpoint pickers' pools and the grant admitting the routes to them, checked against
    # the Inference Extension's and Gateway API's pinned CRDs in tests/workloads/
    # test_endpoint_picker.py
    "InferencePool",
    "ReferenceGrant",
    # a model's groups across nodes, checked against LeaderWorkerSet's pinned CRD schema in
    # tests/workloads/test_model_group.py
    "LeaderWorkerSet",
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Each shipped stack rendered through the CLI, with its Kubernetes version."""
    found = {}
    for stack in SHIPPED_STACKS:
        out = tmp_path_factory.mktemp(stack)
        assert (
            main(["--project-dir", str(ROOT), "render", "--stack", stack, "--out", str(out)]) == 0
        )
        config, _ = plan_with_config(stack, ROOT)
        found[stack] = (out, config.cluster.kubernetes_version)
    return found


def test_api_versions_from_type_tokens():
    assert api_version("kubernetes:apps/v1:Deployment") == ("apps/v1", "Deployment")
    assert api_version("kubernetes:core/v1:Service") == ("v1", "Service")
    assert api_version("kubernetes:networking.k8s.io/v1:NetworkPolicy") == (
        "networking.k8s.io/v1",
        "NetworkPolicy",
    )


def test_one_file_per_object_and_helm_releases_listed(rendered, shipped_plan):
    out, _ = rendered["prod"]
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yaml"))
    objects = kubernetes_objects(shipped_plan("prod"))
    assert files == sorted(o.path for o in objects)
    release = yaml.safe_load((out / "helm" / "keda-keda.yaml").read_text())
    assert release["chart"] == "keda"
    assert release["version"]
    assert release["repository"].startswith("https://")
    assert "values" in release


def test_gcp_and_azure_render_the_same_model_servers_as_aws(rendered):
    expected = sorted(p.name for p in rendered["prod"][0].glob("deployment-*.yaml"))
    assert expected
    for stack in ("gcp-prod", "azure-prod"):
        out, _ = rendered[stack]
        assert sorted(p.name for p in out.glob("deployment-*.yaml")) == expected


def test_secrets_render_without_their_values(rendered):
    out, _ = rendered["prod"]
    secret = yaml.safe_load((out / "secret-llm-data-qdrant-api-key.yaml").read_text())
    assert "stringData" not in secret and "data" not in secret
    assert "withheld" in secret["metadata"]["annotations"]["llm-infra.io/rendered"]


def test_manifest_keeps_the_wire_names():
    from infra.offline.record import ResourceOptions, ResourceRecord

    record = ResourceRecord(
        urn="u",
        type="kubernetes:core/v1:ConfigMap",
        name="x",
        parent=None,
        provider=None,
        custom=True,
        inputs={"metadata": {"name": "x", "namespace": "n"}, "data": {"a": "b"}},
        dependencies=[],
        property_dependencies={},
        options=ResourceOptions(),
    )
    assert manifest(record) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x", "namespace": "n"},
        "data": {"a": "b"},
    }


def test_every_object_is_valid_for_the_stack_kubernetes_version(rendered):
    checked = 0
    for stack, (out, version) in rendered.items():
        for path in sorted(out.glob("*.yaml")):
            document = yaml.safe_load(path.read_text())
            if document["kind"] in CUSTOM_KINDS:
                continue
            try:
                kubernetes_validate.validate(document, f"{version}.0", strict=True)
            except kubernetes_validate.ValidationError as error:
                pytest.fail(f"{stack}: {path.name}: {error.message} at {list(error.path)}")
            checked += 1
    assert checked > 30


def test_checkov_kubernetes_checks_pass_on_our_workloads(rendered):
    failures = []
    for stack in ("dev", "prod"):
        out, _ = rendered[stack]
        failures += [f"{stack}: {failure}" for failure in checkov_failures(out)]
    assert failures == []
