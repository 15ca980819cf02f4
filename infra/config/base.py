"""Shared building blocks of the config model."""

from ipaddress import IPv4Network
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints


class Section(BaseModel):
    """A config section: unknown keys are errors, values are immutable once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


DnsLabel = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$"),
]
"""Lower-case letters, digits and '-', 1 to 32 characters: valid as a Kubernetes,
node-group and node-pool name on every cloud."""

KubernetesVersion = Annotated[str, StringConstraints(pattern=r"^1\.[0-9]{2}$")]


def _cidr_text(value: Any) -> Any:
    # Without this, pydantic would read a number (or true) as an address: `1` is 0.0.0.1/32.
    if not isinstance(value, (str, IPv4Network)):
        raise ValueError("write it in CIDR form, like 10.0.0.0/16")
    return value


Cidr = Annotated[IPv4Network, BeforeValidator(_cidr_text)]
"""An IPv4 network written as text, e.g. 10.0.0.0/16."""
