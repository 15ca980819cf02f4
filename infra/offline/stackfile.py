"""Read Pulumi.yaml and Pulumi.<stack>.yaml as the Pulumi CLI would, without decrypting.

Config values reach a program as strings: structured values as JSON, scalars as text.
Secure values (`{secure: …}`) become a placeholder and their key is marked secret, so a
plan never needs, and never shows, a secret.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SECRET_PLACEHOLDER = "[secret]"


class StackFileError(Exception):
    """A stack or project file that cannot be read; the message says which and why."""


@dataclass(frozen=True)
class Project:
    root: Path
    name: str
    main: Path

    def stack_file(self, stack: str) -> Path:
        return self.root / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        return sorted(
            p.name[len("Pulumi.") : -len(".yaml")] for p in self.root.glob("Pulumi.*.yaml")
        )


@dataclass(frozen=True)
class StackValues:
    stack: str
    source: str
    config: dict[str, str]
    secret_keys: list[str] = field(default_factory=list)


def find_project(start: Path) -> Project:
    for directory in (start, *start.parents):
        candidate = directory / "Pulumi.yaml"
        if candidate.is_file():
            document = _read_yaml(candidate)
            if not isinstance(document, dict) or not isinstance(document.get("name"), str):
                raise StackFileError(f"{candidate}: 'name' is missing; it names the project")
            main = directory / str(document.get("main") or ".")
            return Project(root=directory, name=document["name"], main=main)
    raise StackFileError(
        f"no Pulumi.yaml in {start} or any parent; run from the project or pass --project-dir"
    )


def load_stack(project: Project, stack: str) -> StackValues:
    path = project.stack_file(stack)
    if not path.is_file():
        known = ", ".join(project.stacks()) or "none"
        raise StackFileError(f"stack '{stack}': {path.name} does not exist (stacks here: {known})")
    document = _read_yaml(path) or {}
    if not isinstance(document, dict):
        raise StackFileError(f"{path.name}: expected a mapping with a 'config:' key")
    raw_config = document.get("config") or {}
    if not isinstance(raw_config, dict):
        raise StackFileError(f"{path.name}: 'config:' must be a mapping of keys to values")
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in raw_config.items():
        full_key = str(key) if ":" in str(key) else f"{project.name}:{key}"
        plain, has_secret = _strip_secrets(value)
        config[full_key] = _as_config_string(plain)
        if has_secret:
            secret_keys.append(full_key)
    return StackValues(
        stack=stack, source=path.name, config=config, secret_keys=sorted(secret_keys)
    )


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise StackFileError(f"{path.name}: not valid YAML{where}: {problem}") from None
    except OSError as error:
        raise StackFileError(f"{path}: cannot be read: {error.strerror}") from None


def _strip_secrets(value: Any) -> tuple[Any, bool]:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECRET_PLACEHOLDER, True
        items = {k: _strip_secrets(v) for k, v in value.items()}
        return {k: v for k, (v, _) in items.items()}, any(s for _, s in items.values())
    if isinstance(value, list):
        pairs = [_strip_secrets(v) for v in value]
        return [v for v, _ in pairs], any(s for _, s in pairs)
    return value, False


def _as_config_string(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
