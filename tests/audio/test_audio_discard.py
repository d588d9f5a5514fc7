"""Discarded speech on the real audio rig (issue 10): the user talks over the greeting.

The real TUI runs in tmux with the rig's virtual mic and speaker; as soon as the agent's
greeting starts playing, "turn on the kitchen lights" is played into the mic. The framework
withholds that audio from the STT during its echo-cancellation warm-up (the agent's first
``aec_warmup_duration`` seconds of speech), so the console must say so: a
``user_audio_discarded`` event with ``reason: "aec_warmup"`` in the recorded event log, and a
line in the conversation.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "job"))
sys.path.insert(0, str(Path(__file__).parents[1] / "tui"))
from conftest_speech import MIC_GAIN, speak
from test_tui_tmux import Tmux

pytestmark = [
    pytest.mark.audio,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]
ROOT = Path(__file__).resolve().parents[2]


def _events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:  # the line being written
            pass
    return out


def _wait_event(path: Path, check: Any, timeout: float, what: str) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for ev in _events(path):
            if check(ev):
                return ev
        time.sleep(0.02)
    raise AssertionError(f"no {what} in the event log")


def test_speech_over_the_greeting_is_reported(audio_rig: dict[str, str], tmp_path: Path) -> None:
    wav = speak("turn on the kitchen lights", tmp_path / "kitchen.wav", MIC_GAIN)
    record = tmp_path / "record"
    log = record / "events.jsonl"
    command = (
        f"cd {ROOT} && {sys.executable} -m agentconsole examples/offline_agent.py --no-watch "
        f"--input-device vmic --output-device vspeaker --record {record}; sleep 60"
    )
    session = Tmux(tmp_path / "tmux.sock", command)
    try:
        _wait_event(log, lambda e: e.get("type") == "job_ready", 120, "job_ready")
        started = _wait_event(
            log,
            lambda e: e.get("type") == "agent_speech" and e.get("state") == "started",
            60,
            "greeting playback",
        )
        # talk over the first second of the greeting
        subprocess.run(["paplay", "--device=vmic_feed", str(wav)], check=True, timeout=30)
        discarded = _wait_event(
            log, lambda e: e.get("type") == "user_audio_discarded", 30, "user_audio_discarded"
        )
        assert discarded["reason"] == "aec_warmup"
        assert "aec_warmup_duration" in discarded["setting"]
        assert started["t"] <= discarded["start"] < started["t"] + 3.0
        # one span of real speech, inside the warm-up (slivers of 0.3 ms once came from a
        # second VAD stream's speaking state mixed into the session's)
        assert discarded["end"] > discarded["start"] + 0.3
        assert discarded["end"] <= started["t"] + 3.5
        screen = session.wait_for("echo-cancellation", timeout=20)
        assert "you spoke during the agent's first 3 s" in screen, screen
        # the speech was withheld: no transcript of it, no turn
        transcripts = [
            e for e in _events(log) if e.get("type") == "user_transcript" and e.get("final")
        ]
        assert not any("kitchen" in str(e.get("text", "")).lower() for e in transcripts)
        session.keys("q")
        deadline = time.monotonic() + 20
        while not any(e.get("type") == "job_exited" for e in _events(log)):
            assert time.monotonic() < deadline, session.screen()
            time.sleep(0.2)
    finally:
        session.close()
