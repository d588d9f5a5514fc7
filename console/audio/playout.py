"""The agent-audio playout queue: segments, prebuffer, clear, de-click ramps.

Shared by the PortAudio output callback and the null (paced) speaker. All methods are
thread-safe; ``read()`` runs on the audio thread and never blocks on anything but a short lock.

Segments: ``push()`` appends to the open segment (or opens one), ``end_segment()`` closes it.
Each segment that received audio produces exactly one :class:`Finished` record, in order: when
its last sample has been read (``interrupted=False``) or when ``clear()`` drops it
(``interrupted=True``). A segment starts playing once ``prebuffer`` seconds are queued, it is
closed, or ``max_wait`` has passed since its first audio. If it runs dry before it is closed
(the agent's TTS is slower than real time) the output fades out, the starvation is counted and
the segment waits for the prebuffer again, so a slow producer gives a few clean gaps rather
than a crackle of tiny ones.
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = ["Finished", "PlayoutBuffer"]

_RAMP_S = 0.004  # fade length at starvation / clear: short enough to be "at once", no click


@dataclass
class Finished:
    """One segment is done. ``seconds`` is how much of it was read out."""

    seconds: float
    interrupted: bool


@dataclass
class _Segment:
    chunks: collections.deque[npt.NDArray[np.int16]] = field(default_factory=collections.deque)
    queued: int = 0  # samples waiting
    read: int = 0  # samples read out
    ended: bool = False
    started: bool = False
    prime_since: float = 0.0
    fade_in: bool = False


class PlayoutBuffer:
    """A thread-safe queue of agent-audio segments read out in fixed blocks."""

    def __init__(self, rate: int, prebuffer: float, max_wait: float = 0.25) -> None:
        self.rate = rate
        self._prebuffer = int(prebuffer * rate)
        self._max_wait = max_wait
        self._ramp = max(1, int(_RAMP_S * rate))
        self._lock = threading.Lock()
        self._segments: collections.deque[_Segment] = collections.deque()
        self._finished: list[Finished] = []
        self._tail: npt.NDArray[np.int16] | None = None  # fade-out left by clear()
        self._starts: list[int] = []  # block offsets where a segment's first sample was read
        self.starved = 0
        """Times a segment ran dry before it was closed (producer slower than real time)."""
        self._held = False

    # -- producer side ---------------------------------------------------------------------
    def push(self, pcm: bytes) -> None:
        """Queue PCM16 mono bytes on the open segment (opening one if needed)."""
        samples = np.frombuffer(pcm[: len(pcm) & ~1], dtype="<i2")
        if samples.size == 0:
            return
        with self._lock:
            if not self._segments or self._segments[-1].ended:
                self._segments.append(_Segment(prime_since=time.monotonic()))
            seg = self._segments[-1]
            seg.chunks.append(samples)
            seg.queued += samples.size

    def end_segment(self) -> None:
        """Close the open segment; its :class:`Finished` comes once it has been read out."""
        with self._lock:
            if self._segments and not self._segments[-1].ended:
                self._segments[-1].ended = True

    def clear(self) -> list[Finished]:
        """Drop everything queued; return a record for every dropped segment (interrupted)."""
        with self._lock:
            out = [Finished(s.read / self.rate, True) for s in self._segments]
            if not self._held:  # (held: it has faded out already)
                self._fade_out_head()
            self._segments.clear()
            return out

    def hold(self, on: bool) -> None:
        """Pause (``True``) or resume (``False``) the read-out without dropping anything.

        The playing segment fades out at once and keeps its place; it fades back in on
        resume. Queued audio waits, pushes keep queueing, ``clear()`` still drops it all.
        """
        with self._lock:
            if on == self._held:
                return
            self._held = on
            if on and self._fade_out_head():
                self._segments[0].fade_in = True

    def _fade_out_head(self) -> bool:
        """Take the next few ms of the playing segment as a fade-out tail for ``read`` to play
        first, so stopping it does not click. Returns False when no segment is playing.
        Called with the lock held."""
        if not self._segments or not self._segments[0].started:
            return False
        head = self._take(self._segments[0], self._ramp)
        if head.size:
            ramp = np.linspace(1.0, 0.0, head.size, dtype=np.float32)
            self._tail = (head * ramp).astype(np.int16)
        return True

    @property
    def held(self) -> bool:
        """True while :meth:`hold` keeps the read-out paused."""
        return self._held

    # -- consumer side ---------------------------------------------------------------------
    def read(self, n: int) -> npt.NDArray[np.int16]:
        """Return the next ``n`` samples to play (silence where there is nothing)."""
        out = np.zeros(n, dtype=np.int16)
        pos = 0
        now = time.monotonic()
        with self._lock:
            if self._tail is not None:
                k = min(n, self._tail.size)
                out[:k] = self._tail[:k]
                self._tail = self._tail[k:] if k < self._tail.size else None
                pos = k
            while pos < n and self._segments and not self._held:
                seg = self._segments[0]
                if not seg.started:
                    ready = seg.ended or seg.queued >= self._prebuffer
                    if not ready and now - seg.prime_since < self._max_wait:
                        break
                    seg.started = True
                    if seg.read == 0:
                        self._starts.append(pos)
                take = self._take(seg, n - pos)
                if seg.fade_in and take.size:
                    k = min(self._ramp, take.size)
                    take[:k] = (take[:k] * np.linspace(0.0, 1.0, k, dtype=np.float32)).astype(
                        np.int16
                    )
                    seg.fade_in = False
                out[pos : pos + take.size] = take
                pos += take.size
                if seg.queued:
                    continue
                if seg.ended:
                    self._segments.popleft()
                    self._finished.append(Finished(seg.read / self.rate, False))
                    continue
                # ran dry mid-segment: fade what we just wrote, then wait for a prebuffer
                k = min(self._ramp, take.size)
                if k:
                    ramp = np.linspace(1.0, 0.0, k, dtype=np.float32)
                    out[pos - k : pos] = (out[pos - k : pos] * ramp).astype(np.int16)
                self.starved += 1
                seg.started = False
                seg.fade_in = True
                seg.prime_since = now
                break
        return out

    def pop_finished(self) -> list[Finished]:
        """Segments that finished during ``read()`` calls since the last call."""
        with self._lock:
            out, self._finished = self._finished, []
            return out

    def pop_starts(self) -> list[int]:
        """Offsets, in the last ``read()`` block, where a segment began playing."""
        with self._lock:
            out, self._starts = self._starts, []
            return out

    @property
    def busy(self) -> bool:
        """True while any segment is queued or playing."""
        with self._lock:
            return bool(self._segments)

    def _take(self, seg: _Segment, n: int) -> npt.NDArray[np.int16]:
        parts: list[npt.NDArray[np.int16]] = []
        got = 0
        while got < n and seg.chunks:
            c = seg.chunks[0]
            k = min(n - got, c.size)
            parts.append(c[:k])
            if k == c.size:
                seg.chunks.popleft()
            else:
                seg.chunks[0] = c[k:]
            got += k
        seg.queued -= got
        seg.read += got
        if not parts:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(parts) if len(parts) > 1 else parts[0].copy()
