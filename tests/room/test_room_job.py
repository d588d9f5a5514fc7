"""The job in room-connect mode, with the LiveKit server faked at the ``livekit.rtc`` boundary
(``fake_rtc``: Room, AudioSource, LocalAudioTrack; no server can run here). Everything above
it is real: the CLI, the supervisor, the job, livekit-agents' RoomIO and AgentSession, the
offline models. Checks that the job's room gets the session's audio, that every event of the
local mode still flows, that a reload rejoins and carries the conversation, that a dropped
connection is rejoined, and that the secret is in no process's argv."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jwt
import psutil
import pytest
from harness import Headless
from room_support import KEY, SECRET

from agentconsole.room.options import AGENT_IDENTITY

pytestmark = pytest.mark.timeout(180)


def reports(env: dict[str, str]) -> dict[int, dict[str, Any]]:
    """The fake server's reports, one per job process."""
    base = Path(env["FAKE_RTC_REPORT"])
    found: dict[int, dict[str, Any]] = {}
    for path in base.parent.glob(base.name + ".*.json"):
        data = json.loads(path.read_text())
        found[int(data["pid"])] = data
    return found


def start(agent: Path, env: dict[str, str], *extra: str) -> Headless:
    return Headless(str(agent), "--room", "kitchen", "--no-local-participant", *extra, env=env)


def test_job_joins_the_room_and_events_flow(fake_agent: Path, room_env: dict[str, str]) -> None:
    """At the rtc.Room boundary: the job's room gets the session's audio, events still flow."""
    console = start(fake_agent, room_env, "--no-watch")
    try:
        ready = console.wait_type("job_ready", timeout=90)
        console.wait_for(
            lambda e: e["type"] == "room" and "caller" in e.get("participants", []),
            timeout=20,
            what="the caller in the room",
        )
        # the agent's greeting streams as text (tapped in front of RoomIO's transcription)
        console.wait_type("agent_turn", timeout=30)
        console.send(cmd="user_text", text="turn on the kitchen lights")
        ended = console.wait_type("tool_ended", timeout=30, name="turn_on_lights")
        assert ended["output"] == "The kitchen lights are on."
        turn = console.wait_for(
            lambda e: e["type"] == "agent_turn" and "kitchen lights are on" in e["text"],
            timeout=30,
            what="the agent's answer",
        )
        texts = [e["delta"] for e in console.since(ended, "agent_text")]
        assert "".join(texts).strip().startswith(turn["text"].split(".")[0])
        console.wait_type("agent_state", timeout=30, state="listening")
        # no process of the console's tree has the secret on its command line
        root = psutil.Process(console.proc.pid)
        for proc in [root, *root.children(recursive=True)]:
            assert SECRET not in " ".join(proc.cmdline())
        assert console.quit() == 0
    finally:
        console.close()

    pid = ready["pid"]
    report = reports(room_env)[pid]
    (room,) = report["rooms"]
    assert room["url"] == room_env["LIVEKIT_URL"]
    claims = jwt.decode(room["token"], SECRET, algorithms=["HS256"])
    assert claims["sub"] == AGENT_IDENTITY and claims["kind"] == "agent"
    assert claims["iss"] == KEY and claims["video"]["room"] == "kitchen"
    assert room["published"] == ["roomio_audio"]
    assert room["disconnect_calls"] >= 1 and not room["connected"]  # left the room on quit
    (source,) = report["sources"]
    assert source["seconds"] > 1.0 and source["peak"] > 3000  # espeak-ng speech, not silence

    states = [e["state"] for e in console.of_type("room") if e.get("who") == "agent"]
    assert states[0] == "connecting" and "connected" in states
    for kind in ("agent_state", "user_transcript", "tool_started", "agent_speech", "metrics"):
        assert console.of_type(kind), f"no {kind} event in room mode"


def test_reload_rejoins_and_carries_the_conversation(
    fake_agent: Path, room_env: dict[str, str]
) -> None:
    """At the rtc.Room boundary: a reload's new job joins the same room as the same agent."""
    console = start(fake_agent, room_env, "--watch")
    try:
        first = console.wait_type("job_ready", timeout=90)
        console.wait_type("agent_turn", timeout=30)
        console.send(cmd="user_text", text="what is the weather in Paris")
        console.wait_type("tool_ended", timeout=30, name="get_weather")
        console.wait_type("agent_state", timeout=30, state="listening")
        console.send(cmd="reload")
        second = console.wait_for(
            lambda e: e["type"] == "job_ready" and e["pid"] != first["pid"],
            timeout=60,
            what="the reloaded job",
        )
        console.wait_for(
            lambda e: e["type"] == "log" and "conversation carried over" in e["message"],
            timeout=10,
            what="the carried conversation",
        )
        assert console.quit() == 0
    finally:
        console.close()
    found = reports(room_env)
    for pid in (first["pid"], second["pid"]):
        claims = jwt.decode(found[pid]["rooms"][0]["token"], SECRET, algorithms=["HS256"])
        assert claims["sub"] == AGENT_IDENTITY and claims["video"]["room"] == "kitchen"


def test_a_dropped_connection_is_rejoined(fake_agent: Path, room_env: dict[str, str]) -> None:
    """At the rtc.Room boundary: the server drops the agent once; it is shown and rejoined."""
    env = dict(room_env, FAKE_RTC_DROP_AFTER="3")
    console = start(fake_agent, env, "--no-watch")
    try:
        first = console.wait_type("job_ready", timeout=90)
        exited = console.wait_type("job_exited", timeout=30, pid=first["pid"])
        assert exited["code"] == 4
        assert "lost its connection to the room 'kitchen' (signal_close)" in exited["error"]
        console.wait_type("reload", timeout=10, reason="rejoin")
        console.wait_for(
            lambda e: e["type"] == "job_ready" and e["pid"] != first["pid"],
            timeout=60,
            what="the rejoined job",
        )
        console.wait_for(
            lambda e: e["type"] == "room" and e["state"] == "connected" and e["t"] > exited["t"],
            timeout=10,
            what="connected again",
        )
        assert console.quit() == 0
    finally:
        console.close()
