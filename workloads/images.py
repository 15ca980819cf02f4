"""Image contracts: what each pinned image runs, as whom, where it writes, what it needs.

The facts live in `images.yaml` beside this module, each with the file and line at the
pinned tag it was read from. Containers of our own servers are built from them, and the
tests check every rendered container against them.
"""

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

CONTRACTS_FILE = Path(__file__).with_name("images.yaml")


class _Fact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = Field(description="Where the fact was read: `<repo>@<tag>:<path>:<line>`.")


class Command(_Fact):
    argv: tuple[str, ...]
    serves: bool = Field(
        True,
        description="Whether a container running it serves the image's API and metrics "
        "(false: a helper process, e.g. a multi-node replica's Ray worker).",
    )


class User(_Fact):
    uid: int = Field(description="The uid the image runs as when nothing overrides it.")
    arbitrary_uid: bool = Field(description="Whether it runs under any non-root uid.")
    reason: str | None = Field(None, description="Why it cannot, when it cannot.")


class WrittenPath(_Fact):
    path: str
    why: str
    moved_by: str | None = Field(
        None, description="An env var that moves the path: where it is set, its value is."
    )


class EnvFact(_Fact):
    name: str
    value: str | None = Field(None, description="The value it needs, when one is required.")
    path: bool = Field(False, description="The value must lie in a writable volume.")
    why: str


class Metrics(_Fact):
    port: str = Field(description="Name of our container port that serves them.")
    path: str
    series: tuple[str, ...] = ()


class ImageContract(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    repository: str
    tag: str
    tag_prefixes: tuple[str, ...] = ("",)
    """Variants built from the same sources (TEI's one build per GPU generation)."""
    upstream: str
    entrypoint: Command
    commands: tuple[Command, ...] = ()
    user: User
    writes: tuple[WrittenPath, ...] = ()
    env: tuple[EnvFact, ...] = ()
    metrics: Metrics | None = None

    def image(self, prefix: str = "") -> str:
        if prefix not in self.tag_prefixes:
            raise ValueError(f"{self.repository}: no variant {prefix!r} in {self.tag_prefixes}")
        return f"{self.repository}:{prefix}{self.tag}"

    def images(self) -> tuple[str, ...]:
        return tuple(self.image(prefix) for prefix in self.tag_prefixes)

    @property
    def runs_as_root(self) -> bool:
        return not self.user.arbitrary_uid

    def required_env(self) -> dict[str, str]:
        """The variables with a fixed value the image needs under our uid."""
        return {fact.name: fact.value for fact in self.env if fact.value is not None}


@cache
def contracts() -> dict[str, ImageContract]:
    raw = yaml.safe_load(CONTRACTS_FILE.read_text())
    return {name: ImageContract.model_validate(body) for name, body in raw.items()}


def contract(name: str) -> ImageContract:
    return contracts()[name]


def contract_of_image(image: str) -> ImageContract | None:
    """The contract of a full image reference (`repository:tag`), if one states it."""
    for found in contracts().values():
        if image in found.images():
            return found
    return None
