"""Outputs pulumi-random would return: fixed, obviously fake values (always secret)."""

from typing import Any

from infra.offline.mocks.context import MockContext

RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"


def resource(
    ctx: MockContext, typ: str, name: str, inputs: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    if typ == RANDOM_PASSWORD:
        length = int(inputs.get("length") or 16)
        value = ("offline-" + ctx.digest(typ, name, length=64))[:length]
        return "none", {"result": value, "bcryptHash": f"$2a$10${ctx.digest(value)}"}
    return f"{name}-{ctx.digest(typ, name, length=8)}", {}
