"""Run a Pulumi program under mocks and capture what it registers and exports.

Each run happens in a fresh copy of the context, so runs in one process never see
each other's resources, config or root stack.
"""

import contextvars
import runpy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.mocks import set_mocks
from pulumi.runtime.settings import get_root_resource
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from infra.offline.convert import SECRET, UNKNOWN
from infra.offline.monitor import RecordingMonitor, Registration


@dataclass(frozen=True)
class Capture:
    registrations: list[Registration]
    outputs: dict[str, Any]


class ProgramError(Exception):
    """The program raised while running under mocks."""


def run_under_mocks(
    body: Callable[[], None],
    *,
    mocks: pulumi.runtime.Mocks,
    project: str,
    stack: str,
    config: Mapping[str, str] | None = None,
    secret_keys: Sequence[str] = (),
) -> Capture:
    context = contextvars.copy_context()
    return context.run(
        _run,
        body,
        mocks=mocks,
        project=project,
        stack=stack,
        config=dict(config or {}),
        secret_keys=list(secret_keys),
    )


def program_body(main: Path) -> Callable[[], None]:
    """The program at `main` (a directory with __main__.py, or a file), run as Pulumi runs it."""

    def body() -> None:
        runpy.run_path(str(main), run_name="__main__")

    return body


def _run(
    body: Callable[[], None],
    *,
    mocks: pulumi.runtime.Mocks,
    project: str,
    stack: str,
    config: dict[str, str],
    secret_keys: list[str],
) -> Capture:
    pulumi.runtime.set_all_config(config, secret_keys)
    monitor = RecordingMonitor(mocks)
    set_mocks(mocks, project=project, stack=stack, preview=True, monitor=monitor)
    try:
        _sync_await(run_pulumi_func(body))
        outputs = _stack_outputs()
    except pulumi.RunError as error:
        raise ProgramError(str(error)) from None
    except Exception as error:
        raise ProgramError(f"{type(error).__name__}: {error}") from error
    return Capture(registrations=list(monitor.registrations), outputs=outputs)


def _stack_outputs() -> dict[str, Any]:
    root = get_root_resource()
    exported: dict[str, Any] = getattr(root, "outputs", {}) or {}
    return {name: _sync_await(_resolve(value)) for name, value in sorted(exported.items())}


async def _resolve(value: Any) -> Any:
    output = pulumi.Output.from_input(value)
    if await output.is_secret():
        return SECRET
    if not await output.is_known():
        return UNKNOWN
    return await output.future()
