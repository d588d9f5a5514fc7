"""What the TUI shows of the turn timeline (issue 10): a reducer for its events.

Pure Python (no Textual, no livekit). :class:`TurnsState` folds ``turn``,
``user_audio_discarded``, ``eot_prediction``, ``false_interruption``, ``overlapping_speech``
and ``usage`` events into records; :meth:`TurnsState.apply` returns the conversation notes an
event produces (e.g. "you spoke during the agent's first 3 s (echo-cancellation warm-up): not
heard"), which :class:`~agentconsole.state.SessionState` adds to the conversation.
"""

from __future__ import annotations

import math
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "SEGMENT_NAMES",
    "Discard",
    "TimelineMark",
    "TurnRecord",
    "TurnsState",
    "discard_text",
]

SEGMENT_NAMES: dict[str, str] = {
    "vad_silence": "VAD silence",
    "stt_final": "STT final",
    "end_of_turn": "end of turn",
    "on_user_turn_completed": "on_user_turn",
    "llm_ttft": "LLM TTFT",
    "tools": "tools",
    "tts_ttfb": "TTS TTFB",
    "playout": "playout",
}
"""Display labels of the segment names, in their usual order."""

USAGE_LABELS = (
    ("llm_prompt_tokens", "in"),
    ("llm_cached_tokens", "cached"),
    ("llm_completion_tokens", "out"),
)


@dataclass(frozen=True)
class TurnRecord:
    """One ``turn`` event, with the conversation item of the user's words."""

    id: int
    t: float
    user_text: str
    reply: str
    interrupted: bool
    heard_latency: float | None
    segments: tuple[dict[str, Any], ...]
    tools: tuple[dict[str, Any], ...]
    usage: dict[str, Any]
    start: float | None
    eot_probability: float | None
    llm_input: dict[str, Any] | None
    item_id: int | None = None
    """Id of the :class:`~agentconsole.state.UserTurn` this turn answers, if found."""

    def duration(self, name: str) -> float | None:
        """Seconds of the first segment called ``name`` (None if there is none); the LLM's
        second call after tools is not counted in its percentiles."""
        for s in self.segments:
            if s.get("name") == name:
                return float(s["end"]) - float(s["start"])
        return None


@dataclass(frozen=True, slots=True)
class Discard:
    """User speech the framework withheld from the STT."""

    start: float
    end: float
    reason: str
    setting: str


@dataclass(frozen=True, slots=True)
class TimelineMark:
    """A turn-taking decision at one instant: ``false_interruption``, ``resumed``,
    ``overlap`` or ``backchannel``."""

    t: float
    kind: str


@dataclass
class TurnsState:
    """Turns, discarded speech, end-of-turn probabilities, marks and usage of the session."""

    turns: list[TurnRecord] = field(default_factory=list)
    discards: deque[Discard] = field(default_factory=lambda: deque(maxlen=200))
    eot: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=500))
    """``(t, probability)`` of the turn detector's predictions."""
    eot_threshold: float | None = None
    marks: deque[TimelineMark] = field(default_factory=lambda: deque(maxlen=200))
    usage: dict[str, Any] = field(default_factory=dict)
    """Session totals (the latest ``usage`` event)."""

    def apply(self, ev: dict[str, Any], t: float, item_id: int | None = None) -> list[str] | None:
        """Fold one event. Returns None when it is not a timeline event, else the conversation
        notes it produces (possibly none). ``item_id``: the user turn a ``turn`` answers."""
        kind = ev.get("type")
        if kind == "turn":
            self.turns.append(_record(ev, t, item_id))
            return []
        if kind == "user_audio_discarded":
            start = _num(ev.get("start"))
            end = _num(ev.get("end"))
            if start is None or end is None:
                return []
            d = Discard(start, end, str(ev.get("reason") or ""), str(ev.get("setting") or ""))
            self.discards.append(d)
            return [discard_text(d)]
        if kind == "eot_prediction":
            p = _num(ev.get("probability"))
            if p is not None:
                self.eot.append((t, min(max(p, 0.0), 1.0)))
                self.eot_threshold = _num(ev.get("threshold")) or self.eot_threshold
            return []
        if kind == "false_interruption":
            resumed = bool(ev.get("resumed"))
            self.marks.append(TimelineMark(t, "resumed" if resumed else "false_interruption"))
            if resumed:
                return ["false interruption: the agent resumed where it stopped"]
            return ["false interruption: the agent stopped for speech that was not a turn"]
        if kind == "overlapping_speech":
            interruption = ev.get("is_interruption")
            self.marks.append(TimelineMark(t, "overlap" if interruption else "backchannel"))
            if interruption:
                return ["you spoke over the agent: an interruption"]
            return ["you spoke over the agent: a backchannel, it went on"]
        if kind == "usage":
            self.usage = {k: v for k, v in ev.items() if k not in ("type", "t")}
            return []
        return None

    def by_item(self, item_id: int) -> TurnRecord | None:
        """The turn answering the user turn ``item_id``."""
        for turn in reversed(self.turns):
            if turn.item_id == item_id:
                return turn
        return None

    def segment_percentile(self, name: str, q: float) -> float | None:
        """Percentile (0..100) of segment ``name``'s duration over the session's turns."""
        values = sorted(d for turn in self.turns if (d := turn.duration(name)) is not None)
        if not values:
            return None
        pos = (len(values) - 1) * q / 100.0
        lo = math.floor(pos)
        hi = min(lo + 1, len(values) - 1)
        return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def discard_text(d: Discard) -> str:
    """The conversation line for discarded speech."""
    seconds = _setting_seconds(d.setting)
    if d.reason == "aec_warmup":
        first = f"first {seconds:g} s" if seconds is not None else "first seconds"
        why = f"you spoke during the agent's {first} (echo-cancellation warm-up)"
    elif d.reason == "uninterruptible":
        why = "you spoke while the agent said something it does not let you interrupt"
    else:
        why = f"you spoke while the framework discarded your audio ({d.reason})"
    return f"{why}: not heard ({d.end - d.start:.1f} s of speech)"


def _setting_seconds(setting: str) -> float | None:
    match = re.search(r"=([0-9.]+)s", setting)
    return float(match.group(1)) if match else None


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _record(ev: dict[str, Any], t: float, item_id: int | None) -> TurnRecord:
    segments = tuple(
        s
        for s in ev.get("segments") or []
        if isinstance(s, dict)
        and _num(s.get("start")) is not None
        and _num(s.get("end")) is not None
    )
    llm_input = ev.get("llm_input")
    return TurnRecord(
        id=int(ev.get("id") or 0),
        t=t,
        user_text=str(ev.get("user_text") or ""),
        reply=str(ev.get("reply") or ""),
        interrupted=bool(ev.get("interrupted")),
        heard_latency=_num(ev.get("heard_latency")),
        segments=segments,
        tools=tuple(x for x in ev.get("tools") or [] if isinstance(x, dict)),
        usage=dict(ev.get("usage") or {}),
        start=_num(ev.get("start")),
        eot_probability=_num(ev.get("eot_probability")),
        llm_input=llm_input if isinstance(llm_input, dict) else None,
        item_id=item_id,
    )
