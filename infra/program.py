"""The program's only contact with Pulumi config: read it once, into a StackConfig."""

from collections.abc import Mapping

import pulumi

from infra.config import CONFIG_KEYS, ConfigError, StackConfig, load_stack_config
from infra.deploy_workloads import WorkloadSecrets

MANAGED_BY = "pulumi"
PROJECT_NAMESPACE = "llm-infra"


def read_stack_config() -> StackConfig:
    """The validated stack config; a config error ends the program cleanly, no traceback."""
    values = {key: _config_value(key) for key in CONFIG_KEYS}
    try:
        return load_stack_config(values, source=f"stack '{pulumi.get_stack()}'")
    except ConfigError as error:
        # RunError makes the language host print the message alone, not a stack trace.
        raise pulumi.RunError(error.render()) from None


def read_workload_secrets() -> WorkloadSecrets:
    """Secrets the workloads need, as Pulumi secrets: `llm-infra:hfToken` (optional; set it
    with `pulumi config set --secret hfToken …`; without it only ungated models load) and
    `llm-infra:alertReceivers` (the URL or key of each alert receiver, by name; set each
    with `pulumi config set --secret --path 'alertReceivers.<name>' …`)."""
    config = pulumi.Config(PROJECT_NAMESPACE)
    return WorkloadSecrets(
        hf_token=config.get_secret("hfToken"),
        alert_receivers=config.get_secret("alertReceivers"),
    )


def _config_value(key: str) -> str | None:
    namespace, name = key.split(":", 1)
    return pulumi.Config(namespace).get(name)


def stack_tags(config: StackConfig, stack: str) -> Mapping[str, str]:
    """Tags on every resource: the platform's own, then the user's."""
    return {
        "llm-infra-stack": stack,
        "llm-infra-environment": config.environment.value,
        "managed-by": MANAGED_BY,
        **config.tags,
    }
