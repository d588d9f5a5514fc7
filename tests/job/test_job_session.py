"""The job host end to end: the real CLI, a real job process, the offline example agent.

Real parts only: Silero VAD, Moonshine STT, the scripted LLM, espeak-ng TTS, the WAV as the
microphone paced in real time. One console session per agent-file style serves every test in
this module (a session costs ~20 s of real time on two cores).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import EXAMPLES, Event, Headless

pytestmark = pytest.mark.slow

STYLES = {
    "worker_options": EXAMPLES / "offline_agent.py",
    "agent_server": EXAMPLES / "server_agent.py",
}


@pytest.fixture(scope="module", params=sorted(STYLES))
def session(request: pytest.FixtureRequest, kitchen_wav: Path) -> Iterator[Headless]:
    """A scripted session: the WAV turn, then typed text, say, and an interrupted say."""
    console = Headless(str(STYLES[request.param]), "--no-watch", "--input-wav", str(kitchen_wav))
    try:
        console.wait_type("job_ready", timeout=90)
        # the spoken turn: wait for the committed reply to it (the tests check what it was)
        wav = console.wait_for(
            lambda e: e["type"] == "log" and e.get("message") == "input WAV started",
            timeout=60,
            what="the WAV to start",
        )
        console.wait_for(
            lambda e: e["type"] == "agent_turn" and e["t"] > wav["t"],
            timeout=120,
            what="the reply to the spoken turn",
        )
        console.wait_type("agent_state", state="listening")
        mark = console.events[-1]["t"]
        console.send(cmd="user_text", text="hello there")
        console.wait_for(
            lambda e: e["type"] == "agent_turn" and e["t"] > mark, 60, "reply to user_text"
        )
        mark = console.events[-1]["t"]
        console.send(cmd="say", text="This sentence comes from the say command.")
        console.wait_for(
            lambda e: e["type"] == "agent_turn" and e["t"] > mark, 60, "the said agent_turn"
        )
        mark = console.events[-1]["t"]
        console.send(cmd="say", text="Let me tell you a very long story. " * 8)
        # interrupt once the user has heard a few words of it
        console.wait_for(
            lambda e: (
                e["type"] == "agent_spoken"
                and e["t"] > mark
                and len(console.after(mark, "agent_spoken")) >= 4
            ),
            60,
            "the long say to be heard for a while",
        )
        console.send(cmd="interrupt")
        console.wait_for(
            lambda e: e["type"] == "agent_turn" and e["t"] > mark, 60, "the interrupted turn"
        )
        yield console
    finally:
        console.quit()


def _turns(console: Headless) -> list[Event]:
    return console.of_type("agent_turn")


def test_vad_rises_during_speech_and_falls_after(session: Headless) -> None:
    started = session.wait_for(
        lambda e: e["type"] == "log" and e.get("message") == "input WAV started", what="wav"
    )["t"]
    vad = [e for e in session.after(started, "vad") if e["t"] < started + 6]
    assert vad, "no vad events after the WAV started"
    peak = max(range(len(vad)), key=lambda i: vad[i]["probability"])
    assert vad[peak]["probability"] > 0.5
    assert any(e["speaking"] for e in vad)
    # silence after the utterance (the WAV is ~2.4 s, then silence)
    tail = [e["probability"] for e in vad[peak:] if e["t"] > vad[peak]["t"] + 1.5]
    assert tail and max(tail[-20:]) < 0.2


def test_final_transcript_has_the_words(session: Headless) -> None:
    finals = [e for e in session.of_type("user_transcript") if e["final"] and e["source"] == "stt"]
    assert any("kitchen lights" in e["text"].lower() for e in finals), finals


def test_tool_call_started_then_ended(session: Headless) -> None:
    started = [e for e in session.of_type("tool_started") if e["name"] == "turn_on_lights"]
    assert started, session.tail()
    assert json.loads(started[0]["arguments"]) == {"room": "kitchen"}
    ended = [e for e in session.of_type("tool_ended") if e["call_id"] == started[0]["call_id"]]
    assert ended and ended[0]["t"] >= started[0]["t"]
    assert ended[0]["error"] is None and "kitchen" in ended[0]["output"].lower()
    assert ended[0]["duration"] is not None and ended[0]["duration"] >= 0


def test_agent_text_streams_before_the_turn(session: Headless) -> None:
    tool_end = session.of_type("tool_ended")[0]
    # the reply's first delta can carry the tool_ended's own t: arrival order, not t
    after_tool = session.since(tool_end, "agent_text", "agent_turn")
    turn_at = next(i for i, e in enumerate(after_tool) if e["type"] == "agent_turn")
    turn = after_tool[turn_at]
    deltas = after_tool[:turn_at]
    assert len(deltas) >= 3
    assert "".join(d["delta"] for d in deltas).strip() == turn["text"].strip()
    assert any(e["state"] == "speaking" for e in session.since(tool_end, "agent_state"))


def test_metrics_for_the_spoken_turn(session: Headless) -> None:
    tool_end = session.of_type("tool_ended")[0]
    metrics = session.since(tool_end, "metrics")[0]
    assert metrics["transcription_delay"] is not None and metrics["transcription_delay"] > 0
    assert metrics["llm_ttft"] is not None and metrics["e2e"] is not None


def test_user_text_gets_a_reply(session: Headless) -> None:
    typed = [e for e in session.of_type("user_transcript") if e["source"] == "text"]
    assert typed and typed[0]["text"] == "hello there"
    replies = [e for e in _turns(session) if e["t"] > typed[0]["t"]]
    assert replies and replies[0]["text"] and not replies[0]["interrupted"]


def test_say_commits_the_text(session: Headless) -> None:
    turns = [e["text"] for e in _turns(session)]
    assert "This sentence comes from the say command." in turns


def test_interrupt_cuts_a_long_say(session: Headless) -> None:
    last = _turns(session)[-1]
    assert last["interrupted"] is True
    assert last["text"].startswith("Let me")
    assert len(last["text"]) < len("Let me tell you a very long story. " * 8)
