"""Config errors a user can act on: the config path, the value given, and the fix."""

import difflib
import json
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel, ValidationError

PLATFORM_KEY = "llm-infra:platform"


@dataclass(frozen=True, order=True)
class ConfigIssue:
    path: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        return (
            f"{self.path}: {self.message}; {self.fix}"
            if self.fix
            else f"{self.path}: {self.message}"
        )


class ConfigError(Exception):
    """One or more config issues, reported together, one line each."""

    def __init__(self, issues: Sequence[ConfigIssue], *, source: str = "stack config") -> None:
        self.issues = tuple(issues)
        self.source = source
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.issues)
        noun = "error" if count == 1 else "errors"
        lines = [f"{self.source}: {count} config {noun}"]
        lines += [f"  {issue}" for issue in self.issues]
        return "\n".join(lines)


def show(value: Any, limit: int = 60) -> str:
    """A value as the user wrote it, quoted, shortened when long."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, str):
        text = repr(value)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def join_path(prefix: str, loc: Iterable[int | str]) -> str:
    path = prefix
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


# Human wording for the patterns used in the model.
PATTERN_HINTS = {
    r"^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$": "use 1 to 32 lower-case letters, digits and '-', "
    "starting with a letter and not ending with '-'",
    r"^1\.[0-9]{2}$": "write a Kubernetes minor version such as '1.34'",
    r"^\S+( \S+){4}$": "write a 5-field cron schedule such as '0 3 * * *'",
    r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$": "write a Hugging Face id "
    "such as 'meta-llama/Llama-3.1-8B-Instruct'",
    r"^[A-Za-z][A-Za-z0-9_.:/=+@-]{0,62}$": "start with a letter; use letters, digits and "
    "_ . : / = + @ -, at most 63 characters",
}

TYPE_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "str": "a string",
    "list": "a list",
    "tuple": "a list",
    "dict": "a mapping",
    "model": "a mapping",
}


def issues_from_validation_error(
    error: ValidationError, model: type[BaseModel], prefix: str = PLATFORM_KEY
) -> list[ConfigIssue]:
    return [_translate(detail, model, prefix) for detail in error.errors(include_url=False)]


def _translate(detail: Any, model: type[BaseModel], prefix: str) -> ConfigIssue:
    loc = tuple(detail["loc"])
    kind = detail["type"]
    ctx = detail.get("ctx") or {}
    given = detail.get("input")
    path = join_path(prefix, loc)
    if kind == "extra_forbidden":
        return _unknown_key(path, loc, model, prefix)
    if kind == "missing":
        description = _field_description(model, loc)
        fix = f"add it ({description})" if description else "add it"
        return ConfigIssue(path, "is required but not set", fix)
    if kind == "enum":
        return ConfigIssue(
            path, f"{show(given)} is not one of {ctx.get('expected', '')}", "use one of those"
        )
    if kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        return _bound(path, kind, given, ctx)
    if kind == "string_pattern_mismatch":
        hint = PATTERN_HINTS.get(str(ctx.get("pattern")), f"match {ctx.get('pattern')}")
        return ConfigIssue(path, f"{show(given)} has the wrong form", hint)
    if kind in {"too_long", "too_short", "string_too_long", "string_too_short"}:
        return ConfigIssue(path, f"{show(given)} {detail['msg'].lower()}", "shorten or extend it")
    if kind in {"ip_v4_network", "ip_any_network"} or (
        kind == "value_error" and "CIDR form" in str(detail.get("msg"))
    ):
        return ConfigIssue(
            path, f"{show(given)} is not an IPv4 network", "write it in CIDR form, like 10.0.0.0/16"
        )
    word = next((w for t, w in TYPE_WORDS.items() if kind.startswith(t)), None)
    if word is not None:
        return ConfigIssue(path, f"{show(given)} is not {word}", f"write {word}")
    return ConfigIssue(path, f"{show(given)} is invalid: {detail['msg']}", "correct the value")


def _bound(path: str, kind: str, given: Any, ctx: dict[str, Any]) -> ConfigIssue:
    words = {
        "greater_than_equal": ("below the minimum", "≥", "ge"),
        "greater_than": ("not above", ">", "gt"),
        "less_than_equal": ("above the maximum", "≤", "le"),
        "less_than": ("not below", "<", "lt"),
    }
    what, sign, key = words[kind]
    limit = ctx.get(key)
    return ConfigIssue(path, f"{show(given)} is {what} {limit}", f"use a value {sign} {limit}")


def _unknown_key(
    path: str, loc: tuple[int | str, ...], model: type[BaseModel], prefix: str
) -> ConfigIssue:
    key = str(loc[-1])
    parent = _model_at(model, loc[:-1])
    allowed = sorted(parent.model_fields) if parent else []
    close = difflib.get_close_matches(key, allowed, n=1)
    fix = f"did you mean '{close[0]}'?" if close else "remove it"
    if allowed:
        fix += f" (keys here: {', '.join(allowed)})"
    return ConfigIssue(path, f"unknown key {show(key)}", fix)


def _field_description(model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    parent = _model_at(model, loc[:-1])
    if parent is None or not isinstance(loc[-1], str):
        return ""
    field = parent.model_fields.get(loc[-1])
    return (field.description or "") if field else ""


def _model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model class found by following `loc` down from `model`, if any."""
    annotation: Any = model
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(part, str):
            if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
                return None
            field = annotation.model_fields.get(part)
            if field is None:
                return None
            annotation = field.annotation
        else:
            args = typing.get_args(annotation)
            annotation = args[0] if args else None
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip Optional[...] (X | None) down to X."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        return members[0] if len(members) == 1 else annotation
    return annotation
