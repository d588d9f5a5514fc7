"""Fixtures for the watchdog tests: the corpus agents under tests/agents and the job harness."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "job"))

AGENTS = Path(__file__).resolve().parents[1] / "agents"


def line_of(agent: str, text: str) -> int:
    """The line number of the first line of ``tests/agents/<agent>`` containing ``text``."""
    for number, line in enumerate((AGENTS / agent).read_text().splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} is not in {agent}")
