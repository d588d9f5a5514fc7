"""Signal helpers for the audio tests (numpy only)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

RATE = 24000


def tone(freq: float, seconds: float, amp: float, rate: int = RATE) -> npt.NDArray[np.float64]:
    """A sine tone."""
    t = np.arange(int(seconds * rate)) / rate
    return amp * np.sin(2 * np.pi * freq * t)


def pcm16(x: npt.NDArray[Any]) -> bytes:
    """Float [-1, 1] -> PCM16 bytes."""
    return bytes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())


def from_pcm16(b: bytes) -> npt.NDArray[np.float64]:
    """PCM16 bytes -> float."""
    return np.frombuffer(b, "<i2").astype(np.float64) / 32768.0


def span(x: npt.NDArray[Any], thr: float = 0.05) -> npt.NDArray[Any]:
    """First..last sample above ``thr``."""
    idx = np.nonzero(np.abs(x) > thr)[0]
    assert idx.size, "no signal above threshold"
    return x[idx[0] : idx[-1] + 1]


def peak_hz(x: npt.NDArray[Any], rate: int = RATE) -> float:
    """The FFT peak frequency of one contiguous span."""
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[spec.argmax()])


def rms(x: npt.NDArray[Any]) -> float:
    """Root mean square."""
    return float(np.sqrt(np.mean(np.square(x)))) if len(x) else 0.0


def write_wav(path: Path, x: npt.NDArray[Any], rate: int) -> None:
    """16-bit mono WAV via the stdlib."""
    import wave

    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm16(x))


def paplay(path: Path, device: str = "vmic_feed") -> None:
    """Play a file into a rig sink (blocking)."""
    subprocess.run(["paplay", f"--device={device}", str(path)], check=True, timeout=60)


class MonitorRecorder:
    """Records a rig device (default: the speaker monitor) with its own sounddevice stream."""

    def __init__(self, device: str = "vspeaker_monitor") -> None:
        import sounddevice as sd

        self.chunks: list[npt.NDArray[np.int16]] = []
        self._stream = sd.InputStream(
            device=device,
            samplerate=RATE,
            channels=1,
            dtype="int16",
            latency=0.05,
            callback=lambda d, *_: self.chunks.append(d[:, 0].copy()),
        )

    def __enter__(self) -> MonitorRecorder:
        self._stream.start()
        deadline = time.monotonic() + 5
        while sum(c.size for c in self.chunks) < RATE // 2 and time.monotonic() < deadline:
            time.sleep(0.02)  # streams on the rig can stall 1-2 s after start
        return self

    def __exit__(self, *_: object) -> None:
        self._stream.stop()
        self._stream.close()

    def signal(self) -> npt.NDArray[np.float64]:
        """Everything recorded so far, as float."""
        return np.concatenate(self.chunks).astype(np.float64) / 32768.0
