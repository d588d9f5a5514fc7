"""Fixtures for the job-host tests: spoken WAV files made with the offline espeak-ng."""

from __future__ import annotations

import shutil
import subprocess
import sys
import wave
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech")


def speak(text: str, path: Path) -> Path:
    """Write ``text`` spoken by espeak-ng to a WAV with 0.3 s of silence at both ends.

    The espeak-ng command (apt) is deterministic; the library in the ``espeakng-loader`` wheel
    varies its output from call to call, which makes a fixture that the STT sometimes mishears.
    Tests use the command when it is installed (scripts/setup.sh --test installs it).
    """
    if shutil.which("espeak-ng") is None:
        from agentconsole.offline.speech import synthesize_wav

        return synthesize_wav(text, path, sample_rate=16000)
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(raw), text], check=True)
    with wave.open(str(raw), "rb") as src:
        params = src.getparams()
        frames = src.readframes(src.getnframes())
    pad = b"\x00" * (params.sampwidth * params.nchannels * int(0.3 * params.framerate))
    with wave.open(str(path), "wb") as dst:
        dst.setparams(params)
        dst.writeframes(pad + frames + pad)
    raw.unlink()
    return path


@pytest.fixture(scope="session")
def kitchen_wav(speech_dir: Path) -> Path:
    """ "turn on the kitchen lights", spoken by espeak-ng, padded with silence."""
    return speak("turn on the kitchen lights", speech_dir / "kitchen.wav")
