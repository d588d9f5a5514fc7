"""The turn timeline end to end (issue 10): the real CLI headless with ``--turns``, a real job,
the offline example agent and the kitchen-lights WAV as the microphone.

The ``turn`` line's segments must tile the interval from the end of the user's speech to the
first agent audio played (each starts where the previous ended), sum to ``heard_latency``,
and each name the setting that owns it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from harness import EXAMPLES, ROOT, Headless

pytestmark = pytest.mark.slow

EXPECTED = [
    "vad_silence",
    "stt_final",
    "end_of_turn",
    "on_user_turn_completed",
    "llm_ttft",
    "tools",
    "llm_ttft",
    "tts_ttfb",
    "playout",
]


def test_kitchen_lights_turn_tiles_heard_latency(kitchen_wav: Path) -> None:
    console = Headless(
        str(EXAMPLES / "offline_agent.py"), "--no-watch", "--input-wav", str(kitchen_wav), "--turns"
    )
    try:
        turn = console.wait_type("turn", timeout=180)
        # --turns: nothing but turn lines
        assert {e["type"] for e in console.events} == {"turn"}
    finally:
        console.quit()
    assert turn["id"] == 1 and turn["source"] == "stt"
    assert "kitchen" in turn["user_text"].lower()
    assert "kitchen lights are on" in turn["reply"].lower()
    assert turn["interrupted"] is False
    segments = turn["segments"]
    assert [s["name"] for s in segments] == EXPECTED, json.dumps(segments)
    assert segments[0]["start"] == turn["start"]
    for before, after in zip(segments, segments[1:], strict=False):
        assert after["start"] == before["end"]
    for s in segments:
        assert s["end"] >= s["start"]
        assert s["setting"].strip(), s
    total = sum(s["end"] - s["start"] for s in segments)
    assert turn["heard_latency"] is not None
    assert abs(total - turn["heard_latency"]) <= 0.020
    assert abs(segments[-1]["end"] - segments[0]["start"] - turn["heard_latency"]) <= 0.020
    # the waits the offline pipeline really has are charged to their settings
    by_name = {s["name"]: s for s in segments}
    assert "min_silence_duration" in by_name["vad_silence"]["setting"]
    assert "min_endpointing_delay" in by_name["end_of_turn"]["setting"]
    assert by_name["vad_silence"]["end"] - by_name["vad_silence"]["start"] > 0.2
    assert "turn_on_lights" in by_name["tools"]["setting"]
    assert [t["name"] for t in turn["tools"]] == ["turn_on_lights"]
    # usage of this turn: the scripted LLM reports tokens, espeak characters, Moonshine seconds
    usage = turn["usage"]
    assert usage["llm_prompt_tokens"] > 0 and usage["tts_characters"] > 0
    assert usage["stt_seconds"] > 0.5
    # the inspector's input: the user's words and the two tools, no credentials
    llm_input = turn["llm_input"]
    assert llm_input["messages"][-1]["role"] == "user"
    assert {t["name"] for t in llm_input["tools"]} == {"turn_on_lights", "get_weather"}


def test_timeout_exits_3_without_a_turn() -> None:
    """No microphone input: no turn can complete, so --timeout ends the console with 3."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "agentconsole",
            str(EXAMPLES / "offline_agent.py"),
            "--headless",
            "--no-watch",
            "--turns",
            "--timeout",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=str(ROOT),
        input="",
    )
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == ""
    assert "no turn completed within 3 s" in proc.stderr
