"""`monitoring.receivers` and the secret that holds their URLs and keys,
`llm-infra:alertReceivers`, checked together.

Only the secret's entry names are looked at here, never its values: the program reads
the values as a Pulumi secret (infra/program.py) and they reach the cluster only inside
a Kubernetes Secret that Alertmanager mounts.
"""

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from infra.config.errors import PLATFORM_KEY, ConfigIssue, show
from infra.config.services import AlertReceiverConfig, AlertReceiverType

ALERT_RECEIVERS_KEY = "llm-infra:alertReceivers"
# How the offline planner passes a value that is secret as a whole (not per entry).
SECRET_PLACEHOLDER = "[secret]"
WHAT = {
    AlertReceiverType.WEBHOOK: "<webhook URL>",
    AlertReceiverType.SLACK: "<Slack incoming-webhook URL>",
    AlertReceiverType.PAGERDUTY: "<PagerDuty Events API v2 routing key>",
}


def set_command(name: str, kind: AlertReceiverType) -> str:
    key = ALERT_RECEIVERS_KEY.split(":", 1)[1]
    return f"pulumi config set --secret --path '{key}.{name}' {WHAT[kind]}"


def receiver_issues(raw: Mapping[str, Any], secrets_text: str | None) -> list[ConfigIssue]:
    """Receiver names are unique, `channel` is Slack's only, and every receiver has its
    entry in the secret (and every entry a receiver)."""
    monitoring = raw.get("monitoring")
    written = monitoring.get("receivers") if isinstance(monitoring, dict) else None
    if not isinstance(written, list):
        written = []
    receivers: dict[int, AlertReceiverConfig] = {}
    for index, item in enumerate(written):
        try:
            receivers[index] = AlertReceiverConfig.model_validate(item)
        except ValidationError:
            continue  # the model's validation reports it
    where = f"{PLATFORM_KEY}.monitoring.receivers"
    issues: list[ConfigIssue] = []
    seen: dict[str, int] = {}
    for index, receiver in receivers.items():
        if receiver.name in seen:
            issues.append(
                ConfigIssue(
                    f"{where}[{index}].name",
                    f"{show(receiver.name)} is already used by receivers[{seen[receiver.name]}]",
                    "give each receiver its own name",
                )
            )
        seen.setdefault(receiver.name, index)
        if receiver.channel is not None and receiver.type is not AlertReceiverType.SLACK:
            issues.append(
                ConfigIssue(
                    f"{where}[{index}].channel",
                    f"{show(receiver.channel)} is set on a {receiver.type.value} receiver",
                    "drop it: only Slack receivers have a channel",
                )
            )
    names = _secret_names(secrets_text)
    if isinstance(names, ConfigIssue):
        return [*issues, names]
    if names is None:  # secret as a whole: its entries cannot be seen without decrypting
        return issues
    for index, receiver in receivers.items():
        if receiver.name not in names:
            issues.append(
                ConfigIssue(
                    f"{ALERT_RECEIVERS_KEY}.{receiver.name}",
                    f"is not set, and {where}[{index}] ({receiver.type.value}) needs it",
                    f"run `{set_command(receiver.name, receiver.type)}`",
                )
            )
    # every name written, valid receiver or not: an invalid one is reported on its own
    written_names = {
        item["name"]
        for item in written
        if isinstance(item, dict) and isinstance(item.get("name"), str)
    }
    known = ", ".join(sorted(written_names)) or "none"
    for name in sorted(set(names) - written_names):
        issues.append(
            ConfigIssue(
                f"{ALERT_RECEIVERS_KEY}.{name}",
                f"names no receiver of {where} (receivers: {known})",
                f"add a receiver named {show(name)} or remove the entry with "
                f"`pulumi config rm --path '{ALERT_RECEIVERS_KEY.split(':', 1)[1]}.{name}'`",
            )
        )
    return issues


def _secret_names(text: str | None) -> set[str] | ConfigIssue | None:
    if text is None or text == "":
        return set()
    if text == SECRET_PLACEHOLDER:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        return ConfigIssue(
            ALERT_RECEIVERS_KEY,
            "is not a mapping of receiver names to their URLs or keys",
            "set one entry per receiver with `pulumi config set --secret --path "
            "'alertReceivers.<name>' <URL or key>`",
        )
    return {str(key) for key in value}


def receiver_secret(text: str, name: str) -> str:
    """The URL or key of receiver `name` in the secret's text (inside an `apply`). The
    offline planner's placeholder stands for every entry."""
    if text == SECRET_PLACEHOLDER:
        return SECRET_PLACEHOLDER
    value = json.loads(text)[name]
    return str(value)
