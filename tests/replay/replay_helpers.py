"""Helpers for the replay tests (a module of its own: ``conftest`` is a shared module name)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "job"))

from harness import EXAMPLES, Headless


def record(dest: Path, wav: Path, *extra: str) -> list[dict[str, object]]:
    """Record the offline example answering ``wav`` into ``dest``; return its events."""
    console = Headless(
        str(EXAMPLES / "offline_agent.py"),
        "--no-watch",
        "--input-wav",
        str(wav),
        "--record",
        str(dest),
        *extra,
    )
    try:
        console.wait_type("tool_ended", timeout=120)
        console.wait_for(
            lambda e: e["type"] == "agent_turn" and "Done." in str(e.get("text")),
            timeout=60,
            what="the reply after the tool",
        )
        console.wait_for(
            lambda e: (
                e["type"] == "agent_state"
                and e.get("state") == "listening"
                and any(
                    x["type"] == "agent_turn" and "Done." in str(x.get("text"))
                    for x in console.events
                )
            ),
            timeout=30,
            what="the agent listening again",
        )
        assert console.quit() == 0
    finally:
        console.close()
    return list(console.events)
