"""Closing the session when the console quits with nothing pending: the job skips the
framework's wait for a last user transcript (2 s of silence pushed into the STT, up to 2 s of
waiting; ``bench_vs_livekit.py`` measures the exit) and still closes the session cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import EXAMPLES, Headless

pytestmark = pytest.mark.slow


def test_quit_while_nothing_is_pending_closes_the_session(kitchen_wav: Path) -> None:
    console = Headless(
        str(EXAMPLES / "offline_agent.py"), "--no-watch", "--input-wav", str(kitchen_wav)
    )
    try:
        turn = console.wait_type("agent_turn", timeout=120)
        reply = console.wait_for(
            lambda e: e["type"] == "agent_turn" and e["t"] > turn["t"], 120, "the reply"
        )
        console.wait_after(
            reply,
            lambda e: e["type"] == "agent_state" and e["state"] == "listening",
            30,
            "listening",
        )
        code = console.quit()
    finally:
        console.close()
    assert code == 0
    exited = console.of_type("job_exited")
    assert exited and exited[-1]["code"] == 0 and exited[-1]["error"] is None
    # nothing was said after the reply: no transcript made up from the close's silence
    finals = [e for e in console.of_type("user_transcript") if e["final"] and e["t"] > reply["t"]]
    assert finals == []
