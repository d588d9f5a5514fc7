"""``AudioConfig``: what the audio engine should open."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_LATENCY", "TUI_OUTPUT_LATENCY", "AudioConfig"]

DEFAULT_LATENCY = 0.05
"""Suggested PortAudio latency in seconds for both streams (the TUI gives the speaker more:
:data:`TUI_OUTPUT_LATENCY`).

Measured on the PulseAudio rig (research/audio-rig.md): ``"low"`` (8 ms) produced ALSA
underruns, 20 ms gave a 25 ms loop; 50 ms leaves room for the GIL being held by a busy Textual
repaint (the callbacks are Python) while keeping the mic->speaker loop well under 100 ms.
"""


TUI_OUTPUT_LATENCY = 0.1
"""The speaker's suggested latency when the TUI runs, in seconds.

The callbacks are Python, and in the TUI they share the GIL with Textual's main thread, which
holds it in bursts: under a flood of text (2,000 tokens/s) callbacks came up to 66 ms apart
even with the collector's pauses bounded (console/gcpolicy.py), so a 50 ms speaker buffer
still underran twice in five minutes, and every underrun costs the pulse plugin's ~2 s
recovery stall. With 100 ms: none (``bench/bench_tui_soak.py``). Headless runs keep 50 ms.
"""


@dataclass
class AudioConfig:
    """Devices and options for :class:`agentconsole.audio.AudioEngine`.

    Headless runs can use neither device: the microphone is then ``input_wav`` (or silence)
    and the speaker is a real-time null sink that paces and discards the agent's audio.
    """

    input_device: str | int | None = None
    """PortAudio device index or case-insensitive name substring; None: the default input."""
    output_device: str | int | None = None
    """PortAudio device index or case-insensitive name substring; None: the default output."""
    aec: bool = True
    """Echo cancellation, noise suppression and high-pass (WebRTC APM) on the device mic."""
    input_wav: Path | None = None
    wav_waits: bool = False
    """Hold the WAV (the mic is silent) until :meth:`AudioEngine.start_wav`: the console starts
    it once the agent is ready and listening, so the file is the user's turn."""
    """Use this WAV as the microphone (real-time, then silence) instead of a device."""
    record_dir: Path | None = None
    """Write ``audio.wav`` here: left = mic after AEC, right = agent audio as played."""
    use_input_device: bool = True
    """Open a capture device (ignored when ``input_wav`` is set). False: the mic is silent."""
    use_output_device: bool = True
    """Open a playback device. False: agent audio is paced in real time and discarded."""
    latency: float | str = DEFAULT_LATENCY
    """PortAudio suggested latency: seconds, or ``"low"`` / ``"high"``."""
    output_latency: float | str | None = None
    """The speaker's suggested latency, if not ``latency`` (the TUI: :data:`TUI_OUTPUT_LATENCY`)."""
    muted: bool = False
    """Start muted (mic frames are silence)."""
    prebuffer: float = 0.06
    """Seconds of agent audio queued before a segment starts playing (avoids gaps)."""
    mic_source: Any = None
    """Replay: an object whose ``read(nbytes) -> bytes`` gives each 10 ms of the microphone
    (PCM16 mono, short or empty = silence), called on the pacer thread; no capture device."""
    clock_start: float | None = None
    """The console clock's zero (``time.monotonic()``): the ``recording`` event gives where
    ``audio.wav`` starts on that clock."""
    status_hz: float = 10.0
    """How often the periodic ``audio`` status event (mic level) is sent; 0: only on change."""
