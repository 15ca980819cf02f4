"""The stack config: one typed, validated object read from `llm-infra:platform`."""

from infra.config.errors import PLATFORM_KEY, ConfigError, ConfigIssue
from infra.config.loader import CONFIG_KEYS, REGION_KEYS, load_stack_config
from infra.config.stack import StackConfig

__all__ = [
    "CONFIG_KEYS",
    "PLATFORM_KEY",
    "REGION_KEYS",
    "ConfigError",
    "ConfigIssue",
    "StackConfig",
    "load_stack_config",
]
