"""The issue's "done when", end to end with the real CLI, real job processes and the real
offline pipeline: record the example on the kitchen-lights WAV, replay it against the example
and two edited copies, export it as a pytest file and run that, mock a tool."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from harness import EXAMPLES, ROOT, run_cli
from replay_helpers import record

pytestmark = pytest.mark.slow


def replay(recording: Path, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("replay", str(recording), *args, "--out", str(out), timeout=240)


def test_record_writes_session_json(recording: Path) -> None:
    data = json.loads((recording / "session.json").read_text())
    assert data["agent"]["file"] == str((EXAMPLES / "offline_agent.py").resolve())
    assert len(data["agent"]["sha256"]) == 64
    assert data["versions"]["livekit_agents"]
    assert data["options"]["input_wav"].endswith("kitchen.wav")
    spoken = [u for u in data["user"] if u["kind"] == "audio"]
    assert spoken, data["user"]
    start, end = spoken[0]["audio"]
    assert 0 <= start < end
    # the user spoke after the greeting: anchored to the agent listening again
    assert spoken[0]["anchor"] == "listening" and spoken[0]["listens"] >= 2
    turn = data["turns"][1]
    assert turn["user_text"].lower().startswith("turn on the kitchen lights")
    assert turn["tools"] == [
        {
            "name": "turn_on_lights",
            "arguments": {"room": "kitchen"},
            "output": "The kitchen lights are on.",
            "error": None,
            "mocked": False,
        }
    ]
    assert turn["reply"] == "Done. The kitchen lights are on."
    assert turn["heard_latency"] > 0
    assert turn["segments"]


def test_replay_unchanged_matches(recording: Path, tmp_path: Path) -> None:
    res = replay(recording, tmp_path / "out")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "OK: every turn matches" in res.stdout
    assert "DIFFERENT" not in res.stdout
    # the replay is a recording too
    again = json.loads((tmp_path / "out" / "session.json").read_text())
    assert again["turns"][1]["tools"][0]["name"] == "turn_on_lights"
    assert again["options"]["replay_of"] == str(recording)


def test_replay_changed_return(recording: Path, return_changed: Path, tmp_path: Path) -> None:
    res = replay(recording, tmp_path / "a", str(return_changed))
    assert res.returncode == 0, res.stdout + res.stderr  # the same tool calls
    assert "≠ reply" in res.stdout
    strict = replay(recording, tmp_path / "b", str(return_changed), "--same-replies")
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "Done. The kitchen lights are on." in strict.stdout  # old
    assert "Done. The kitchen lights are now bright." in strict.stdout  # new
    assert "the reply differs (--same-replies)" in strict.stdout


def test_replay_no_tool_call_fails(recording: Path, rule_changed: Path, tmp_path: Path) -> None:
    res = replay(recording, tmp_path / "out", str(rule_changed))
    assert res.returncode == 1, res.stdout + res.stderr
    assert 'missing tool call turn_on_lights(room="kitchen")' in res.stdout


def test_latency_gate(recording: Path, tmp_path: Path) -> None:
    res = replay(recording, tmp_path / "out", "--max-latency-p95", "0.001")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "--max-latency-p95" in res.stdout


def run_pytest(test_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=str(test_file.parent),
    )


def test_export_test(
    recording: Path, return_changed: Path, rule_changed: Path, tmp_path: Path
) -> None:
    unchanged = tmp_path / "test_unchanged.py"
    res = run_cli("export-test", str(recording), "-o", str(unchanged))
    assert res.returncode == 0, res.stderr
    text = unchanged.read_text()
    assert "session.run(user_input=" in text and "result.expect.contains_function_call(" in text
    ran = run_pytest(unchanged)
    assert ran.returncode == 0, ran.stdout[-3000:]
    assert "1 passed" in ran.stdout
    for agent, shows in ((return_changed, "are now bright"), (rule_changed, "got []")):
        changed = tmp_path / f"test_{agent.parent.name}.py"
        res = run_cli("export-test", str(recording), "-o", str(changed), "--agent", str(agent))
        assert res.returncode == 0, res.stderr
        ran = run_pytest(changed)
        assert ran.returncode == 1, ran.stdout[-3000:]
        assert shows in ran.stdout, ran.stdout[-3000:]


def test_mock_tool(kitchen_wav: Path, tmp_path: Path) -> None:
    events = record(tmp_path / "rec", kitchen_wav, "--mock-tool", 'turn_on_lights="mocked"')
    ended = [e for e in events if e["type"] == "tool_ended"]
    assert ended and ended[0]["output"] == "mocked" and ended[0]["mocked"] is True
    data = json.loads((tmp_path / "rec" / "session.json").read_text())
    assert data["options"]["mock_tools"] == {"turn_on_lights": "mocked"}
    assert data["turns"][1]["tools"][0]["mocked"] is True


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["replay", "/no/such/folder"], "no such folder"),
        (["replay", str(ROOT)], "no events.jsonl"),
        (["export-test", "/no/such/folder", "-o", "x.py"], "no such folder"),
        ([str(EXAMPLES / "offline_agent.py"), "--mock-tool", "nope"], "expected NAME=JSON"),
        ([str(EXAMPLES / "offline_agent.py"), "--mock-tool", "t=mocked"], "not JSON"),
        ([str(EXAMPLES / "offline_agent.py"), "--mock-tool", "t=@/no/file"], "cannot read"),
    ],
)
def test_bad_input(args: list[str], says: str) -> None:
    res = run_cli(*args, *(["--headless"] if "--mock-tool" in args else []))
    assert res.returncode == 2, res.stdout + res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], res.stderr
    assert "Traceback" not in res.stderr


def test_subcommands_keep_the_main_command() -> None:
    res = run_cli("--help")
    assert res.returncode == 0
    assert "replay DIR [AGENT]" in res.stdout and "--mock-tool" in res.stdout
    res = run_cli("replay", "--help")
    assert res.returncode == 0 and "agentconsole replay" in res.stdout
    assert "--same-replies" in res.stdout
    res = run_cli(str(EXAMPLES / "offline_agent.py"), "--version")
    assert res.returncode == 0 and "agentconsole" in res.stdout


def test_replay_against_a_broken_agent(recording: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text('raise RuntimeError("boom at import")\n')
    res = replay(recording, tmp_path / "out", str(broken))
    assert res.returncode == 1
    assert res.stderr.strip().splitlines()[-1] == (
        "agentconsole: the replay stopped: RuntimeError: boom at import"
    )


def test_typed_turns_and_commands_replay(tmp_path: Path) -> None:
    """Typed turns and ``say`` are recorded as commands and replayed as commands, in step."""
    from harness import Headless

    rec = tmp_path / "typed"
    console = Headless(str(EXAMPLES / "offline_agent.py"), "--no-watch", "--record", str(rec))
    try:
        greeting = console.wait_type("agent_turn", timeout=120)
        console.wait_for(
            lambda e: (
                e["type"] == "agent_state" and e["state"] == "listening" and e["t"] >= greeting["t"]
            ),
            timeout=30,
            what="the agent listening after its greeting",
        )
        console.send(cmd="user_text", text="what is the weather in Paris")
        console.wait_type("tool_ended", timeout=60, name="get_weather")
        console.wait_for(lambda e: e["type"] == "agent_turn" and "Paris" in e["text"], timeout=60)
        console.send(cmd="say", text="Goodbye.")
        console.wait_for(
            lambda e: e["type"] == "agent_turn" and e["text"] == "Goodbye.", timeout=60
        )
        assert console.quit() == 0
    finally:
        console.close()
    data = json.loads((rec / "session.json").read_text())
    assert [u["kind"] for u in data["user"]] == ["text", "say"]
    assert data["user"][0]["text"] == "what is the weather in Paris"
    assert data["user"][1]["finals_before"] == 1
    res = replay(rec, tmp_path / "out")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "OK: every turn matches" in res.stdout
    assert 'get_weather(city="Paris")' in res.stdout and "Goodbye." in res.stdout


def test_interrupt_keeps_its_place_in_the_agents_speech(tmp_path: Path) -> None:
    """An interrupt given while the agent speaks is replayed into the agent's speech (the same
    offset into it), not at the recorded clock time."""
    from harness import Headless

    rec = tmp_path / "story"
    console = Headless(str(EXAMPLES / "offline_agent.py"), "--no-watch", "--record", str(rec))
    try:
        greeting = console.wait_type("agent_turn", timeout=120)
        console.wait_for(
            lambda e: (
                e["type"] == "agent_state" and e["state"] == "listening" and e["t"] >= greeting["t"]
            ),
            timeout=30,
            what="the agent listening after its greeting",
        )
        console.send(cmd="user_text", text="tell me a story")
        started = console.wait_for(
            lambda e: (
                e["type"] == "agent_speech" and e["state"] == "started" and e["t"] > greeting["t"]
            ),
            timeout=60,
            what="the story starts",
        )
        console.wait_for(
            lambda e: e["type"] == "agent_spoken" and e["t"] > started["t"] + 1.0, timeout=30
        )
        console.send(cmd="interrupt")
        console.wait_for(lambda e: e["type"] == "agent_turn" and e["interrupted"], timeout=30)
        console.wait_for(
            lambda e: (
                e["type"] == "agent_state" and e["state"] == "listening" and e["t"] > started["t"]
            ),
            timeout=30,
        )
        assert console.quit() == 0
    finally:
        console.close()
    data = json.loads((rec / "session.json").read_text())
    interrupt = data["user"][-1]
    assert interrupt["kind"] == "interrupt" and interrupt["anchor"] == "speech"
    assert interrupt["offset"] >= 1.0
    assert data["turns"][1]["interrupted"] is True
    res = replay(rec, tmp_path / "out")
    assert res.returncode == 0, res.stdout + res.stderr
    again = json.loads((tmp_path / "out" / "session.json").read_text())
    replayed = again["user"][-1]
    assert replayed["kind"] == "interrupt" and replayed["anchor"] == "speech"
    assert replayed["offset"] >= interrupt["offset"] - 0.01  # waited into the speech
    assert again["turns"][1]["interrupted"] is True
    assert again["turns"][1]["reply"]  # cut, but something was said
