"""Fixtures for the TUI tests: a fake host that records commands, and app factories."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

sys.path.insert(0, str(Path(__file__).parent))

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


@pytest.fixture
def host() -> FakeHost:
    return FakeHost()


@pytest.fixture
def app(host: FakeHost) -> AgentConsoleApp:
    return AgentConsoleApp(host, INFO, clock=frozen_clock)


async def settle(pilot: Pilot[Any]) -> None:
    """Let queued events drain and the screen repaint: a frame (1/30 s) for the side panels,
    the conversation's own interval (0.1 s) for the transcript, with some slack for a loaded
    machine. Tests that need more certainty poll with :func:`until`."""
    await pilot.pause(0.15)
    await pilot.pause()


async def until(pilot: Pilot[Any], check: Any, timeout: float = 5.0) -> None:
    """Pause until ``check()`` is true (the conversation repaints at most 10 times a second,
    later on a loaded machine); fail after ``timeout`` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("the screen never showed what was expected")
        await pilot.pause(0.05)
