"""Every security rule, passing and failing, through the real analyzer gRPC protocol."""

import pytest

from tests.policies.cases_security import (
    CASES,
    GOOD_DEPLOYMENT,
    MODEL_SERVER,
    MORE_FAILING,
    C,
    changed,
    k8s,
)
from workloads.contract_check import CALLS_API, RUNS_AS_ROOT


def test_every_rule_has_a_passing_and_a_failing_case(security):
    names = {p.name for p in security.run([]).policies}
    assert len(names) >= 45
    assert names == set(CASES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule(security, rule):
    passing, failing, config = CASES[rule]
    assert rule not in security.violations(passing, config), f"{rule} flags a compliant resource"
    found = security.violations(failing, config)
    assert rule in found, f"{rule} misses a violation"
    assert all(message for message in found[rule])
    for more in MORE_FAILING.get(rule, []):
        found = security.violations(more, config)
        assert rule in found, f"{rule} misses a violation in {[r['type'] for r in more]}"


def test_diagnostics_carry_the_resource_urn_and_enforcement(security):
    result = security.run(k8s(changed(GOOD_DEPLOYMENT, "metadata.namespace", None)))
    [diagnostic] = [d for d in result.diagnostics if d.policy == "k8s-no-default-namespace"]
    assert diagnostic.urn.endswith("kubernetes:apps/v1:Deployment::llama")
    assert diagnostic.enforcement == "mandatory"
    assert diagnostic.message == "the workload runs in the default namespace"
    assert "CKV_K8S_21" in diagnostic.description


def test_an_exemption_silences_the_rule_and_shows_up(security):
    failing = k8s(changed(GOOD_DEPLOYMENT, "spec.template.spec.hostNetwork", True))
    config = {
        "k8s-no-host-namespaces": {
            "exemptions": [
                {
                    "type": "kubernetes:apps/v1:Deployment",
                    "name": "llama",
                    "reason": "node agent needs the host network",
                }
            ]
        }
    }
    result = security.run(failing, config)
    assert "k8s-no-host-namespaces" not in {d.policy for d in result.diagnostics}
    assert [(e.policy, e.reason) for e in result.exemptions] == [
        (
            "k8s-no-host-namespaces",
            "exempted kubernetes:apps/v1:Deployment llama: node agent needs the host network",
        )
    ]


def test_a_workload_declares_its_root_exemption_with_no_pack_config(security):
    # The exemption travels with the workload, so `pulumi preview --policy-pack
    # policies/security` (no llm-infra config) lets a TGI server run as uid 0, listed.
    root = changed(GOOD_DEPLOYMENT, f"{C}.securityContext.runAsUser", 0)
    result = security.run(k8s(root))
    assert "k8s-run-as-non-root" in {d.policy for d in result.diagnostics}
    declared = changed(root, "metadata.annotations", {RUNS_AS_ROOT: "its Python lives under /root"})
    result = security.run(k8s(declared))
    assert "k8s-run-as-non-root" not in {d.policy for d in result.diagnostics}
    assert [(e.policy, e.reason) for e in result.exemptions] == [
        (
            "k8s-run-as-non-root",
            "exempted kubernetes:apps/v1:Deployment llama: its Python lives under /root",
        )
    ]


def test_a_workload_that_calls_the_api_declares_why_it_mounts_its_token(security):
    # the endpoint picker watches its pool and pods: its token is needed, and said
    mounted = changed(GOOD_DEPLOYMENT, "spec.template.spec.automountServiceAccountToken", None)
    assert "k8s-no-token-automount" in {d.policy for d in security.run(k8s(mounted)).diagnostics}
    declared = changed(mounted, "metadata.annotations", {CALLS_API: "watches its pool's pods"})
    result = security.run(k8s(declared))
    assert "k8s-no-token-automount" not in {d.policy for d in result.diagnostics}
    assert [(e.policy, e.reason) for e in result.exemptions] == [
        (
            "k8s-no-token-automount",
            "exempted kubernetes:apps/v1:Deployment llama: watches its pool's pods",
        )
    ]


def test_a_model_the_program_could_not_size_fails_unless_the_stack_allows_it(security):
    unsized = changed(
        MODEL_SERVER,
        ("metadata", "annotations", "llm-infra.io/not-sized"),
        "'example-org/custom-7b' is not in the model library; set architecture",
    )
    [diagnostic] = [
        d for d in security.run(k8s(unsized)).diagnostics if d.policy == "llm-model-sized"
    ]
    assert diagnostic.enforcement == "mandatory"
    assert "example-org/custom-7b" in diagnostic.message
    allowed = changed(
        unsized,
        ("metadata", "annotations", "llm-infra.io/unsized-allowed"),
        "require_sized_models is false",
    )
    result = security.run(k8s(allowed))
    assert "llm-model-sized" not in {d.policy for d in result.diagnostics}
    assert [e.reason for e in result.exemptions if e.policy == "llm-model-sized"] == [
        "exempted kubernetes:apps/v1:Deployment llama: require_sized_models is false"
    ]


def test_enforcement_is_configurable_per_rule(security):
    failing = k8s(changed(GOOD_DEPLOYMENT, "metadata.namespace", None))
    result = security.run(failing, {"k8s-no-default-namespace": "advisory"})
    [diagnostic] = [d for d in result.diagnostics if d.policy == "k8s-no-default-namespace"]
    assert diagnostic.enforcement == "advisory"
    assert "k8s-no-default-namespace" not in security.violations(
        failing, {"k8s-no-default-namespace": "disabled"}
    )


def test_unknown_values_at_preview_are_advisory_not_violations(security):
    from tests.policies.cases_security import EKS, GOOD_EKS
    from tests.policies.conftest import resource

    unknown = resource(EKS, changed(GOOD_EKS, "vpcConfig", "[unknown]"))
    result = security.run([unknown])
    endpoint = [d for d in result.diagnostics if d.policy == "eks-endpoint-private-in-prod"]
    assert endpoint and all(
        d.enforcement == "advisory" and "during preview" in d.message for d in endpoint
    )


def test_a_model_on_a_pool_that_does_not_exist_breaks_capacity(security):
    from tests.policies.cases_security import pool_group

    other_pool = pool_group(2)
    other_pool["inputs"]["labels"] = {"llm-infra.io/pool": "standard"}
    found = security.violations([other_pool, *k8s(MODEL_SERVER)])
    assert found["llm-capacity-coherence"] == [
        "no GPU node pool is labelled llm-infra.io/pool=large"
    ]
