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
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RIG_SCRIPT = ROOT / "scripts" / "audio-rig.sh"
RIG_VARS = ("XDG_RUNTIME_DIR", "PULSE_SERVER", "ALSA_CONFIG_PATH", "AUDIO_RIG_DIR")


def start_rig(rig_dir: Path) -> dict[str, str]:
    """Start a private rig in ``rig_dir``; return its environment variables."""
    env = {**os.environ, "AUDIO_RIG_DIR": str(rig_dir), "AUDIO_RIG_NO_INSTALL": "1"}
    res = subprocess.run(
        ["bash", str(RIG_SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=60
    )
    if res.returncode != 0:
        pytest.fail(f"audio rig failed to start: {res.stderr.strip()[-500:]}")
    line = (rig_dir / "env.sh").read_text().strip().removeprefix("export ")
    return dict(kv.split("=", 1) for kv in line.split())


def stop_rig(rig_dir: Path) -> None:
    """Kill the rig's daemon and wait for it to exit."""
    env = {**os.environ, "AUDIO_RIG_DIR": str(rig_dir)}
    subprocess.run(["bash", str(RIG_SCRIPT), "stop"], env=env, timeout=30, check=False)


def no_audio_env(tmp: Path) -> dict[str, str]:
    """An environment in which PortAudio finds no sound server and no devices."""
    env = {k: v for k, v in os.environ.items() if k not in RIG_VARS}
    (tmp / "xdg").mkdir(mode=0o700, exist_ok=True)
    env["XDG_RUNTIME_DIR"] = str(tmp / "xdg")
    env["PULSE_SERVER"] = f"unix:{tmp}/no-such-server"
    return env


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
