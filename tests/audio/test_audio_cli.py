"""Audio flags of the real CLI: --list-devices, a bad device name, no devices at all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rig_support import no_audio_env

ROOT = Path(__file__).resolve().parents[2]
AGENT = str(ROOT / "examples" / "offline_agent.py")


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentconsole", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.audio
def test_list_devices_shows_the_rig(audio_rig: dict[str, str]) -> None:
    result = _cli("--list-devices")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["ID", "Name"]
    names = {line.split()[1] for line in lines[1:]}
    assert {"vmic", "vspeaker", "vspeaker_monitor"} <= names
    assert any("input,output" in line for line in lines)


@pytest.mark.audio
@pytest.mark.parametrize("flag", ["--input-device", "--output-device"])
def test_a_device_that_matches_nothing(audio_rig: dict[str, str], flag: str) -> None:
    result = _cli(AGENT, "--headless", flag, "no-such-device")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1  # one line, no traceback
    assert result.stderr.startswith(f"agentconsole: {flag} no-such-device: ")
    assert "matches" in result.stderr


@pytest.mark.audio
def test_a_device_name_that_matches_several(audio_rig: dict[str, str]) -> None:
    result = _cli(AGENT, "--headless", "--output-device", "speaker")  # vspeaker + its monitor
    assert result.returncode == 2
    assert "matches several devices" in result.stderr and "vspeaker_monitor" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_list_devices_with_no_audio_at_all(tmp_path: Path) -> None:
    result = _cli("--list-devices", env=no_audio_env(tmp_path))
    assert result.returncode == 1
    assert result.stderr.startswith("agentconsole: No audio devices found")
    assert len(result.stderr.strip().splitlines()) == 1
