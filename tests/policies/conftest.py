"""Both packs started once, exactly as the Pulumi CLI starts them, and a way to ask them."""

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.policy.runner import PackResult, analyze, started_pack
from tests.harness import ROOT

STACK = "urn:pulumi:t::llm-infra::"


def resource(type_: str, inputs: dict[str, Any], name: str = "r", **extra: Any) -> dict[str, Any]:
    return {
        "urn": f"{STACK}{type_}::{name}",
        "type": type_,
        "name": name,
        "parent": f"{STACK}pulumi:pulumi:Stack::llm-infra-t",
        "provider": None,
        "custom": True,
        "inputs": copy.deepcopy(inputs),
        "dependencies": extra.get("dependencies", []),
        "property_dependencies": extra.get("property_dependencies", {}),
        "options": {"protect": False, "ignore_changes": [], "additional_secret_outputs": []},
    }


class Pack:
    def __init__(self, stub: Any) -> None:
        self.stub = stub

    def run(
        self, resources: list[dict[str, Any]], config: dict[str, Any] | None = None
    ) -> PackResult:
        record = {"stack": "t", "project": "llm-infra", "resources": resources}
        return analyze(self.stub, record, config or {})

    def violations(
        self, resources: list[dict[str, Any]], config: dict[str, Any] | None = None
    ) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for d in self.run(resources, config).diagnostics:
            found.setdefault(d.policy, []).append(d.message)
        return found


@pytest.fixture(scope="session")
def security() -> Iterator[Pack]:
    with started_pack(Path(ROOT / "policies" / "security")) as stub:
        yield Pack(stub)


@pytest.fixture(scope="session")
def cost() -> Iterator[Pack]:
    with started_pack(Path(ROOT / "policies" / "cost")) as stub:
        yield Pack(stub)
