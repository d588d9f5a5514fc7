"""Helpers for the audio tests: start and stop a private PulseAudio rig (scripts/audio-rig.sh),
and an environment with no sound server. A module of its own, not ``conftest``, so that test
folders importing helpers do not clash on that name."""

from __future__ import annotations

import os
import subprocess
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
