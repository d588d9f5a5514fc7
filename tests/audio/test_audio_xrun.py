"""An xrun is not a lost sound server: the engine keeps its speaker through the plugin's stall."""

from __future__ import annotations

import time
from typing import Any

import pytest
from audio_helpers import pcm16, tone

from agentconsole.audio import DEFAULT_LATENCY, TUI_OUTPUT_LATENCY, AudioConfig
from agentconsole.audio.engine import MIC_BLOCK, SAMPLE_RATE

pytestmark = [pytest.mark.audio, pytest.mark.usefixtures("audio_rig")]


def wait_for(cond: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return bool(cond())


def hold_gil(seconds: float) -> None:
    """Hold the GIL in one C call (as a busy TUI's long call can): callbacks cannot run."""
    n = 1_000_000
    t = time.perf_counter()
    sum(range(n))
    n = int(n * seconds / max(time.perf_counter() - t, 1e-4))
    sum(range(n))


def test_an_xrun_stall_keeps_the_speaker(make_engine: Any) -> None:
    """A callback held up past the device buffer makes an xrun; through the ALSA pulse plugin the
    stream then stalls about 2 s while it recovers. The watchdog must not take that for a sound
    server gone (it used to drop the speaker for the rest of the session): no ``problem``, the
    speaker stays, the agent's audio plays to its end."""
    engine, c = make_engine(AudioConfig(input_device="vmic", output_device="vspeaker"))
    engine.start()
    # the watchdog arms once both streams moved 0.5 s; they may stall right after start
    assert wait_for(lambda: sum(map(len, c.frames)) >= 3 * 24000 * 2, 10.0), "mic never started"
    engine.play(pcm16(tone(440, 6.0, 0.3)))
    engine.end_segment()
    for _ in range(5):
        before = engine.underruns + engine.overflows
        hold_gil(0.3)
        if wait_for(lambda before=before: engine.underruns + engine.overflows > before, 1.0):
            break
    else:
        pytest.skip("holding the GIL 0.3 s made no xrun here")
    assert wait_for(lambda: c.playouts, 20.0), "the agent audio never finished playing"
    problems = [s["problem"] for s in c.statuses if s.get("problem")]
    assert problems == [], problems
    assert [p[1:] for p in c.playouts] == [(6.0, False)]
    assert engine.status()["output"] == "vspeaker"


def test_the_tui_speaker_buffer_is_larger_than_the_mic_buffer(make_engine: Any) -> None:
    """The TUI gives the speaker ``TUI_OUTPUT_LATENCY`` (Textual's main thread holds the GIL in
    bursts the 50 ms buffer cannot ride out): PortAudio opens it with that latency, and the
    microphone keeps the default: its buffer is what its blocks need (two of them), no more."""
    engine, _ = make_engine(
        AudioConfig(
            input_device="vmic", output_device="vspeaker", output_latency=TUI_OUTPUT_LATENCY
        )
    )
    engine.start()
    assert engine.out_latency >= TUI_OUTPUT_LATENCY * 0.9, engine.out_latency
    assert engine.config.latency == DEFAULT_LATENCY
    assert DEFAULT_LATENCY * 0.9 <= engine.in_latency <= 2 * MIC_BLOCK / SAMPLE_RATE + 0.005, (
        engine.in_latency
    )
