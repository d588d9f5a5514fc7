"""session.json from an event stream: the user's side with its anchors, the turn summaries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentconsole.replay.session_file import (
    SessionFileError,
    build_session,
    load_events,
    load_session,
    write_session,
)


def ev(t: float, type_: str, **fields: object) -> dict[str, object]:
    return {"type": type_, "t": t, **fields}


# A session shaped like a real one (docs/protocol.md): greeting, a spoken turn with a tool,
# a barge-in during the reply, a typed turn, and the commands say / mute / interrupt.
EVENTS = [
    ev(0.01, "recording", dir="x", audio_start=0.5),
    ev(0.02, "job_started", pid=1),
    ev(1.0, "hello", pid=1, agents_version="1.8.9", python="3.11.7"),
    ev(1.1, "agent_state", state="listening"),
    ev(1.1, "job_ready", pid=1),
    ev(1.2, "agent_state", state="thinking"),
    ev(1.4, "agent_speech", state="started"),
    ev(1.4, "agent_state", state="speaking"),
    ev(4.0, "agent_speech", state="finished", played=2.6, interrupted=False),
    ev(4.0, "agent_turn", text="Hi!", interrupted=False),
    ev(4.0, "agent_state", state="listening"),
    ev(5.5, "user_state", state="speaking"),
    ev(7.0, "user_state", state="listening"),
    ev(7.5, "user_transcript", text="Turn on the kitchen lights.", final=True, source="stt"),
    ev(7.5, "agent_state", state="thinking"),
    ev(7.6, "tool_started", call_id="c1", name="turn_on_lights", arguments='{"room": "kitchen"}'),
    ev(
        7.6,
        "tool_ended",
        call_id="c1",
        name="turn_on_lights",
        arguments='{"room": "kitchen"}',
        output="on",
        error=None,
        duration=0.001,
        mocked=True,
    ),
    ev(7.8, "agent_speech", state="started"),
    ev(7.8, "agent_state", state="speaking"),
    ev(8.6, "user_state", state="speaking"),  # barge-in, 0.8 s into the reply (0.3 s padded)
    ev(9.0, "agent_speech", state="finished", played=1.2, interrupted=True),
    ev(9.0, "agent_turn", text="Done.", interrupted=True),
    ev(9.0, "agent_state", state="listening"),
    ev(9.9, "user_state", state="listening"),
    ev(10.2, "user_transcript", text="Stop.", final=True, source="stt"),
    ev(12.0, "command", cmd="mute", args={"on": True}),
    ev(12.5, "command", cmd="user_text", args={"text": "hello"}),
    ev(12.5, "user_transcript", text="hello", final=True, source="text"),
    ev(12.9, "agent_speech", state="started"),
    ev(13.0, "command", cmd="interrupt", args={}),
    ev(13.1, "agent_speech", state="finished", played=0.2, interrupted=True),
    ev(14.0, "turn", user_text="hello", reply="", tools=[], heard_latency=0.4, segments=[]),
]


def test_user_side_and_anchors() -> None:
    data = build_session(EVENTS, None, {"input_wav": "k.wav"})
    user = data["user"]
    assert [u["kind"] for u in user] == ["audio", "audio", "mute", "text", "interrupt"]
    first, barge, mute, text, interrupt = user
    # padded by 0.5 s before the VAD fired; in audio.wav's timeline (sample 0 at t=0.5)
    assert first["audio"] == [5.0 - 0.5, 7.0 - 0.5]
    assert first["anchor"] == "listening" and first["listens"] == 2  # after the greeting
    assert first["offset"] == pytest.approx(1.0)
    assert first["finals_before"] == 0
    # the barge-in keeps its offset into the agent's speech (padding bounded by the last span)
    assert barge["anchor"] == "speech" and barge["speeches"] == 1
    assert barge["offset"] == pytest.approx(8.1 - 7.8)
    assert barge["finals_before"] == 1
    assert mute["on"] is True
    assert text["text"] == "hello" and text["finals_before"] == 2
    assert interrupt["anchor"] == "speech" and interrupt["offset"] == pytest.approx(0.1)
    assert interrupt["finals_before"] == 3


def test_turn_summaries() -> None:
    data = build_session(EVENTS, None, {})
    turns = data["turns"]
    assert [t["user_text"] for t in turns] == [
        None,
        "Turn on the kitchen lights.",
        "Stop.",
        "hello",
    ]
    assert turns[0]["reply"] == "Hi!"
    kitchen = turns[1]
    assert kitchen["tools"] == [
        {
            "name": "turn_on_lights",
            "arguments": {"room": "kitchen"},
            "output": "on",
            "error": None,
            "mocked": True,
        }
    ]
    assert kitchen["reply"] == "Done." and kitchen["interrupted"] is True
    assert kitchen["heard_latency"] == pytest.approx(7.8 - 7.0)  # end of speech -> audio
    assert kitchen["segments"] == [[4.5, 6.5]]
    assert turns[3]["source"] == "text"
    assert turns[3]["heard_latency"] == pytest.approx(12.9 - 12.5)  # typed -> audio
    assert data["turn_events"] == [EVENTS[-1]]
    assert data["versions"]["livekit_agents"] == "1.8.9"
    assert data["audio"]["start"] == 0.5


def write_events(folder: Path, events: list[dict[str, object]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "events.jsonl", "a") as f:
        for e in events:
            f.write(json.dumps(e) + "\n")


def test_write_and_load(tmp_path: Path) -> None:
    agent = tmp_path / "agent.py"
    agent.write_text("print('hi')\n")
    # a folder recorded twice: the second session (its clock restarts) is the one kept
    write_events(
        tmp_path / "rec",
        [
            ev(0.0, "recording", dir="x", audio_start=0.0),
            ev(30.0, "user_transcript", text="old", final=True),
        ],
    )
    write_events(tmp_path / "rec", EVENTS)
    written = write_session(tmp_path / "rec", agent, {"log_level": "info"})
    loaded = load_session(tmp_path / "rec")
    assert loaded.data == written.data
    assert loaded.agent_file == agent
    assert len(loaded.data["agent"]["sha256"]) == 64
    assert "old" not in [t["user_text"] for t in loaded.turns]
    assert len(load_events(tmp_path / "rec")) == len(EVENTS)
    # without session.json, the same data comes from events.jsonl
    (tmp_path / "rec" / "session.json").unlink()
    assert load_session(tmp_path / "rec").turns == written.turns


def test_not_a_recording(tmp_path: Path) -> None:
    with pytest.raises(SessionFileError, match="no such folder"):
        load_session(tmp_path / "nope")
    with pytest.raises(SessionFileError, match="no events.jsonl"):
        load_session(tmp_path)
    write_events(tmp_path / "bad", EVENTS)
    (tmp_path / "bad" / "session.json").write_text("{nope")
    with pytest.raises(SessionFileError, match="not a readable session file"):
        load_session(tmp_path / "bad")
