"""Helpers for the watchdog tests: where the corpus agents are, and their lines."""

from __future__ import annotations

from pathlib import Path

AGENTS = Path(__file__).resolve().parents[1] / "agents"


def line_of(agent: str, text: str) -> int:
    """The line number of the first line of ``tests/agents/<agent>`` containing ``text``."""
    for number, line in enumerate((AGENTS / agent).read_text().splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} is not in {agent}")
