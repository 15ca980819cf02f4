import re
import uuid

from hypothesis import given
from hypothesis import strategies as st

from components.azure.names import global_name
from components.azure.roles import assignment_name, role_definition_id


@given(st.text(min_size=1, max_size=60), st.text(min_size=1, max_size=60))
def test_storage_account_names_fit_azures_rules(project, stack):
    name = global_name("llm", project, stack)
    assert re.fullmatch(r"[a-z0-9]{3,24}", name)


@given(st.text(min_size=1, max_size=60), st.text(min_size=1, max_size=60))
def test_key_vault_names_fit_azures_rules(project, stack):
    name = global_name("kv", project, stack, hyphens=True)
    assert re.fullmatch(r"[a-z][a-z0-9-]{1,22}[a-z0-9]", name)
    assert "--" not in name


def test_names_are_stable_and_differ_between_stacks():
    assert global_name("llm", "llm-infra", "prod") == global_name("llm", "llm-infra", "prod")
    assert global_name("llm", "llm-infra", "prod") != global_name("llm", "llm-infra", "dev")


def test_role_assignment_names_are_stable_guids_per_stack():
    first = assignment_name("llm-infra", "prod", "cluster-identity-network")
    assert uuid.UUID(first).version == 5
    assert first == assignment_name("llm-infra", "prod", "cluster-identity-network")
    assert first != assignment_name("llm-infra", "dev", "cluster-identity-network")


def test_role_definition_ids_are_subscription_scoped():
    assert role_definition_id("sub", "abc") == (
        "/subscriptions/sub/providers/Microsoft.Authorization/roleDefinitions/abc"
    )
