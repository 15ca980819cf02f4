import re

from hypothesis import given
from hypothesis import strategies as st

from components.gcp.identity import account_id, workload_member
from components.gcp.labels import gcp_labels
from infra.platforms.gcp import cluster_name

ACCOUNT_ID = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")
CLUSTER_NAME = re.compile(r"^[a-z](?:[-a-z0-9]{0,38}[a-z0-9])?$")
LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
NAMES = st.text(alphabet="abcXYZ019-_.", min_size=1, max_size=80).filter(
    lambda s: any(c.isalnum() for c in s)
)


def test_short_names_are_kept():
    assert account_id("llm-infra-gcp-prod-nodes") == "llm-infra-gcp-prod-nodes"
    assert cluster_name("llm-infra", "gcp-prod") == "llm-infra-gcp-prod"


def test_long_names_are_cut_with_a_hash_that_keeps_them_apart():
    a = account_id("llm-infra-a-very-long-stack-name-vllm")
    b = account_id("llm-infra-a-very-long-stack-name-tgi")
    assert len(a) == 30 and a != b and ACCOUNT_ID.match(a)


@given(NAMES)
def test_account_ids_are_always_valid(name):
    assert ACCOUNT_ID.match(account_id(name)), account_id(name)


@given(NAMES, NAMES)
def test_cluster_names_are_always_valid(project, stack):
    assert CLUSTER_NAME.match(cluster_name(project, stack)), cluster_name(project, stack)


@given(st.dictionaries(NAMES, st.text(alphabet="abcXYZ019-_.:/ ", max_size=80), max_size=5))
def test_labels_are_always_valid(tags):
    for key, value in gcp_labels(tags).items():
        assert LABEL_KEY.match(key) and LABEL_VALUE.match(value), (key, value)


def test_valid_labels_pass_unchanged():
    tags = {"team": "ml-platform", "cost-center": "ml-serving", "llm-infra-stack": "gcp-prod"}
    assert gcp_labels(tags) == tags
    assert gcp_labels({"llm-infra-stack": "Dev.EU"}) == {"llm-infra-stack": "dev_eu"}


def test_workload_member_names_one_kubernetes_service_account():
    assert workload_member("p.svc.id.goog", "serving", "vllm") == (
        "serviceAccount:p.svc.id.goog[serving/vllm]"
    )
