"""Shared building blocks of the config model."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints


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
