"""Spoken test fixtures: espeak-ng speech in WAV files."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np

MIC_GAIN = 0.7
"""The level speech is played into the rig's microphone at (-3 dB from espeak-ng's own).

espeak-ng peaks at -3.6 dBFS. At that level WebRTC's noise suppression (on in the console, as
in LiveKit's) alters the kitchen-lights sentence enough that the offline STT reads "Turn on
vacation lights." for 7 of 40 segment starts; 3 dB lower, or without noise suppression, it
reads all 40 right (docs/audio.md, "Noise suppression and loud speech"). The tests check what
the console does with a user's speech, not how the STT copes with that artefact."""


def speak(text: str, path: Path, gain: float = 1.0) -> Path:
    """Write ``text`` spoken by espeak-ng to a WAV with 0.3 s of silence at both ends, its
    samples scaled by ``gain`` (:data:`MIC_GAIN` for speech played into the rig's mic).

    The espeak-ng command (apt) is deterministic; the library in the ``espeakng-loader`` wheel
    varies its output from call to call, which makes a fixture that the STT sometimes mishears.
    Tests use the command when it is installed (scripts/setup.sh --test installs it).
    """
    raw = path.with_suffix(".raw.wav")
    if shutil.which("espeak-ng") is None:
        from agentconsole.offline.speech import synthesize_wav

        synthesize_wav(text, raw, sample_rate=16000)  # already padded
        padding = 0.0
    else:
        padding = 0.3
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(raw), text], check=True)
    with wave.open(str(raw), "rb") as src:
        params = src.getparams()
        frames = src.readframes(src.getnframes())
    if gain != 1.0:
        pcm = np.frombuffer(frames, dtype="<i2").astype(np.float32) * gain
        frames = np.clip(pcm, -32768, 32767).astype("<i2").tobytes()
    pad = b"\x00" * (params.sampwidth * params.nchannels * int(padding * params.framerate))
    with wave.open(str(path), "wb") as dst:
        dst.setparams(params)
        dst.writeframes(pad + frames + pad)
    raw.unlink()
    return path
