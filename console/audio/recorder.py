"""The stereo session recording: left = mic after AEC, right = agent audio as played.

Both channels are placed on one clock (``time.monotonic()``): each write carries the time of
its first sample, and a channel that fell behind (a stall, a device that died) is padded with
silence, one that ran ahead is trimmed, so the channels stay aligned over long sessions. A
writer thread appends interleaved frames every half second through the stdlib ``wave`` module,
which rewrites the RIFF sizes after every write, and flushes the file: the WAV is valid at any
moment, even after a crash or kill. ``close()`` is idempotent and registered with ``atexit``
so a Ctrl+C that unwinds the interpreter still writes the last half second.
"""

from __future__ import annotations

import atexit
import threading
import time
import wave
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from .errors import AudioError

__all__ = ["StereoRecorder"]

MIC = 0
AGENT = 1
_FLUSH_S = 0.5


class StereoRecorder:
    """Writes ``path`` as a 16-bit stereo WAV at ``rate``."""

    def __init__(self, path: Path, rate: int, *, tolerance: float = 0.08) -> None:
        self.path = path
        self.rate = rate
        self._tol = int(tolerance * rate)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file: BinaryIO = open(path, "wb")  # closed in close()
        except OSError as exc:
            raise AudioError(f"cannot write recording {path}: {exc.strerror or exc}") from None
        self._wav = wave.open(self._file, "wb")
        self._wav.setnchannels(2)
        self._wav.setsampwidth(2)
        self._wav.setframerate(rate)
        self._wav.writeframes(b"")  # header now, so even an empty session is a valid file
        self._file.flush()
        self._lock = threading.Lock()
        self._pending: list[list[npt.NDArray[np.int16]]] = [[], []]
        self._pending_n = [0, 0]
        self._written = 0  # frames on disk
        self._placed = [0, 0]  # samples placed per channel (written + pending)
        self._t0 = time.monotonic()
        self._closed = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="agentconsole-rec", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    @property
    def t0(self) -> float:
        """``time.monotonic()`` of the first sample of the file."""
        return self._t0

    @property
    def seconds(self) -> float:
        """Length written to disk so far."""
        return self._written / self.rate

    def write(self, channel: int, pcm: npt.NDArray[np.int16], t_first: float) -> None:
        """Place ``pcm`` (int16 mono) on ``channel`` at monotonic time ``t_first``."""
        if self._closed:
            return
        with self._lock:
            target = int((t_first - self._t0) * self.rate)
            placed = self._placed[channel]
            if target > placed + self._tol or (placed == 0 and target > 0):
                self._append(channel, np.zeros(target - placed, np.int16))
            elif target < placed - self._tol:
                pcm = pcm[min(pcm.size, placed - target) :]
            self._append(channel, pcm)

    def _append(self, channel: int, pcm: npt.NDArray[np.int16]) -> None:
        if pcm.size:
            self._pending[channel].append(pcm)
            self._pending_n[channel] += pcm.size
            self._placed[channel] += pcm.size

    def _flush(self, final: bool = False) -> None:
        with self._lock:
            # a channel that stopped (no device, dead stream) is padded up to "now" minus slack
            horizon = int((time.monotonic() - self._t0 - 0.3) * self.rate)
            for ch in (MIC, AGENT):
                if final:
                    horizon = max(self._placed)
                if self._placed[ch] < horizon:
                    self._append(ch, np.zeros(horizon - self._placed[ch], np.int16))
            n = min(self._pending_n)
            if n <= 0:
                return
            cols = [self._pop(ch, n) for ch in (MIC, AGENT)]
        frames = np.empty(2 * n, dtype="<i2")
        frames[0::2], frames[1::2] = cols
        self._wav.writeframes(frames.tobytes())
        self._file.flush()
        self._written += n

    def _pop(self, ch: int, n: int) -> npt.NDArray[np.int16]:
        data = np.concatenate(self._pending[ch])
        rest = data[n:]
        self._pending[ch] = [rest] if rest.size else []
        self._pending_n[ch] = rest.size
        return data[:n]

    def _run(self) -> None:
        while not self._stop.wait(_FLUSH_S):
            try:
                self._flush()
            except (OSError, ValueError):
                return  # disk full / closed: the file stays valid up to the last flush

    def close(self) -> None:
        """Write what is pending and finalise the file. Safe to call many times."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        atexit.unregister(self.close)
        self._stop.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=2.0)
        try:
            self._flush(final=True)
            self._wav.close()
            self._file.close()
        except (OSError, ValueError):
            pass
