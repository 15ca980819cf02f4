"""Read the stack's config values into one validated StackConfig, or fail with every issue.

Pulumi hands config to a program as strings (structured values as JSON); the program
and the offline planner both come through here, so they agree on every verdict.
"""

import json
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import ValidationError

from components.enums import Cloud, Environment
from infra.config.alerting import ALERT_RECEIVERS_KEY, receiver_issues
from infra.config.checks import ConfigView, run_checks
from infra.config.defaults import apply_environment_defaults
from infra.config.errors import (
    PLATFORM_KEY,
    ConfigError,
    ConfigIssue,
    issues_from_validation_error,
    show,
)
from infra.config.platform_checks import run_platform_checks
from infra.config.stack import StackConfig

REGION_KEYS = {
    Cloud.AWS: "aws:region",
    Cloud.GCP: "gcp:region",
    Cloud.AZURE: "azure-native:location",
}
GCP_PROJECT_KEY = "gcp:project"
E = TypeVar("E", Cloud, Environment)
CONFIG_KEYS = (PLATFORM_KEY, *REGION_KEYS.values(), GCP_PROJECT_KEY, ALERT_RECEIVERS_KEY)
"""Every config key the program validates (of `llm-infra:alertReceivers`, the names only)."""


def load_stack_config(
    values: Mapping[str, str | None], *, source: str = "stack config"
) -> StackConfig:
    """`values` maps config keys (`llm-infra:platform`, `aws:region`, …) to their raw strings."""
    raw, issues = _platform_object(values.get(PLATFORM_KEY))
    if raw is None:
        raise ConfigError(issues, source=source)
    issues += _provider_keys(raw, values)
    environment = _enum(Environment, raw.get("environment")) or Environment.DEV
    raw = apply_environment_defaults(raw, environment)
    config: StackConfig | None = None
    try:
        config = StackConfig.model_validate(raw)
    except ValidationError as error:
        reported = {issue.path for issue in issues}
        issues += [
            issue
            for issue in issues_from_validation_error(error, StackConfig)
            if issue.path not in reported
        ]
    view = ConfigView.from_raw(raw)
    issues += run_checks(view) + run_platform_checks(view)
    issues += receiver_issues(raw, values.get(ALERT_RECEIVERS_KEY))
    if issues or config is None:
        raise ConfigError(_unique(issues), source=source)
    return config


def _platform_object(text: str | None) -> tuple[dict[str, Any] | None, list[ConfigIssue]]:
    fix = (
        f"add a '{PLATFORM_KEY}' mapping under 'config:' in Pulumi.<stack>.yaml "
        "(see docs/CONFIG.md and the shipped Pulumi.dev.yaml)"
    )
    if text is None:
        return None, [ConfigIssue(PLATFORM_KEY, "is not set", fix)]
    try:
        raw = json.loads(text)
    except json.JSONDecodeError:
        return None, [ConfigIssue(PLATFORM_KEY, f"{show(text)} is not a mapping", fix)]
    if not isinstance(raw, dict):
        return None, [ConfigIssue(PLATFORM_KEY, f"{show(raw)} is not a mapping", fix)]
    return raw, []


def _provider_keys(raw: dict[str, Any], values: Mapping[str, str | None]) -> list[ConfigIssue]:
    """Fill `region` from the provider's key; check the two agree."""
    cloud = _enum(Cloud, raw.get("cloud"))
    if cloud is None:
        return []
    issues = []
    key = REGION_KEYS[cloud]
    provider_region = values.get(key)
    written = raw.get("region")
    if written is None and provider_region:
        raw["region"] = provider_region
    elif written is None:
        issues.append(
            ConfigIssue(
                f"{PLATFORM_KEY}.region",
                f"is not set, and neither is {key}",
                f"run `pulumi config set {key} <region>`",
            )
        )
    elif provider_region and written != provider_region:
        issues.append(
            ConfigIssue(
                f"{PLATFORM_KEY}.region",
                f"{show(written)} disagrees with {key} ({show(provider_region)})",
                f"drop {PLATFORM_KEY}.region or make the two the same",
            )
        )
    if cloud is Cloud.GCP and not values.get(GCP_PROJECT_KEY):
        issues.append(
            ConfigIssue(
                GCP_PROJECT_KEY,
                "is not set",
                f"run `pulumi config set {GCP_PROJECT_KEY} <project-id>`",
            )
        )
    return issues


def _enum(kind: type[E], value: Any) -> E | None:
    try:
        return kind(value)
    except ValueError:
        return None


def _unique(issues: list[ConfigIssue]) -> list[ConfigIssue]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for issue in issues:
        if (issue.path, issue.message) not in seen:
            seen.add((issue.path, issue.message))
            unique.append(issue)
    return unique
