"""Plays a recording's ``audio.wav`` from a position, through sounddevice (``view``'s space).

Both channels (the user's microphone and the agent) are mixed to mono and played on the
output device. :attr:`RecordingPlayer.position` is the time being heard, in the recording's
seconds: the viewer moves its cursor with it.
"""

from __future__ import annotations

import threading
import wave
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..audio.devices import import_sounddevice, resolve_device
from ..audio.errors import AudioError

__all__ = ["RecordingPlayer", "load_mix"]


def load_mix(path: Path) -> tuple[npt.NDArray[np.int16], int]:
    """``audio.wav`` as mono PCM16 (channels mixed) and its rate. Raises AudioError."""
    try:
        with wave.open(str(path), "rb") as wav:
            channels, rate = wav.getnchannels(), wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (OSError, EOFError, wave.Error) as exc:
        raise AudioError(f"{path}: cannot read the recording ({exc})") from None
    data = np.frombuffer(raw, dtype="<i2").reshape(-1, channels).astype(np.int32)
    mono = np.clip(data.sum(axis=1), -32768, 32767).astype(np.int16)
    return mono, rate


class RecordingPlayer:
    """Plays ``audio.wav`` on an output device from any position; stops at the end."""

    def __init__(self, path: Path, device: str | int | None = None) -> None:
        self._mix, self.rate = load_mix(path)
        self._device = device
        self._lock = threading.Lock()
        self._pos = 0
        self._stream: Any = None
        self.duration = len(self._mix) / self.rate if self.rate else 0.0
        self.latency = 0.0

    @property
    def playing(self) -> bool:
        """True while the stream runs and audio is left."""
        with self._lock:
            return self._stream is not None and self._pos < len(self._mix)

    @property
    def position(self) -> float:
        """What is being heard now (seconds of the recording; the device latency removed)."""
        with self._lock:
            pos = self._pos / self.rate
        return max(0.0, pos - self.latency) if self._stream is not None else pos

    def play(self, at: float) -> None:
        """Start playing from ``at`` seconds. Raises AudioError (one line) without a device."""
        self.stop()
        sd = import_sounddevice()
        dev = resolve_device(self._device, "output")
        with self._lock:
            self._pos = min(max(0, int(at * self.rate)), len(self._mix))
        try:
            stream = sd.OutputStream(
                device=dev.index,
                samplerate=self.rate,
                channels=1,
                dtype="int16",
                callback=self._callback,
                latency=0.05,
            )
            stream.start()
        except Exception as exc:  # PortAudio: one line for the user
            raise AudioError(f"cannot play the recording: {exc}") from None
        self.latency = float(stream.latency)
        with self._lock:
            self._stream = stream

    def stop(self) -> None:
        """Stop playing (the position stays where it is)."""
        with self._lock:
            stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception:
                pass

    def _callback(self, outdata: Any, frames: int, _time: Any, _status: Any) -> None:
        with self._lock:
            chunk = self._mix[self._pos : self._pos + frames]
            self._pos += len(chunk)
        outdata[: len(chunk), 0] = chunk
        outdata[len(chunk) :, 0] = 0
