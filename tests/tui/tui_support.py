"""Helpers for the TUI tests (a fake host, the console info, waiting on the app); a module
of its own so that test folders importing helpers do not clash on the name ``conftest``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from agentconsole.app import AgentConsoleApp, ConsoleInfo

INFO = ConsoleInfo(
    agent_file="examples/weather_agent.py",
    mode="local",
    input_device="vmic",
    output_device="vspeaker",
    livekit_agents_version="1.8.9",
)


class FakeHost:
    """Records every command, as the supervisor would receive them (thread-safe)."""

    def __init__(self) -> None:
        self.commands: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def command(self, cmd: dict[str, Any]) -> None:
        with self._lock:
            self.commands.append(dict(cmd))

    def names(self) -> list[str]:
        """The ``cmd`` of each command, in order."""
        return [c["cmd"] for c in self.commands]


def frozen_clock() -> float:
    """A clock that never moves: spinners and elapsed times stay put in snapshots."""
    return 0.0


async def wait_for(
    pilot: Pilot[Any], predicate: Callable[[], object], timeout: float = 5.0, what: str = ""
) -> None:
    """Let the app run until ``predicate()`` is true, then one more idle turn (so what the
    state holds is also painted). A predicate that raises (a widget not mounted yet) counts as
    false. Fails after ``timeout`` seconds (generous: the machine may be loaded)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                await pilot.pause()
                return
        except Exception:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or 'the condition'}")
        await pilot.pause(0.02)


async def caught_up(pilot: Pilot[Any]) -> None:
    """Wait until every event fed so far is folded in and on screen."""
    app = pilot.app
    assert isinstance(app, AgentConsoleApp)
    await wait_for(pilot, lambda: app.caught_up, what="the app to show every event fed")
