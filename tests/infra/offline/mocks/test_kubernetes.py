from infra.offline.mocks import MockContext, kubernetes
from infra.offline.mocks import random as random_mock

CTX = MockContext(project="p", stack="s", region="us-east-1")


def test_objects_are_namespace_slash_name_with_metadata_echoed():
    rid, outputs = kubernetes.resource(
        CTX,
        "kubernetes:apps/v1:Deployment",
        "llama-deployment",
        {"metadata": {"name": "llama", "namespace": "llm-serving", "labels": {"a": "b"}}},
    )
    assert rid == "llm-serving/llama"
    assert outputs["metadata"]["labels"] == {"a": "b"}
    assert outputs["status"] == {}


def test_cluster_scoped_objects_are_just_their_name():
    rid, _ = kubernetes.resource(
        CTX, "kubernetes:core/v1:Namespace", "ns-serving", {"metadata": {"name": "llm-serving"}}
    )
    assert rid == "llm-serving"


def test_helm_releases_report_deployed():
    rid, outputs = kubernetes.resource(
        CTX,
        kubernetes.HELM_RELEASE,
        "keda-release",
        {"name": "keda", "namespace": "keda", "chart": "keda", "version": "2.18.1"},
    )
    assert rid == "keda/keda"
    assert outputs["name"] == "keda"
    assert outputs["status"]["status"] == "deployed"
    assert outputs["status"]["version"] == "2.18.1"


def test_random_passwords_are_stable_and_as_long_as_asked():
    _, first = random_mock.resource(CTX, random_mock.RANDOM_PASSWORD, "key", {"length": 48})
    _, again = random_mock.resource(CTX, random_mock.RANDOM_PASSWORD, "key", {"length": 48})
    assert first["result"] == again["result"]
    assert len(first["result"]) == 48
