"""Turn timelines, discarded speech and usage, built in the job from framework events (issue 10).

The job sees the framework's own stamps (``time.time()``): the user's end of speech and the
delays the framework measured from it, tools, the first LLM text and the first audio frame
its output receives. It cannot see when the console actually played that audio, and its clock
is not the console's. So a turn leaves the job as a :class:`~agentconsole.events.JobClock`
wrapper: times on the job's wall clock plus the job's wall time at sending. The console moves
them to its clock and appends the last segment (``playout``: first audio frame out of the TTS
to first audio heard), see ``agentconsole.turns``.

Segments tile the interval from the end of the user's speech: each starts where the previous
ended. A wait that did not happen (the STT was final before the VAD's silence window closed)
is a zero-length segment, so every turn has the same names in the same order.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..events import (
    EotPrediction,
    Event,
    FalseInterruption,
    JobClock,
    OverlappingSpeech,
    SpeechCreated,
    Turn,
    Usage,
    UserAudioDiscarded,
    UserTranscriptionTimeout,
)

__all__ = ["PLAYBACK_SEGMENT_KEY", "ROOM_SEGMENT", "TurnTimeline", "USAGE_KEYS"]

Send = Callable[[Event], None]

USAGE_KEYS = (
    "llm_prompt_tokens",
    "llm_completion_tokens",
    "llm_cached_tokens",
    "tts_characters",
    "stt_seconds",
)
PLAYBACK_SEGMENT_KEY = "playback_segment"
"""Key the job adds to a wrapped ``turn``: the playback segment of the reply's first audio."""
ROOM_SEGMENT = 0
"""Playback segment number of audio sent to a LiveKit room (room mode): the console plays
nothing, so the turn ends when the first audio frame went out."""

_MAX_MESSAGES = 40  # inspector: last messages of the chat context sent with a turn
_MAX_TEXT = 2000  # inspector: characters kept per message
_MAX_OBSERVATIONS = 400
_SECRET_WORDS = ("KEY", "SECRET", "TOKEN", "PASSWORD")


def _now() -> float:
    return time.time()


@dataclass
class _Turn:
    user_text: str
    source: str
    start: float
    marks: list[tuple[str, float, str]]
    llm_input: dict[str, Any] | None
    eot: float | None
    reply: list[str] = field(default_factory=list)
    interrupted: bool = False
    answered: bool = False


class TurnTimeline:
    """Collects the job-side facts of each user turn and sends ``turn`` and the other
    issue-10 events through ``send`` (typed events; job-clock ones wrapped in ``JobClock``)."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.session: Any = None
        self._settings: dict[str, str] = {}
        self._turn: _Turn | None = None
        # raw observations of the reply since the last turn ended: (kind, job time, info)
        self._obs: list[tuple[str, float, Any]] = []
        self._vad_speaking = False
        self._vad_end: float | None = None
        self._eot: float | None = None
        self._discard_reason: str | None = None
        self._discard_open: tuple[str, float] | None = None
        self._turn_usage = dict.fromkeys(USAGE_KEYS, 0.0)
        self._session_usage = dict.fromkeys(USAGE_KEYS, 0.0)

    def attach(self, session: Any) -> None:
        """Read the session's settings (what owns each wait)."""
        from . import framework

        self.session = session
        try:
            self._settings = framework.pipeline_settings(session)
        except Exception:  # a plugin without the usual attributes: generic names
            self._settings = {}

    def _setting(self, key: str, default: str) -> str:
        return self._settings.get(key) or default

    # -- VAD and discarded speech ------------------------------------------------------------

    def on_vad(self, speaking: bool) -> None:
        """One VAD inference (the session's own VAD)."""
        if speaking == self._vad_speaking:
            return
        self._vad_speaking = speaking
        now = _now()
        if not speaking:
            self._vad_end = now
        self._update_discard(now)

    def on_user_frame(self, reason: str | None) -> None:
        """One user audio frame reached the session; ``reason`` it is withheld, or None."""
        if reason == self._discard_reason:
            return
        self._discard_reason = reason
        self._update_discard(_now())

    def _update_discard(self, now: float) -> None:
        reason = self._discard_reason if self._vad_speaking else None
        opened = self._discard_open
        if opened is not None and opened[0] != reason:
            self._discard_open = None
            self._send(
                JobClock(
                    event=UserAudioDiscarded(
                        reason=opened[0],
                        start=opened[1],
                        end=now,
                        setting=self._setting(opened[0], opened[0]),
                    ).to_dict(),
                    clock=_now(),
                )
            )
        if reason is not None and self._discard_open is None:
            self._discard_open = (reason, now)

    # -- session events ----------------------------------------------------------------------

    def on_eot(self, probability: float, threshold: float | None, delay: float | None) -> None:
        """The turn detector's end-of-turn prediction."""
        self._eot = probability
        self._send(EotPrediction(probability=probability, threshold=threshold, delay=delay))

    def on_false_interruption(self, ev: Any) -> None:
        self._send(FalseInterruption(resumed=bool(getattr(ev, "resumed", False))))

    def on_overlapping_speech(self, ev: Any) -> None:
        prob = getattr(ev, "probability", None)
        self._send(
            OverlappingSpeech(
                is_interruption=bool(getattr(ev, "is_interruption", False)),
                probability=float(prob) if isinstance(prob, (int, float)) else None,
            )
        )

    def on_speech_created(self, ev: Any) -> None:
        self._send(
            SpeechCreated(
                source=str(getattr(ev, "source", "")),
                user_initiated=bool(getattr(ev, "user_initiated", False)),
            )
        )

    def on_transcription_timeout(self, ev: Any) -> None:
        self._send(
            UserTranscriptionTimeout(speech_duration=float(getattr(ev, "speech_duration", 0.0)))
        )

    def on_metrics(self, metrics: Any) -> None:
        """One ``metrics_collected`` report: add its usage to the turn and the session."""
        kind = getattr(metrics, "type", "")
        add: dict[str, float] = {}
        if kind == "llm_metrics":
            add = {
                "llm_prompt_tokens": getattr(metrics, "prompt_tokens", 0) or 0,
                "llm_completion_tokens": getattr(metrics, "completion_tokens", 0) or 0,
                "llm_cached_tokens": getattr(metrics, "prompt_cached_tokens", 0) or 0,
            }
        elif kind == "tts_metrics":
            add = {"tts_characters": getattr(metrics, "characters_count", 0) or 0}
        elif kind == "stt_metrics":
            add = {"stt_seconds": getattr(metrics, "audio_duration", 0.0) or 0.0}
        if not add:
            return
        for key, value in add.items():
            self._turn_usage[key] += float(value)
            self._session_usage[key] += float(value)
        self._send(Usage(**_usage_fields(self._session_usage)))

    # -- the reply -----------------------------------------------------------------------

    def on_agent_text(self) -> None:
        """LLM text reached the transcription output (as it streams)."""
        if not self._obs or self._obs[-1][0] != "text":
            self._observe("text", _now(), None)

    def on_tools(self, calls: list[tuple[str, float, float]]) -> None:
        """A batch of tools ran: ``(name, started, ended)``, ``time.time()`` seconds."""
        for name, started, ended in calls:
            self._observe("tool_start", started, name)
            self._observe("tool_end", ended, name)

    def _observe(self, kind: str, t: float, info: Any) -> None:
        if len(self._obs) >= _MAX_OBSERVATIONS:  # replies with no user turn (say): keep recent
            del self._obs[: _MAX_OBSERVATIONS // 2]
        self._obs.append((kind, t, info))

    def on_playback_start(self, segment: int) -> None:
        """The first frame of an agent audio segment reached the output."""
        self._observe("audio", _now(), segment)

    def on_user_item(self, item: Any) -> None:
        """The user's message was committed: a turn begins (a previous one ends)."""
        self.finish()
        metrics = dict(getattr(item, "metrics", None) or {})
        text = item.text_content or ""
        stopped = metrics.get("stopped_speaking_at")
        created = float(getattr(item, "created_at", 0.0) or _now())
        marks: list[tuple[str, float, str]] = []
        if isinstance(stopped, (int, float)) and stopped > 0:
            start = float(stopped)
            vad_end = self._vad_end
            if vad_end is None or not start <= vad_end <= created:
                vad_end = start
            stt = start + float(metrics.get("transcription_delay") or 0.0)
            eou = start + float(metrics.get("end_of_turn_delay") or 0.0)
            callback = eou + float(metrics.get("on_user_turn_completed_delay") or 0.0)
            marks = [
                ("vad_silence", vad_end, self._setting("vad", "VAD silence window")),
                ("stt_final", stt, self._setting("stt", "STT")),
                ("end_of_turn", eou, self._setting("endpointing", "endpointing")),
                ("on_user_turn_completed", callback, "Agent.on_user_turn_completed"),
            ]
            source = "stt"
        else:
            start = created
            source = "text"
        self._obs = [o for o in self._obs if o[1] >= start]
        self._turn = _Turn(
            user_text=text,
            source=source,
            start=start,
            marks=marks,
            llm_input=self._llm_input(),
            eot=self._eot,
        )
        self._eot = None

    def on_agent_item(self, text: str, interrupted: bool) -> None:
        """An agent message was committed."""
        turn = self._turn
        if turn is None:
            return
        if text:
            turn.reply.append(text)
        turn.interrupted = turn.interrupted or interrupted
        turn.answered = True

    def on_agent_state(self, state: str) -> None:
        """The agent is back to listening: the turn it answered is over."""
        if state not in ("listening", "idle"):
            return
        if self._turn is None:
            # a reply with no user turn (the greeting, ``say``): its usage is the session's
            self._turn_usage = dict.fromkeys(USAGE_KEYS, 0.0)
        elif self._turn.answered:
            self.finish()

    def finish(self) -> None:
        """Send the open turn, if any."""
        turn, self._turn = self._turn, None
        if turn is None:
            return
        obs, self._obs = self._obs, []
        usage, self._turn_usage = self._turn_usage, dict.fromkeys(USAGE_KEYS, 0.0)
        segments, tools, playback = _segments(turn, obs, self._settings)
        ev = Turn(
            id=0,  # numbered by the console, which outlives jobs
            user_text=turn.user_text,
            reply=" ".join(turn.reply),
            interrupted=turn.interrupted,
            heard_latency=None,
            segments=segments,
            tools=tools,
            usage=_usage_fields(usage),
            start=turn.start,
            source=turn.source,
            eot_probability=turn.eot,
            llm_input=turn.llm_input,
        ).to_dict()
        ev[PLAYBACK_SEGMENT_KEY] = playback
        self._send(JobClock(event=ev, clock=_now()))

    # -- inspector -----------------------------------------------------------------------

    def _llm_input(self) -> dict[str, Any] | None:
        """The chat context and tools the agent's LLM gets for this turn (no credentials)."""
        session = self.session
        agent = getattr(session, "current_agent", None) if session is not None else None
        if agent is None:
            return None
        try:
            items = list(agent.chat_ctx.items)
            tools = list(getattr(agent, "tools", []) or [])
        except Exception:
            return None
        messages = [_item_entry(i) for i in items[-_MAX_MESSAGES:]]
        secrets = _secret_values()
        return {
            "messages": [_redact(m, secrets) for m in messages if m is not None],
            "omitted": max(0, len(items) - _MAX_MESSAGES),
            "tools": [_tool_entry(t) for t in tools],
        }


def _usage_fields(usage: dict[str, float]) -> dict[str, Any]:
    return {k: (round(v, 3) if k == "stt_seconds" else int(v)) for k, v in usage.items()}


def _segments(
    turn: _Turn, obs: list[tuple[str, float, Any]], settings: dict[str, str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int | None]:
    """Tile the turn from its start to the first audio frame out of the TTS."""
    llm = settings.get("llm") or "LLM"
    marks = list(turn.marks)
    tools: list[dict[str, Any]] = []
    playback: int | None = None
    in_tools: list[str] = []
    tools_end = 0.0
    text_seen = False
    for kind, t, info in sorted(obs, key=lambda o: o[1]):
        if kind == "tool_start":
            if not in_tools:
                marks.append(("llm_ttft", t, llm))
            in_tools.append(str(info))
            tools.append({"name": str(info), "start": t})
        elif kind == "tool_end":
            tools_end = max(tools_end, t)
            for entry in reversed(tools):
                if entry["name"] == info and "end" not in entry:
                    entry["end"] = t
                    break
        elif kind == "text" or kind == "audio":
            if in_tools:
                marks.append(("tools", tools_end, "tool " + ", ".join(dict.fromkeys(in_tools))))
                in_tools = []
                text_seen = False
            if kind == "text" and not text_seen:
                marks.append(("llm_ttft", t, llm))
                text_seen = True
            if kind == "audio":
                if not text_seen:
                    marks.append(("llm_ttft", t, llm))
                marks.append(("tts_ttfb", t, settings.get("tts") or "TTS"))
                playback = int(info)
                break
    segments: list[dict[str, Any]] = []
    prev = turn.start
    for name, t, setting in marks:
        end = max(prev, t)
        segments.append({"name": name, "start": prev, "end": end, "setting": setting})
        prev = end
    return segments, tools, playback


def _item_entry(item: Any) -> dict[str, Any] | None:
    kind = getattr(item, "type", "")
    if kind == "message":
        text = item.text_content or ""
        return {"role": str(item.role), "text": text[:_MAX_TEXT]}
    if kind == "function_call":
        return {"role": "tool_call", "text": f"{item.name}({item.arguments})"[:_MAX_TEXT]}
    if kind == "function_call_output":
        return {"role": "tool_output", "text": f"{item.name}: {item.output}"[:_MAX_TEXT]}
    return None


def _tool_entry(tool: Any) -> dict[str, str]:
    info = getattr(tool, "info", None)
    name = getattr(info, "name", None) or getattr(tool, "id", None) or getattr(tool, "__name__", "")
    description = getattr(info, "description", None) or ""
    return {"name": str(name), "description": str(description)[:_MAX_TEXT]}


def _secret_values() -> list[str]:
    return [
        v
        for k, v in os.environ.items()
        if len(v) >= 8 and any(word in k.upper() for word in _SECRET_WORDS)
    ]


def _redact(entry: dict[str, Any], secrets: list[str]) -> dict[str, Any]:
    text = str(entry.get("text", ""))
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "[redacted]")
    return {**entry, "text": text}
