"""Helpers for the audio tests: start and stop a private PulseAudio rig (scripts/audio-rig.sh),
an echo path between its speaker and mic, and an environment with no sound server. A module
of its own, not ``conftest``, so that test folders importing helpers do not clash on that
name."""

from __future__ import annotations

import os
import re
import subprocess
import time
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


class Loopback:
    """PulseAudio ``module-loopback``: the virtual speaker is heard by the virtual mic,
    ``latency_ms`` late and, if ``level_db`` is given, that much quieter (laptop speakers)."""

    def __init__(self, latency_ms: int = 60, level_db: float | None = None) -> None:
        self.index = subprocess.run(
            [
                "pactl",
                "load-module",
                "module-loopback",
                "source=vspeaker.monitor",
                "sink=vmic_feed",
                f"latency_msec={latency_ms}",
                "source_dont_move=true",
                "sink_dont_move=true",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if level_db is None:
            return
        deadline = time.monotonic() + 10
        while True:
            text = subprocess.run(
                ["pactl", "list", "sink-inputs"], capture_output=True, text=True, check=True
            ).stdout
            found = re.findall(
                rf"Sink Input #(\d+)\s+Driver:[^\n]*\n\s+Owner Module: {self.index}\n", text
            )
            if found:
                break
            if time.monotonic() > deadline:
                self.close()
                raise RuntimeError("the loopback's sink input never appeared")
            time.sleep(0.05)
        subprocess.run(["pactl", "set-sink-input-volume", found[0], f"{level_db:g}dB"], check=True)

    def close(self) -> None:
        subprocess.run(["pactl", "unload-module", self.index], check=False)
