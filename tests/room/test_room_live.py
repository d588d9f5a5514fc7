"""Room-connect mode against a real LiveKit server: runs only when LIVEKIT_URL,
LIVEKIT_API_KEY and LIVEKIT_API_SECRET are set (no server can run on the project's machines).
The offline agent joins a fresh room, the console joins it as the developer, the greeting and
a tool call go through the real media path, and the secret appears in no output."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from harness import Headless

from agentconsole.room.options import AGENT_IDENTITY

NEEDED = ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET")
ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(
        not all(os.environ.get(name) for name in NEEDED),
        reason="needs a LiveKit server: set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET",
    ),
    pytest.mark.timeout(180),
]


def test_agent_and_console_meet_in_a_real_room(tmp_path: Path) -> None:
    room = f"agentconsole-test-{uuid.uuid4().hex[:8]}"
    console = Headless(
        str(ROOT / "examples" / "offline_agent.py"),
        "--room",
        room,
        "--identity",
        "agentconsole-test",
        "--no-watch",
        "--record",
        str(tmp_path / "rec"),
    )
    try:
        console.wait_for(
            lambda e: (
                e["type"] == "room" and e.get("who") == "console" and e["state"] == "connected"
            ),
            timeout=30,
            what="the console in the room",
        )
        console.wait_type("job_ready", timeout=90)
        console.wait_for(
            lambda e: (
                e["type"] == "room"
                and e.get("who") == "agent"
                and {AGENT_IDENTITY, "agentconsole-test"} <= set(e.get("participants", []))
            ),
            timeout=30,
            what="both participants seen by the agent",
        )
        console.wait_type("agent_turn", timeout=60)
        console.send(cmd="user_text", text="turn on the kitchen lights")
        console.wait_type("tool_ended", timeout=60, name="turn_on_lights")
        assert console.quit(timeout=30) == 0
    finally:
        console.close()
    secret = os.environ["LIVEKIT_API_SECRET"]
    texts = [p.read_bytes().decode("latin-1") for p in (tmp_path / "rec").rglob("*") if p.is_file()]
    assert all(secret not in text for text in texts)
    assert all(secret not in str(e) for e in console.events)
