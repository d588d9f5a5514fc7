"""Console side of the turn timeline (issue 10): job clock -> console clock, and the last mile.

The job sends its timed events wrapped in ``job_clock`` (times on the job's wall clock, plus
the job's wall time at sending). On arrival the console knows its own time ``now``; an instant
``x`` on the job's clock is ``now - (clock - x)`` on the console's, off by the wire's transit
time only (well under a millisecond on one machine; no shared clock is assumed).

A ``turn`` also needs what only the console knows: when the reply's first audio was heard.
The audio engine reports the moment each segment's first sample is played (``on_heard``,
after the output latency PortAudio reports); segments play in order, so the k-th report
belongs to the k-th ``playback start`` not yet heard. The ``playout`` segment (first audio
frame out of the TTS -> first audio heard) closes the turn, and ``heard_latency`` is the
distance from its start: the segments tile it exactly.

Pure Python; runs on the supervisor's io thread.
"""

from __future__ import annotations

import collections
import time
from typing import Any

from .events import JobClock, Turn

__all__ = ["TurnClock", "playout_setting"]

_KEEP = 64  # heard times kept per segment number (a turn arrives a few segments later at most)
_PLAYBACK_SEGMENT_KEY = "playback_segment"  # agentconsole.job.timeline.PLAYBACK_SEGMENT_KEY
_ROOM_SEGMENT = 0  # agentconsole.job.timeline.ROOM_SEGMENT: audio sent to a room


def playout_setting(audio: object) -> str:
    """What stands between a segment's start and its first heard sample (a turn's label)."""
    prebuffer = getattr(audio, "prebuffer", None)
    if isinstance(prebuffer, (int, float)):
        return f"playout prebuffer={prebuffer:g}s, output latency"
    return "playout (room audio)"


class TurnClock:
    """Moves job-clock events to the console clock and completes ``turn`` events."""

    def __init__(self, playout_setting: str = "playout buffer", origin: float = 0.0) -> None:
        self.playout_setting = playout_setting
        self.origin = origin
        """``time.monotonic()`` at console time 0 (the console clock's start)."""
        self._unheard: collections.deque[tuple[int, float]] = collections.deque()
        self._heard: collections.OrderedDict[int, float] = collections.OrderedDict()
        self._next_id = 1

    # -- playback ------------------------------------------------------------------------

    def now(self) -> float:
        """Console time now."""
        return round(time.monotonic() - self.origin, 4)

    def on_playback_start(self, segment: int, now: float, plays: bool = True) -> None:
        """The job started segment ``segment`` (console time ``now``). Without an audio engine
        (``plays=False``) the segment counts as heard at once."""
        if plays:
            self._unheard.append((segment, now))
        else:
            self._remember(segment, now)

    def on_heard(self, t: float) -> None:
        """The first sample of the oldest unheard segment was played at console time ``t``."""
        if self._unheard:
            segment, _ = self._unheard.popleft()
            self._remember(segment, t)

    def on_clear(self) -> None:
        """Playback was cleared: segments not yet heard never will be."""
        self._unheard.clear()

    def reset(self) -> None:
        """A new job: its segment numbers start again."""
        self._unheard.clear()
        self._heard.clear()

    def _remember(self, segment: int, t: float) -> None:
        self._heard[segment] = t
        while len(self._heard) > _KEEP:
            self._heard.popitem(last=False)

    # -- job-clock events ----------------------------------------------------------------

    def on_job_clock(self, wrapped: dict[str, Any], now: float) -> dict[str, Any] | None:
        """The event inside a ``job_clock`` wrapper, on the console clock (None if malformed)."""
        try:
            box = JobClock(event=dict(wrapped["event"]), clock=float(wrapped["clock"]))
        except (KeyError, TypeError, ValueError):
            return None
        offset = now - box.clock
        ev = dict(box.event)

        def move(value: Any) -> Any:
            return round(float(value) + offset, 4) if isinstance(value, (int, float)) else value

        for key in ("start", "end"):
            if key in ev:
                ev[key] = move(ev[key])
        for name in ("segments", "tools"):
            items = ev.get(name)
            if isinstance(items, list):
                ev[name] = [
                    {**s, **{k: move(s[k]) for k in ("start", "end") if k in s}}
                    for s in items
                    if isinstance(s, dict)
                ]
        if ev.get("type") == Turn.TYPE:
            self._complete(ev)
        return ev

    def _complete(self, ev: dict[str, Any]) -> None:
        segment = ev.pop(_PLAYBACK_SEGMENT_KEY, None)
        ev["id"] = self._next_id
        self._next_id += 1
        segments: list[dict[str, Any]] = ev.get("segments") or []
        start = ev.get("start")
        if not isinstance(start, (int, float)):
            ev["heard_latency"] = None
            return
        if segment == _ROOM_SEGMENT and segments:
            # room mode: the audio went to the room; the last instant known is when it left
            ev["heard_latency"] = round(segments[-1]["end"] - start, 4)
            return
        heard = self._heard.get(segment) if isinstance(segment, int) else None
        if heard is None:
            ev["heard_latency"] = None
            return
        last = segments[-1]["end"] if segments else start
        heard = round(max(heard, last), 4)
        segments.append(
            {"name": "playout", "start": last, "end": heard, "setting": self.playout_setting}
        )
        ev["segments"] = segments
        ev["heard_latency"] = round(heard - start, 4)
