"""A mock resource monitor that records every registration the program makes."""

import asyncio
import atexit
import contextlib
import threading
from dataclasses import dataclass
from typing import Any

from pulumi.runtime.mocks import MockMonitor, Mocks
from pulumi.runtime.settings import get_project, get_stack

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class Registration:
    urn: str
    request: Any  # resource_pb2.RegisterResourceRequest


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """URNs exactly as the engine makes them: a child's type is qualified by its
        parent's full type chain, except under the root stack."""
        qualified = type_
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != ROOT_STACK_TYPE:
                qualified = f"{parent_type}${type_}"
        return f"urn:pulumi:{get_stack()}::{get_project()}::{qualified}::{name}"

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        urn = self.make_urn(request.parent, request.type, request.name)
        self.registrations.append(Registration(urn=urn, request=request))
        try:
            return super().RegisterResource(request)
        finally:
            self._track_loop()

    def Invoke(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        try:
            return super().Invoke(request)
        finally:
            self._track_loop()

    def _track_loop(self) -> None:
        if threading.current_thread() is threading.main_thread():
            return
        with contextlib.suppress(RuntimeError):  # raised when this call needed no loop
            _WORKER_LOOPS.add(asyncio.get_event_loop_policy().get_event_loop())


# The SDK calls the monitor from executor threads, each of which opens an event loop of
# its own and keeps it for later runs. Closing them at exit, while the interpreter is
# whole, spares the "Exception ignored in BaseEventLoop.__del__" noise of a late close.
_WORKER_LOOPS: set[asyncio.AbstractEventLoop] = set()


@atexit.register
def _close_worker_loops() -> None:
    for loop in _WORKER_LOOPS:
        if not loop.is_running() and not loop.is_closed():
            loop.close()
