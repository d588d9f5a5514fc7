"""Fixtures for the audio tests: the PulseAudio virtual rig (scripts/audio-rig.sh).

The rig's config lives only in scripts/audio-rig.sh; this fixture runs it in a temp dir, puts
its environment into ``os.environ`` (before sounddevice is imported, or followed by a device
rescan if something imported it already), and stops the daemon at the end of the session,
after every engine a test opened has been closed (a server that dies under an open PortAudio
stream makes it busy-loop).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from rig_support import start_rig, stop_rig


@pytest.fixture(scope="session")
def audio_rig() -> Iterator[dict[str, str]]:
    """A running PulseAudio rig for this test session (vmic, vspeaker, vspeaker_monitor)."""
    if not shutil.which("pulseaudio") or not shutil.which("pactl"):
        pytest.skip("pulseaudio/pulseaudio-utils not installed (see scripts/audio-rig.sh)")
    base = Path(tempfile.mkdtemp(prefix="ac-audio-"))
    rig_dir = base / "rig"
    env = start_rig(rig_dir)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    if "sounddevice" in sys.modules:  # imported before the daemon ran: enumerate again
        from agentconsole.audio import rescan_devices

        rescan_devices()
    try:
        yield env
    finally:
        stop_rig(rig_dir)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(base, ignore_errors=True)


class Collector:
    """Records what an AudioEngine hands to its callbacks."""

    def __init__(self) -> None:
        import threading

        self.frames: list[bytes] = []
        self.playouts: list[tuple[float, float, bool]] = []  # (monotonic, seconds, interrupted)
        self.statuses: list[dict[str, object]] = []
        self.lock = threading.Lock()

    def on_mic_frame(self, pcm: bytes) -> None:
        self.frames.append(pcm)

    def on_playout(self, seconds: float, interrupted: bool) -> None:
        import time

        self.playouts.append((time.monotonic(), seconds, interrupted))

    def on_status(self, ev: dict[str, object]) -> None:
        self.statuses.append(ev)

    def mic(self) -> bytes:
        return b"".join(self.frames)


@pytest.fixture
def make_engine() -> Iterator[object]:
    """Factory ``make_engine(config) -> (engine, collector)``; every engine is closed after."""
    from agentconsole.audio import AudioConfig, AudioEngine

    made: list[AudioEngine] = []

    def make(config: AudioConfig) -> tuple[AudioEngine, Collector]:
        c = Collector()
        e = AudioEngine(config, c.on_mic_frame, c.on_playout, c.on_status)
        made.append(e)
        return e, c

    yield make
    for e in made:
        e.close()
