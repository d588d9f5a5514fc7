"""The agent-shape corpus, each agent run headless through the real CLI in a real job.

Real parts only: the offline pipeline (scripted LLM, Moonshine STT, espeak-ng TTS, Silero or
the corpus' own VAD), WAV files as the microphone. These tests also run on the lowest
supported livekit-agents (scripts/test.sh --matrix); a shape that version lacks is skipped.
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from harness import Event, Headless

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent


def _version() -> tuple[int, int]:
    major, minor = importlib.metadata.version("livekit-agents").split(".")[:2]
    return int(major), int(minor)


@contextmanager
def console(agent: str, *args: str, cwd: Path | None = None) -> Iterator[Headless]:
    """A headless console on ``agent`` (a corpus file name, or a path), ready."""
    path = agent if "/" in agent else str(HERE / agent)
    c = Headless(path, *args, cwd=cwd)
    try:
        c.wait_type("job_ready", timeout=120)
        yield c
    finally:
        c.quit()


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Poll a condition outside the console (a file the agent writes)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def ask(c: Headless, text: str, *, until: str = "agent_turn", timeout: float = 60) -> Event:
    """Type ``text``; return the first ``until`` event after it."""
    c.wait_type("agent_state", state="listening")
    before = {id(e) for e in c.events}  # (stamps can be equal: tell events apart by arrival)
    c.send(cmd="user_text", text=text)
    return c.wait_for(
        lambda e: e["type"] == until and id(e) not in before, timeout, f"{until}: {text}"
    )


def ask_tool(c: Headless, text: str) -> Event:
    """Type ``text`` that calls a tool; return its ``tool_ended`` once the LLM's reply to the
    tool's result has come too (else that reply would answer the next question)."""
    ended = ask(c, text, until="tool_ended")
    seen: set[int] = set()
    for e in list(c.events):  # by arrival: events up to the tool's end
        seen.add(id(e))
        if e is ended:
            break
    c.wait_for(lambda e: e["type"] == "agent_turn" and id(e) not in seen, 60, f"reply: {text}")
    return ended


def test_text_only_agent_answers_in_text_mode() -> None:
    with console("text_only.py", "--no-watch") as c:
        mode = c.wait_type("mode")
        assert mode["text"] is True and "TTS" in mode["reason"]
        assert mode["turn_detection"] == "none"
        turn = ask(c, "hello there")
        assert turn["text"] == "Hello in text!" and turn["interrupted"] is False
        # no TTS failure on the way
        assert not [e for e in c.of_type("error") if "tts" in e["message"].lower()], c.tail()
        # switch to audio and back: the command is answered with a mode event each time
        c.send(cmd="mode", text=False)
        assert c.wait_type("mode", text=False)["reason"].startswith("switched to audio")
        c.send(cmd="mode", text=True)
        c.wait_type("mode", text=True, reason="switched to text")
        assert ask(c, "hello again")["text"] == "Hello in text!"


def test_handoff_emits_agent_changed() -> None:
    with console("handoff.py", "--no-watch") as c:
        first = c.wait_type("agent_changed")
        assert first["from"] is None and first["to"] == "Greeter" and first["reason"] == "start"
        ask(c, "I have a billing question", until="agent_changed")
        change = c.of_type("agent_changed")[-1]
        assert change == {**change, "from": "Greeter", "to": "Billing", "reason": "handoff"}
        said = c.wait_for(
            lambda e: e["type"] == "agent_turn" and e["text"].startswith("Billing here"),
            60,
            "the new agent's greeting",
        )
        # after the divider (the console's stamps can be equal: compare the order of arrival)
        assert c.events.index(said) > c.events.index(change)


def test_agent_task_started_and_ended() -> None:
    with console("agent_task.py", "--no-watch") as c:
        started = ask(c, "please collect my email", until="task_started")
        assert started["name"] == "GetEmail"
        entered = c.wait_type("agent_changed", to="GetEmail")
        assert entered["from"] == "Assistant" and entered["reason"] == "task"
        c.wait_for(
            lambda e: e["type"] == "agent_turn" and "email address" in e["text"], 60, "question"
        )
        ended = ask(c, "my email is ada@example.com", until="task_ended")
        assert ended == {**ended, "name": "GetEmail", "result": "ada@example.com", "error": None}
        back = c.wait_type("agent_changed", to="Assistant", reason="task_done")
        assert back["from"] == "GetEmail"
        turn = c.wait_for(
            lambda e: e["type"] == "agent_turn" and "ada@example.com" in e["text"], 60, "reply"
        )
        assert c.events.index(turn) > c.events.index(back)


def test_deployment_metadata_and_participant(tmp_path: Path) -> None:
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"order": "A-17"}))
    args = (
        "--no-watch",
        "--job-metadata",
        f"@{meta}",
        "--participant-identity",
        "caller-1",
        "--participant-attributes",
        "sip.phoneNumber=+15550100",
        "--participant-attributes",
        "tier=gold",
    )
    with console("participant.py", *args) as c:
        turn = c.wait_type("agent_turn")
        assert turn["text"] == "Hello caller-1 (sip), calling from +15550100 about order A-17."


def test_tool_error_and_unexpected_exception() -> None:
    with console("tool_errors.py", "--no-watch") as c:
        declined = ask_tool(c, "charge fifty")
        assert declined["name"] == "charge_card" and declined["output"] is None
        assert "card declined for fifty" in declined["error"]
        crashed = ask_tool(c, "explode now")
        assert crashed["name"] == "explode" and crashed["error"]
        # the session goes on
        assert ask(c, "hello")["text"] == "Still here."


def test_uninterruptible_say_is_marked_and_can_be_forced() -> None:
    with console("uninterruptible.py", "--no-watch", "--no-audio") as c:
        mark = c.wait_type("agent_uninterruptible", stopped=False)
        assert mark["source"] == "say"
        # once a few words were heard (an interruption at the first word commits nothing)
        spoken = iter(range(4, 0, -1))
        c.wait_for(lambda e: e["type"] == "agent_spoken" and next(spoken) == 1, 60, "words heard")
        c.send(cmd="interrupt")
        c.wait_type("agent_uninterruptible", stopped=True)
        turn = c.wait_type("agent_turn")
        assert turn["interrupted"] is True and turn["text"].startswith("This call")


def test_vad_with_events_only_drives_speaking(hello_wav: Path) -> None:
    with console("vad_events.py", "--no-watch", "--input-wav", str(hello_wav)) as c:
        start = c.wait_type("vad", speaking=True)
        c.wait_for(
            lambda e: e["type"] == "vad" and not e["speaking"] and e["t"] > start["t"],
            60,
            "speaking to follow END_OF_SPEECH",
        )
        vad = c.of_type("vad")
        assert all(e["probability"] is None for e in vad)
        # speaking held between the start and the end: every inference in between says so
        spoken = [e["speaking"] for e in vad if e["t"] >= start["t"]]
        assert spoken[:10] == [True] * 10, spoken[:10]


def test_node_overrides_run() -> None:
    # the stt_node override starts with the session's audio input (the mic is silence here);
    # a typed turn then goes through the llm_node and tts_node overrides
    with console("nodes.py", "--no-watch") as c:
        turn = ask(c, "hello there")
        assert turn["text"] == "Hello from the nodes agent. (via llm_node)"
        logs = {e["message"] for e in c.of_type("log")}
        for node in ("stt_node", "llm_node", "tts_node"):
            assert f"{node} override ran" in logs, (node, c.tail())
        assert c.of_type("agent_speech"), "the tts_node override's audio was played"


def test_reload_mid_tool_runs_it_once_and_commits_the_reply(tmp_path: Path) -> None:
    shutil.copy(HERE / "ledger.py", tmp_path / "ledger.py")
    ledger = tmp_path / "ledger.txt"
    with console(str(tmp_path / "ledger.py")) as c:
        c.wait_type("agent_state", state="listening")
        mark = c.events[-1]["t"]
        c.send(cmd="user_text", text="record apples")
        c.wait_type("tool_started", name="record")
        # the file exists from its open, before the line is written: wait for the line
        wait_until(
            lambda: ledger.exists() and ledger.read_text() == "apples\n",
            "the tool to write the ledger",
        )
        # the tool wrote to the ledger beside the agent: that is not a reason to reload
        c.send(cmd="reload")
        c.wait_type("reload", reason="manual")
        (tmp_path / "release").touch()
        ended = c.wait_type("tool_ended", name="record")
        assert ended["output"] == "Recorded apples."
        c.wait_for(lambda e: e["type"] == "job_ready" and e["t"] > ended["t"], 120, "new job")
        turn = c.wait_for(
            lambda e: e["type"] == "agent_turn" and e["t"] > mark, 60, "the reply to the tool"
        )
        assert turn["text"] == "Done. Recorded apples."
        assert ledger.read_text() == "apples\n", "the tool ran twice"
        assert len(c.of_type("tool_started")) == 1
        reloads = c.of_type("reload")
        assert [r["reason"] for r in reloads] == ["manual"], reloads


def test_saving_a_file_the_agent_reads_reloads_it(tmp_path: Path) -> None:
    shutil.copy(HERE / "text_only.py", tmp_path / "text_only.py")
    (tmp_path / "notes.md").write_text("Be brief.\n")
    (tmp_path / "other.md").write_text("not read by the agent\n")
    with console(str(tmp_path / "text_only.py")) as c:
        # the job reports what it read shortly after it starts; a write to an unread file
        # must not reload, a write to the read one must
        ask(c, "hello there")
        (tmp_path / "other.md").write_text("changed\n")
        (tmp_path / "notes.md").write_text("Be very brief.\n")
        reload = c.wait_type("reload", reason="file")
        assert [Path(f).name for f in reload["files"]] == ["notes.md"], reload


@pytest.mark.skipif(_version() < (1, 0), reason="realtime models need livekit-agents 1.x")
def test_realtime_model_turns(hello_wav: Path) -> None:
    with console("realtime.py", "--no-watch", "--input-wav", str(hello_wav)) as c:
        mode = c.wait_type("mode")
        assert mode["text"] is False and mode["turn_detection"] == "model"
        assert not c.of_type("vad"), "no local VAD: nothing to draw"
        user = c.wait_for(
            lambda e: e["type"] == "user_transcript" and e["final"], 60, "the model's transcript"
        )
        assert user["text"] == "hello from the realtime model"
        tool = c.wait_type("tool_ended", name="lookup")
        assert tool["output"] == "found it"
        turn = c.wait_for(
            lambda e: e["type"] == "agent_turn" and "found it" in e["text"], 60, "agent turn"
        )
        assert not turn["interrupted"]


def test_reload_while_thinking_answers_the_message(tmp_path: Path) -> None:
    shutil.copy(HERE / "thinking.py", tmp_path / "thinking.py")
    with console(str(tmp_path / "thinking.py")) as c:
        ask(c, "tell me a story", until="agent_text")
        c.send(cmd="reload")
        reload = c.wait_type("reload", reason="manual")
        turn = c.wait_for(
            lambda e: e["type"] == "agent_turn" and e["t"] > reload["t"], 60, "the answer"
        )
        assert turn["text"].startswith("Once upon a time") and not turn["interrupted"]
        # the old job's half reply was not committed, and the message was typed once
        assert len(c.of_type("agent_turn")) == 1
        assert len([e for e in c.of_type("user_transcript") if e["source"] == "text"]) == 1


def test_text_mode_turn_is_explained() -> None:
    """Issue 9 x issue 10: a typed turn of a text-only agent still gets its `turn` line
    (no audio is played, so no heard latency), with the typed text and the reply."""
    with console("text_only.py", "--no-watch") as c:
        c.wait_type("mode", text=True)
        ask(c, "hello there")
        turn = c.wait_type("turn", timeout=30)
        assert turn["source"] == "text" and turn["user_text"] == "hello there", turn
        assert turn["reply"] == "Hello in text!" and turn["interrupted"] is False, turn
        assert turn["heard_latency"] is None, turn
