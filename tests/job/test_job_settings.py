"""Live settings end to end: the real CLI, a real job, the offline example agent (real Silero
VAD, Moonshine STT, espeak-ng TTS), the WAV as the microphone.

The ``settings`` event is read back from the framework after each change, so these tests check
what the session really has; the end-of-utterance delay is the framework's own measurement.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import EXAMPLES, Event, Headless, run_cli

from console.job import framework

pytestmark = pytest.mark.slow

AGENT = str(EXAMPLES / "offline_agent.py")


def _spoken_turn_metrics(console: Headless) -> Event:
    """The metrics of the turn the WAV speaks (the greeting's come before the WAV starts)."""
    wav = console.wait_for(
        lambda e: e["type"] == "log" and e.get("message") == "input WAV started",
        timeout=90,
        what="the WAV to start",
    )
    return console.wait_for(
        lambda e: e["type"] == "metrics" and e["t"] > wav["t"] and e["eou_delay"] is not None,
        timeout=120,
        what="the spoken turn's metrics",
    )


def test_set_before_speaking_delays_the_end_of_turn_and_outlives_a_reload(
    kitchen_wav: Path,
) -> None:
    console = Headless(AGENT, "--no-watch", "--input-wav", str(kitchen_wav))
    try:
        console.wait_type("job_ready", timeout=90)
        first = console.wait_type("settings")
        assert first["values"]["min_endpointing_delay"] == 0.5 and first["overridden"] == []

        console.send(cmd="set", name="min_endpointing_delay", value=2.0)
        changed = console.wait_for(
            lambda e: e["type"] == "settings" and "min_endpointing_delay" in e["overridden"],
            what="the settings with the override",
        )
        assert changed["values"]["min_endpointing_delay"] == 2.0
        # the paste-ready form is the installed framework's own
        if framework.uses_turn_handling():
            code = 'AgentSession(turn_handling={"endpointing": {"min_delay": 2.0}})'
        else:
            code = "AgentSession(min_endpointing_delay=2.0)"
        assert changed["code"] == [code]

        metrics = _spoken_turn_metrics(console)
        assert metrics["eou_delay"] >= 2.0, metrics

        # a bad name is refused in one line; the session goes on
        console.send(cmd="set", name="min_endpointing", value=1.0)
        error = console.wait_type("error", source="settings")
        assert "unknown setting 'min_endpointing'" in error["message"]

        # a reload: the new job gets the override with start, still marked as one
        mark = console.events[-1]["t"]
        console.send(cmd="reload")
        console.wait_for(lambda e: e["type"] == "job_ready" and e["t"] > mark, 90, "reloaded")
        again = console.wait_for(lambda e: e["type"] == "settings" and e["t"] > mark, 30)
        assert again["values"]["min_endpointing_delay"] == 2.0
        assert again["overridden"] == ["min_endpointing_delay"]

        # reset: the code's value is back and nothing is overridden
        mark = console.events[-1]["t"]
        console.send(cmd="reset", name="min_endpointing_delay")
        reset = console.wait_for(lambda e: e["type"] == "settings" and e["t"] > mark, 30)
        assert reset["values"]["min_endpointing_delay"] == 0.5
        assert reset["overridden"] == [] and reset["code"] == []
    finally:
        console.quit()


def test_without_set_the_default_applies_and_set_flag_overrides_at_start(
    kitchen_wav: Path,
) -> None:
    console = Headless(
        AGENT, "--no-watch", "--input-wav", str(kitchen_wav), "--set", "activation_threshold=0.6"
    )
    try:
        settings = console.wait_type("settings", timeout=90)
        values = settings["values"]
        # the code's endpointing (the framework's default) applies: no override
        assert values["min_endpointing_delay"] == 0.5 and values["turn_detection"] == "vad"
        # --set applied before the session started; Silero's deactivation follows, as
        # VAD.load(activation_threshold=0.6) would have it
        assert values["activation_threshold"] == 0.6
        assert values["deactivation_threshold"] == pytest.approx(0.45)
        assert settings["overridden"] == ["activation_threshold"]
        assert settings["code"] == ["silero.VAD.load(activation_threshold=0.6)"]
        metrics = _spoken_turn_metrics(console)
        assert metrics["eou_delay"] >= 0.5
    finally:
        console.quit()


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("nope=1", "unknown setting 'nope'"),
        ("min_endpointing_delay=soon", "min_endpointing_delay needs a number"),
        ("activation_threshold=2", "outside"),
        ("min_endpointing_delay", "expected NAME=VALUE"),
    ],
)
def test_bad_set_flag_is_one_line_and_exit_2(arg: str, message: str) -> None:
    result = run_cli(AGENT, "--headless", "--set", arg)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("agentconsole: --set")
