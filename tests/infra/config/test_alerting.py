"""Alert receivers in config and their URLs and keys in the `llm-infra:alertReceivers`
secret: checked together, by name, with the fix in each error."""

import json

import pytest

from infra.config import ConfigError, load_stack_config
from infra.config.alerting import receiver_secret
from infra.config.services import AlertReceiverType, Severity
from infra.offline.stackfile import SECRET_PLACEHOLDER
from tests.harness import minimal_platform

RECEIVERS = [
    {"name": "oncall", "type": "pagerduty", "severities": ["critical"]},
    {"name": "team", "type": "slack", "channel": "#llm-alerts"},
]


def load(receivers, secrets):
    platform = minimal_platform(monitoring={"receivers": receivers})
    values = {"llm-infra:platform": json.dumps(platform)}
    if secrets is not None:
        values["llm-infra:alertReceivers"] = (
            secrets if isinstance(secrets, str) else json.dumps(secrets)
        )
    return load_stack_config(values, source="test")


def issues(receivers, secrets):
    with pytest.raises(ConfigError) as error:
        load(receivers, secrets)
    return [str(issue) for issue in error.value.issues]


def test_receivers_with_their_secrets_load():
    config = load(RECEIVERS, {"oncall": "key", "team": "https://hooks.slack.com/x"})
    oncall, team = config.monitoring.receivers
    assert oncall.type is AlertReceiverType.PAGERDUTY
    assert oncall.severities == (Severity.CRITICAL,)
    assert team.severities == (Severity.CRITICAL, Severity.WARNING)  # the default
    assert team.channel == "#llm-alerts"


def test_no_receivers_and_no_secret_is_valid():
    assert load([], None).monitoring.receivers == ()


def test_a_receiver_without_its_secret_says_how_to_set_it():
    (issue,) = issues(RECEIVERS, {"oncall": "key"})
    assert issue == (
        "llm-infra:alertReceivers.team: is not set, and "
        "llm-infra:platform.monitoring.receivers[1] (slack) needs it; run "
        "`pulumi config set --secret --path 'alertReceivers.team' <Slack incoming-webhook URL>`"
    )


def test_a_secret_entry_without_a_receiver_is_an_error():
    (issue,) = issues(RECEIVERS[:1], {"oncall": "key", "old": "x"})
    assert issue.startswith("llm-infra:alertReceivers.old: names no receiver of ")
    assert "(receivers: oncall)" in issue
    assert "pulumi config rm --path 'alertReceivers.old'" in issue


def test_receiver_names_are_unique_and_only_slack_has_a_channel():
    found = issues(
        [
            {"name": "a", "type": "webhook", "channel": "#x"},
            {"name": "a", "type": "slack"},
        ],
        {"a": "https://example.com"},
    )
    assert any(
        i.startswith("llm-infra:platform.monitoring.receivers[1].name: 'a' is already used")
        for i in found
    )
    assert any(
        i.startswith(
            "llm-infra:platform.monitoring.receivers[0].channel: '#x' is set on a webhook receiver"
        )
        for i in found
    )


def test_a_bad_type_is_reported_by_the_model():
    (issue,) = issues([{"name": "a", "type": "email"}], {"a": "x"})
    assert issue.startswith("llm-infra:platform.monitoring.receivers[0].type: 'email'")


def test_a_secret_that_is_not_a_mapping_is_an_error():
    (issue,) = issues(RECEIVERS, "https://hooks.slack.com/x")
    assert issue.startswith("llm-infra:alertReceivers: is not a mapping of receiver names")


def test_a_secret_encrypted_as_a_whole_is_not_opened_offline():
    # The offline planner passes a value secret as a whole as one placeholder: its entries
    # cannot be seen, so they are not checked (the program reads them at `pulumi up`).
    config = load(RECEIVERS, SECRET_PLACEHOLDER)
    assert len(config.monitoring.receivers) == 2
    assert receiver_secret(SECRET_PLACEHOLDER, "team") == SECRET_PLACEHOLDER
    assert receiver_secret(json.dumps({"team": "u"}), "team") == "u"
