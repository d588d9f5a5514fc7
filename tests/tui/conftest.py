"""Fixtures for the TUI tests: a fake host that records commands, and app factories."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tui_support import INFO, FakeHost, frozen_clock

from agentconsole.app import AgentConsoleApp


@pytest.fixture
def host() -> FakeHost:
    return FakeHost()


@pytest.fixture
def app(host: FakeHost) -> AgentConsoleApp:
    return AgentConsoleApp(host, INFO, clock=frozen_clock)
