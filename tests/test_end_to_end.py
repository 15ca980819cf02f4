"""Cross-cutting guarantees over the shipped stacks: secrets never leak from config or
generation into plans, outputs or rendered manifests; and `pulumi destroy` removes the
objects that own cloud resources behind Pulumi's back before the cluster and network."""

import json

import pytest
import yaml

from infra.cli import main
from tests.harness import ROOT, SHIPPED_STACKS

CLUSTERS = {
    "prod": "aws:eks/cluster:Cluster",
    "gcp-prod": "gcp:container/cluster:Cluster",
    "azure-prod": "azure-native:containerservice:ManagedCluster",
}
TOKEN = "hf_plaintext_do_not_leak_0123456789"


@pytest.fixture(scope="module")
def project_with_token(tmp_path_factory):
    """The prod stack with a Hugging Face token set as a plain config value: the program
    must still treat it as a secret everywhere."""
    folder = tmp_path_factory.mktemp("secrets")
    (folder / "Pulumi.yaml").write_text(
        f"name: llm-infra\nruntime: python\nmain: {ROOT / 'infra'}\n"
    )
    document = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    document["config"]["llm-infra:hfToken"] = TOKEN
    (folder / "Pulumi.prod.yaml").write_text(yaml.safe_dump(document))
    return folder


def test_no_secret_reaches_the_plan_record_or_outputs(project_with_token, capsys):
    assert (
        main(["--project-dir", str(project_with_token), "plan", "-s", "prod", "--format", "json"])
        == 0
    )
    record = json.loads(capsys.readouterr().out)
    text = json.dumps(record)
    assert TOKEN not in text
    outputs = record["outputs"]
    assert outputs["kubeconfig"] == "[secret]"
    assert outputs["qdrant_api_key"] == "[secret]"
    generated = [
        r for r in record["resources"] if r["type"] == "random:index/randomPassword:RandomPassword"
    ]
    assert {r["name"] for r in generated} >= {"qdrant-api-key", "monitoring-grafana-password"}
    secrets = [r for r in record["resources"] if r["type"] == "kubernetes:core/v1:Secret"]
    assert secrets and all(r["inputs"].get("stringData", "[secret]") == "[secret]" for r in secrets)


def test_no_secret_reaches_the_rendered_manifests(project_with_token, tmp_path, capsys):
    out = tmp_path / "rendered"
    assert (
        main(["--project-dir", str(project_with_token), "render", "-s", "prod", "--out", str(out)])
        == 0
    )
    files = list(out.rglob("*"))
    assert files
    for path in files:
        if path.is_file():
            assert TOKEN not in path.read_text(encoding="utf-8"), path


@pytest.mark.parametrize("stack", [s for s in SHIPPED_STACKS if s in CLUSTERS])
def test_kubernetes_objects_go_before_the_cluster_and_the_cluster_before_the_network(
    shipped_plan, stack
):
    plan = shipped_plan(stack)
    cluster = plan.of_type(CLUSTERS[stack])[0]
    provider = plan.get("pulumi:providers:kubernetes", "cluster-k8s")
    # destroy runs in reverse dependency order: dependents first
    assert cluster.urn in provider.dependencies
    in_cluster = [r for r in plan.resources if r.type.startswith("kubernetes:")]
    assert in_cluster
    assert all(r.provider == provider.urn for r in in_cluster)
    # the objects that own cloud resources: volumes (claims of the StatefulSet) and Services
    assert any(r.type == "kubernetes:apps/v1:StatefulSet" for r in in_cluster)
    network = [r.urn for r in plan.resources if r.type.endswith((":Subnet", ":Subnetwork"))]
    assert set(cluster.dependencies) & set(network), (
        "the cluster must depend on its subnets so it goes before the network"
    )


def test_no_shipped_stack_exposes_a_load_balancer_service(shipped_plan):
    for stack in SHIPPED_STACKS:
        services = shipped_plan(stack).of_type("kubernetes:core/v1:Service")
        assert services
        assert all(
            s.inputs.get("spec", {}).get("type", "ClusterIP") != "LoadBalancer" for s in services
        )
