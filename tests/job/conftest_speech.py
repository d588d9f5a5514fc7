"""Spoken test fixtures: espeak-ng speech in WAV files."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path


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
