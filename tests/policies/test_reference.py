from policies.lib.reference import render
from tests.harness import ROOT


def test_the_committed_rule_reference_matches_the_rules():
    assert (ROOT / "docs" / "POLICIES.md").read_text() == render(), (
        "docs/POLICIES.md is stale: run `make docs`"
    )


def test_every_rule_is_listed_with_what_it_mirrors():
    text = render()
    assert (
        "| `eks-secrets-encryption` | EKS envelope-encrypts Kubernetes secrets with a KMS key | CKV_AWS_58"
        in text
    )
    assert "## Security (`llm-infra-security`): 73 rules" in text
    assert "## Cost (`llm-infra-cost`): 11 rules" in text
