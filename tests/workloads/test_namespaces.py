from tests.harness import run_components
from tests.workloads.fakes import FakeCluster
from workloads.namespaces import Namespaces, NamespacesArgs, PodSecurity, pod_security_labels

ENFORCE = "pod-security.kubernetes.io/enforce"


def test_pss_labels_enforce_the_level_and_warn_at_restricted():
    labels = pod_security_labels(PodSecurity.BASELINE)
    assert labels[ENFORCE] == "baseline"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"
    assert labels["pod-security.kubernetes.io/audit"] == "restricted"


def test_serving_and_data_are_restricted_and_only_node_agents_privileged():
    def body():
        Namespaces("ns", NamespacesArgs(), kubernetes_provider=FakeCluster().kubernetes_provider)

    plan = run_components(body)
    levels = {
        r.inputs["metadata"]["name"]: r.inputs["metadata"]["labels"][ENFORCE]
        for r in plan.of_type("kubernetes:core/v1:Namespace")
    }
    assert levels["llm-serving"] == "restricted"
    assert levels["llm-data"] == "restricted"
    assert [ns for ns, level in levels.items() if level == "privileged"] == ["llm-node-agents"]
    assert "default" not in levels


def test_a_root_serving_namespace_only_when_asked_at_baseline():
    assert NamespacesArgs().serving_root is None
    assert len(NamespacesArgs().levels()) == 5
    levels = NamespacesArgs(serving_root="llm-root").levels()
    assert levels["llm-root"] is PodSecurity.BASELINE
    labels = pod_security_labels(levels["llm-root"])
    # warned and audited at restricted, so the exemption shows in kubectl and the audit log
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"
