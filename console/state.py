"""Session state: a reducer from console events to what the front ends show.

Pure Python (no Textual, no livekit). :class:`SessionState.apply` folds one event dict into plain
data records: it parses the dict with ``console/events.py`` (``docs/protocol.md``) and
dispatches on the event's class; the TUI reads them and
:meth:`SessionState.take_changes` tells it which parts changed since the last frame, so a burst of
thousands of events costs one repaint.

Also here because they are pure and shared by every front end: :class:`ConsoleInfo` (what the
console was started with) and :class:`CommandSink` (where a front end sends commands).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections import deque
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from . import events
from .turns_state import TurnsState

__all__ = [
    "LATENCY_FIELDS",
    "LOG_LEVELS",
    "AgentTurn",
    "AudioStatus",
    "Blocked",
    "Changes",
    "CommandSink",
    "ConsoleInfo",
    "Crash",
    "ErrorLine",
    "Item",
    "LogLine",
    "Marker",
    "Notice",
    "SILENCE_DBFS",
    "SessionState",
    "ToolCall",
    "TurnLatency",
    "UserTurn",
    "VadSample",
    "level_rank",
    "where_text",
    "percentile",
]


class CommandSink(Protocol):
    """Where a front end sends commands (the supervisor). ``command`` must be thread-safe."""

    def command(self, cmd: dict[str, Any]) -> None:
        """Queue one command dict, e.g. ``{"cmd": "say", "text": "hello"}``; never blocks."""


@dataclass(frozen=True)
class ConsoleInfo:
    """What the console was started with; shown in the header."""

    agent_file: str
    """Path of the user's agent file, as given on the command line."""
    mode: Literal["local", "room"] = "local"
    """``local``: microphone and speaker; ``room``: the job joined a LiveKit room."""
    room: str | None = None
    """Room name in room mode."""
    input_device: str | None = None
    """Name of the input device (or the WAV file used as the microphone)."""
    output_device: str | None = None
    """Name of the output device."""
    livekit_agents_version: str | None = None
    """Installed livekit-agents version."""
    record_dir: str | None = None
    """Where the session is recorded, if it is."""


# --- conversation items ---------------------------------------------------------------------


@dataclass(eq=False)
class Item:
    """One entry of the conversation. ``rev`` grows on every change so views know to redraw."""

    id: int
    t: float
    rev: int = 0


@dataclass(eq=False)
class UserTurn(Item):
    """What the user said: final segments plus the current interim hypothesis."""

    final_text: str = ""
    interim: str = ""

    @property
    def is_final(self) -> bool:
        """No interim hypothesis is pending."""
        return not self.interim


@dataclass(eq=False)
class AgentTurn(Item):
    """One agent message: text streamed from the LLM, then the committed (spoken) text."""

    streamed: str = ""
    committed: str | None = None
    """``agent_turn`` text; ``None`` while the message is still being generated/played."""
    interrupted: bool = False
    heard: str = ""
    """What the user has heard so far (``agent_spoken``: text paced to playback)."""

    @property
    def streaming(self) -> bool:
        """Not committed yet."""
        return self.committed is None

    @property
    def spoken(self) -> str:
        """The text the user heard (all of it unless interrupted)."""
        return self.streamed if self.committed is None else self.committed

    @property
    def unspoken(self) -> str:
        """Generated but cut by an interruption: the streamed tail beyond the committed text."""
        if not self.interrupted or self.committed is None:
            return ""
        head = self.committed.rstrip()
        if self.streamed.startswith(head):
            return self.streamed[len(head) :]
        return ""


@dataclass(eq=False)
class ToolCall(Item):
    """A function tool call: running until ``tool_ended`` arrives."""

    call_id: str = ""
    name: str = ""
    arguments: str = ""
    output: str | None = None
    error: str | None = None
    duration: float | None = None
    running: bool = True
    mocked: bool = False
    """The tool did not run: a mock gave its result (``--mock-tool``, ``k`` on its card)."""
    stuck_where: dict[str, Any] | None = None
    """Set by ``tool_stuck``: the line the running tool waits on."""
    stuck: bool = False
    """Running longer than the stuck-tool threshold."""

    @property
    def pretty_arguments(self) -> str:
        """Arguments as indented JSON (the raw text if it is not JSON)."""
        return _pretty_json(self.arguments)


@dataclass(eq=False)
class Marker(Item):
    """A divider in the conversation, e.g. ``reloaded: agent.py``."""

    kind: str = "reload"
    text: str = ""


@dataclass(eq=False)
class Crash(Item):
    """The job process exited with an error; ``error`` is the traceback text."""

    pid: int | None = None
    code: int | None = None
    error: str | None = None


@dataclass(eq=False)
class Blocked(Item):
    """The agent's event loop was (or is) blocked: ``loop_blocked``. Blocks in a row at the
    same line are gathered in one item (``count``, ``total``, ``longest``)."""

    block: int = 0
    """The latest block's number (per job)."""
    duration: float = 0.0
    """The latest block's length (so far, while ``ongoing``)."""
    where: dict[str, Any] | None = None
    stack: list[dict[str, Any]] = field(default_factory=list)
    ongoing: bool = False
    count: int = 1
    total: float = 0.0
    longest: float = 0.0
    at: float = 0.0
    """Event time of the latest report."""


@dataclass(eq=False)
class ErrorLine(Item):
    """An error in the agent's own code that nothing else shows (``error`` with ``where``)."""

    message: str = ""
    where: dict[str, Any] | None = None
    source: str | None = None


def where_text(where: dict[str, Any] | None) -> str:
    """``agent.py:5 in entrypoint`` for a where dict (empty for None)."""
    if not where:
        return ""
    return f"{where.get('file')}:{where.get('line')} in {where.get('function')}"


# --- other records ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VadSample:
    """One VAD inference."""

    t: float
    probability: float
    speaking: bool


_METRICS_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(events.Metrics))
"""The figures of a ``metrics`` event; :class:`TurnLatency` keeps their names."""

LATENCY_FIELDS: tuple[str, ...] = (
    "eou_delay",
    "transcription_delay",
    "llm_ttft",
    "tool",
    "tts_ttfb",
    "e2e",
)
"""Names of :class:`TurnLatency` figures, in display order (the ``metrics`` event's names)."""


@dataclass(frozen=True)
class TurnLatency:
    """Latency figures of one agent turn, seconds (``None`` where unknown)."""

    t: float
    eou_delay: float | None = None
    """End of the user's speech to the end of the turn decision (``metrics.eou_delay``)."""
    transcription_delay: float | None = None
    llm_ttft: float | None = None
    tool: float | None = None
    """Sum of the durations of the tool calls made in this turn."""
    tts_ttfb: float | None = None
    e2e: float | None = None

    def get(self, name: str) -> float | None:
        """Figure by name (one of :data:`LATENCY_FIELDS`)."""
        value: float | None = getattr(self, name)
        return value


@dataclass(frozen=True, slots=True)
class LogLine:
    """A log record or a line of the job's stdout/stderr (``logger`` is then that name)."""

    t: float
    level: str
    logger: str
    message: str


@dataclass(frozen=True, slots=True)
class Notice:
    """Something to pop up: an ``error`` event."""

    t: float
    level: str
    message: str


SILENCE_DBFS = -100.0
"""The floor of ``audio.level``: digital silence (dBFS)."""


@dataclass
class AudioStatus:
    """Latest ``audio`` event."""

    input: str | None = None
    output: str | None = None
    muted: bool = False
    aec: bool | None = None
    level: float = SILENCE_DBFS
    """Microphone level in dBFS (-100..0), as on the wire; the meter maps it to its bar."""
    underruns: int = 0
    problem: str | None = None
    reported: bool = False
    """True once the audio engine named the devices: ``input``/``output`` of None then mean
    that none is open (``--no-audio``)."""
    echo_db: float | None = None
    """The speaker heard in the mic (dB re what was played); None: no echo path."""
    erle_db: float | None = None
    """How far echo cancellation brings that echo down (dB); None: not measured."""
    canceller: str | None = None
    """Whose output the mic hands on: ``"linear"`` or ``"aec3"``; None: no echo path."""
    held: bool = False
    """The agent's audio is held: someone is talking over its echo."""


@dataclass
class Changes:
    """What changed since the last :meth:`SessionState.take_changes`."""

    parts: set[str] = field(default_factory=set)
    """Any of ``conversation``, ``vad``, ``states``, ``latency``, ``header``, ``logs``,
    ``notices``, ``settings``."""
    items: list[Item] = field(default_factory=list)
    """Conversation items added or changed, in id order (new items are always the newest)."""

    def __bool__(self) -> bool:
        return bool(self.parts)


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100) with linear interpolation; ``None`` for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    pos = (len(ordered) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _pretty_json(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        return text


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


LOG_LEVELS: tuple[str, ...] = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def level_rank(level: str) -> int:
    """Order of a log level name (unknown names rank as INFO)."""
    name = level.upper()
    if name == "WARN":
        name = "WARNING"
    return LOG_LEVELS.index(name) if name in LOG_LEVELS else 1


class SessionState:
    """Everything the UI shows, built only from events. Not thread-safe: one owner applies."""

    def __init__(
        self, info: ConsoleInfo | None = None, vad_history: int = 1200, log_history: int = 5000
    ) -> None:
        self.info = info
        self.now = 0.0
        """Latest event time seen (``t``); views measure elapsed times against it."""
        self.items: list[Item] = []
        self.vad: deque[VadSample] = deque(maxlen=vad_history)
        self.vad_total = 0
        self.user_state = "listening"
        self.agent_state = "initializing"
        self.job_state = "waiting"
        """``waiting``, ``starting``, ``ready``, ``reloading``, ``crashed`` or ``stopped``."""
        self.job_pid: int | None = None
        self.exit_code: int | None = None
        self.agents_version: str | None = info.livekit_agents_version if info else None
        self.python_version: str | None = None
        self.audio = AudioStatus(
            input=info.input_device if info else None,
            output=info.output_device if info else None,
        )
        self.room_state: str | None = None
        self.participants: list[str] = []
        self.latency: list[TurnLatency] = []
        self.logs: deque[LogLine] = deque(maxlen=log_history)
        self.log_total = 0
        """Log lines ever appended (the deque drops old ones)."""
        self.notices: deque[Notice] = deque(maxlen=100)
        self.notice_total = 0
        self.gaps: deque[tuple[float, float | None]] = deque(maxlen=200)
        """Times the agent's loop was blocked: ``(start, end)``, end None while ongoing."""
        self.blocked: Blocked | None = None
        """The block going on right now, if any."""
        self.reloads = 0
        # live settings (issue 15): the latest ``settings`` event
        self.settings: dict[str, Any] = {}
        self.overridden: list[str] = []
        self.settings_code: list[str] = []
        # agent shapes: output mode, active agent, where turns are detected
        self.text_mode: bool | None = None
        """True in text mode (replies as text only), False in audio mode, None before known."""
        self.turn_detection: str | None = None
        """``vad``, ``model`` (a realtime model detects turns) or ``none``."""
        self.active_agent: str | None = None
        """Class name of the active agent (handoffs and ``AgentTask`` runs change it)."""
        self.vad_has_probability = True
        """False while the VAD reports no probability (speech segments are shaded instead)."""
        self._next_id = 0
        self._user: UserTurn | None = None
        self._streaming: AgentTurn | None = None
        self._uncommitted: deque[AgentTurn] = deque()
        self._tools: dict[str, ToolCall] = {}
        self._turn_tool_time = 0.0
        self._changes = Changes()
        self.turns = TurnsState()
        """The turn timeline (issue 10): turns, discarded speech, EOT, marks, usage."""

    # --- public API -------------------------------------------------------------------------

    def apply(self, ev: dict[str, Any]) -> None:
        """Fold one event into the state. Unknown types and missing fields are ignored."""
        t = _num(ev.get("t"))
        if t is not None and t > self.now:
            self.now = t
        typed = _typed(ev)
        if typed is None:
            return
        when = self.now if t is None else t
        if isinstance(typed, events.Audio):
            self._on_audio(typed, when, ev.keys())
            return
        handler = _HANDLERS.get(type(typed))
        if handler is not None:
            handler(self, typed, when)
        else:
            self._apply_timeline(ev, when)

    def _apply_timeline(self, ev: dict[str, Any], t: float) -> None:
        """Turn-timeline events (issue 10): records in ``self.turns``, notes in the
        conversation (``Marker`` items with the event type as ``kind``)."""
        item_id = (
            self._turn_item(str(ev.get("user_text") or "")) if ev.get("type") == "turn" else None
        )
        notes = self.turns.apply(ev, t, item_id)
        if notes is None:
            return
        self._touch("turns", "vad")
        for text in notes:
            self._add(Marker(id=self._new_id(), t=t, kind=str(ev.get("type")), text=text))

    def _turn_item(self, text: str) -> int | None:
        """The user turn whose words are ``text`` (the latest; else the latest user turn)."""
        users = [i for i in reversed(self.items) if isinstance(i, UserTurn)]
        taken = {turn.item_id for turn in self.turns.turns}
        for item in users:
            if item.id not in taken and item.final_text.strip() == text.strip():
                return item.id
        return next((i.id for i in users if i.id not in taken), None)

    def apply_many(self, events: Iterable[dict[str, Any]]) -> None:
        """Apply events in order."""
        for ev in events:
            self.apply(ev)

    def take_changes(self) -> Changes:
        """Return what changed since the last call and start a new change set."""
        changes, self._changes = self._changes, Changes()
        changes.items.sort(key=lambda item: item.id)
        return changes

    def set_muted(self, on: bool) -> None:
        """Reflect a mute request at once (the audio engine's next event confirms it)."""
        self.audio.muted = on
        self._touch("states", "header")

    @property
    def vad_probability(self) -> float:
        """Latest VAD probability (0 before any inference)."""
        return self.vad[-1].probability if self.vad else 0.0

    @property
    def vad_speaking(self) -> bool:
        """Latest VAD speaking flag."""
        return self.vad[-1].speaking if self.vad else False

    @property
    def last_latency(self) -> TurnLatency | None:
        """The latest turn's figures."""
        return self.latency[-1] if self.latency else None

    def latency_percentile(self, name: str, q: float) -> float | None:
        """Percentile of one latency figure over the session."""
        values = (v for turn in self.latency if (v := turn.get(name)) is not None)
        return percentile(values, q)

    def tool(self, call_id: str) -> ToolCall | None:
        """The tool call with this id, if seen."""
        return self._tools.get(call_id)

    # --- helpers ----------------------------------------------------------------------------

    def _touch(self, *parts: str) -> None:
        self._changes.parts.update(parts)

    def _changed(self, item: Item) -> None:
        item.rev += 1
        if item not in self._changes.items:
            self._changes.items.append(item)
        self._changes.parts.add("conversation")

    def _add(self, item: Item) -> None:
        self.items.append(item)
        self._changed(item)

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _end_agent_stream(self) -> None:
        self._streaming = None

    def _end_block(self, t: float) -> None:
        """The job is gone: a block that was going on ends with it."""
        if self.gaps and self.gaps[-1][1] is None:
            start, _ = self.gaps.pop()
            self.gaps.append((start, t))
            self._touch("vad")
        if self.blocked is not None:
            self.blocked.ongoing = False
            self._changed(self.blocked)
            self.blocked = None

    # --- handlers (one per event class; fields typed by console/events.py) --------------------

    def _on_job_started(self, ev: events.JobStarted, t: float) -> None:
        self.job_pid = ev.pid
        if self.job_state != "reloading":
            self.job_state = "starting"
        self._touch("header")

    def _on_job_ready(self, ev: events.JobReady, t: float) -> None:
        if ev.pid is not None:
            self.job_pid = ev.pid
        self.job_state = "ready"
        self._touch("header")

    def _on_job_exited(self, ev: events.JobExited, t: float) -> None:
        code = ev.code
        error = ev.error
        self.exit_code = code if isinstance(code, int) else None
        # A job whose turn is over (reload swap, quit) exits quietly; anything else is a crash.
        if error:
            self.job_state = "crashed"
        elif self.job_state == "reloading":
            return
        else:
            self.job_state = "stopped" if code in (0, None) else "crashed"
        self._touch("header")
        self._user = None
        self._end_agent_stream()
        self._end_block(t)
        for call in self._tools.values():
            if call.running:
                call.running = False
                call.error = call.error or "job exited"
                self._changed(call)
        if self.job_state == "crashed":
            self._add(
                Crash(
                    id=self._new_id(),
                    t=t,
                    pid=ev.pid,
                    code=self.exit_code,
                    error=str(error) if error else None,
                )
            )

    def _on_reload(self, ev: events.Reload, t: float) -> None:
        files = [str(f) for f in ev.files or []]
        names = ", ".join(f.rsplit("/", 1)[-1] for f in files[:3])
        if len(files) > 3:
            names += f" +{len(files) - 3}"
        text = f"reloaded: {names}" if names else "reloaded"
        if ev.reason == "manual":
            text += " (manual)"
        self.reloads += 1
        self.job_state = "reloading"
        self._user = None
        self._end_agent_stream()
        self._end_block(t)
        self._add(Marker(id=self._new_id(), t=t, kind="reload", text=text))
        self._touch("header")

    def _on_hello(self, ev: events.Hello, t: float) -> None:
        self.agents_version = ev.agents_version or self.agents_version
        self.python_version = ev.python or self.python_version
        if ev.pid is not None:
            self.job_pid = ev.pid
        self._touch("header")

    def _on_vad(self, ev: events.Vad, t: float) -> None:
        raw = ev.probability
        p = _num(raw)
        if p is None and raw is not None:
            return  # malformed
        self.vad_has_probability = p is not None
        if p is None:
            p = 0.0  # a VAD with no probability (null): only the speech segments are drawn
        self.vad.append(VadSample(t, min(max(p, 0.0), 1.0), bool(ev.speaking)))
        self.vad_total += 1
        self._touch("vad")

    def _on_user_state(self, ev: events.UserState, t: float) -> None:
        self.user_state = str(ev.state or self.user_state)
        self._touch("states")

    def _on_agent_state(self, ev: events.AgentState, t: float) -> None:
        self.agent_state = str(ev.state or self.agent_state)
        self._touch("states")

    def _on_user_transcript(self, ev: events.UserTranscript, t: float) -> None:
        text = str(ev.text or "").strip()
        final = bool(ev.final)
        if not text and not final:
            return
        turn = self._user
        # Speech with no agent reply in between belongs to the same user turn.
        if turn is None or (self.items and self.items[-1] is not turn):
            if final and not text:
                return
            turn = UserTurn(id=self._new_id(), t=t)
            self.items.append(turn)
            self._user = turn
        if final:
            if text:
                turn.final_text = f"{turn.final_text} {text}".strip()
            turn.interim = ""
            # The reply to this turn is a new agent message.
            self._end_agent_stream()
            self._turn_tool_time = 0.0
        else:
            turn.interim = text
        self._changed(turn)

    def _on_agent_text(self, ev: events.AgentText, t: float) -> None:
        delta = ev.delta
        if not isinstance(delta, str) or not delta:
            return
        turn = self._streaming
        if turn is None:
            turn = AgentTurn(id=self._new_id(), t=t)
            self._add(turn)
            self._streaming = turn
            self._uncommitted.append(turn)
        turn.streamed += delta
        self._changed(turn)

    def _on_agent_spoken(self, ev: events.AgentSpoken, t: float) -> None:
        delta = ev.delta
        # playback follows generation: the text being heard belongs to the oldest open turn
        if isinstance(delta, str) and delta and self._uncommitted:
            turn = self._uncommitted[0]
            turn.heard += delta
            self._changed(turn)

    def _on_agent_turn(self, ev: events.AgentTurn, t: float) -> None:
        text = str(ev.text or "")
        interrupted = bool(ev.interrupted)
        if self._uncommitted:
            turn = self._uncommitted.popleft()
        elif not text and not interrupted:
            return
        else:
            # Committed without streamed text (e.g. say()): show it whole.
            turn = AgentTurn(id=self._new_id(), t=t, streamed=text)
            self.items.append(turn)
        if turn is self._streaming:
            self._streaming = None
        turn.committed = text
        turn.interrupted = interrupted
        if not turn.streamed:
            turn.streamed = text
        self._changed(turn)

    def _on_tool_started(self, ev: events.ToolStarted, t: float) -> None:
        call_id = str(ev.call_id or f"call-{self._next_id + 1}")
        call = ToolCall(
            id=self._new_id(),
            t=t,
            call_id=call_id,
            name=str(ev.name or "?"),
            arguments=str(ev.arguments or ""),
        )
        self._tools[call_id] = call
        # Text generated after the tool call is a new message, shown below the card.
        self._end_agent_stream()
        self._add(call)

    def _on_tool_ended(self, ev: events.ToolEnded, t: float) -> None:
        # The job always reports tool_started first (on livekit-agents without a start event it
        # sends both after the batch): an end without a start is not ours to invent.
        call = self._tools.get(str(ev.call_id or ""))
        if call is None:
            return
        call.output = None if ev.output is None else str(ev.output)
        call.error = str(ev.error) if ev.error else None
        call.duration = _num(ev.duration)
        call.mocked = bool(ev.mocked)
        if call.duration is None:
            call.duration = max(t - call.t, 0.0)
        call.running = False
        self._turn_tool_time += call.duration
        self._changed(call)

    def _on_metrics(self, ev: events.Metrics, t: float) -> None:
        figures = {name: _num(getattr(ev, name)) for name in _METRICS_FIELDS}
        if all(v is None for v in figures.values()):
            return
        tool = self._turn_tool_time or None
        self._turn_tool_time = 0.0
        self.latency.append(TurnLatency(t=t, tool=tool, **figures))
        self._touch("latency")

    def _on_log(self, ev: events.Log, t: float) -> None:
        message = str(ev.message or "")
        level = str(ev.level or "INFO").upper()
        self.logs.append(LogLine(t, level, str(ev.logger or ""), message))
        self.log_total += 1
        self._touch("logs")

    def _on_error(self, ev: events.Error, t: float) -> None:
        level = str(ev.level or "ERROR").upper()
        message = str(ev.message or "error")
        if isinstance(ev.where, dict):
            # the agent's own mistake: in the conversation, where it happened in the session
            self._add(
                ErrorLine(
                    id=self._new_id(),
                    t=t,
                    message=message,
                    where=ev.where,
                    source=None if ev.source is None else str(ev.source),
                )
            )
        self.notices.append(Notice(t, level, message))
        self.notice_total += 1
        self.logs.append(LogLine(t, level, "error", message))
        self.log_total += 1
        self._touch("notices", "logs")

    def _on_agent_speech(self, ev: events.AgentSpeech, t: float) -> None:
        # Playback progress is reflected by agent_state; nothing else to show yet.
        return

    def _on_audio(self, ev: events.Audio, t: float, given: Collection[str]) -> None:
        # A status from the engine names every field; a partial one (mute with no audio
        # engine) only changes what it names.
        audio = self.audio
        if "input" in given:
            audio.reported = True
        for name in ("input", "output", "problem"):
            if name in given:
                value = getattr(ev, name)
                setattr(audio, name, None if value is None else str(value))
        if ev.muted is not None:
            audio.muted = bool(ev.muted)
        if "aec" in given:
            audio.aec = None if ev.aec is None else bool(ev.aec)
        level = _num(ev.level)
        if level is not None:
            audio.level = min(max(level, SILENCE_DBFS), 0.0)
        if isinstance(ev.underruns, int):
            audio.underruns = ev.underruns
        for name in ("echo_db", "erle_db"):
            if name in given:
                setattr(audio, name, _num(getattr(ev, name)))
        if "canceller" in given:
            audio.canceller = ev.canceller if ev.canceller in ("linear", "aec3") else None
        if "held" in given:
            audio.held = bool(ev.held)
        self._touch("states", "header")

    def _on_loop_blocked(self, ev: events.LoopBlocked, t: float) -> None:
        duration = _num(ev.duration) or 0.0
        where = ev.where if isinstance(ev.where, dict) else None
        stack = [f for f in ev.stack or [] if isinstance(f, dict)]
        ongoing = bool(ev.ongoing)
        number = int(ev.block or 0)
        start = max(t - duration, 0.0)
        if self.gaps and self.gaps[-1][1] is None:
            self.gaps.pop()  # the same block, reported again (ongoing, or its end)
        self.gaps.append((start, None if ongoing else t))
        self._touch("vad")
        last = self.items[-1] if self.items else None
        if isinstance(last, Blocked) and last.block == number and (last.ongoing or ongoing):
            item = last  # a later report of the same block
            item.total += duration - item.duration
        elif isinstance(last, Blocked) and not last.ongoing and _same_line(last.where, where):
            item = last  # another block at the same line, nothing else in between
            item.count += 1
            item.total += duration
        else:
            item = Blocked(id=self._new_id(), t=t, block=number, total=duration)
            self.items.append(item)
        item.block = number
        item.duration = duration
        item.where = where
        item.stack = stack
        item.ongoing = ongoing
        item.at = t
        item.longest = max(item.longest, duration)
        self.blocked = item if ongoing else None
        self._changed(item)
        self._touch("states")

    def _on_tool_stuck(self, ev: events.ToolStuck, t: float) -> None:
        call = self._tools.get(str(ev.call_id or ""))
        if call is None or not call.running:
            return
        where = ev.where
        call.stuck = True
        call.stuck_where = where if isinstance(where, dict) else None
        self._changed(call)

    def _on_room(self, ev: events.Room, t: float) -> None:
        self.room_state = str(ev.state or self.room_state or "")
        if isinstance(ev.participants, list):
            self.participants = [str(p) for p in ev.participants]
        self._touch("header")

    def _on_settings(self, ev: events.Settings, t: float) -> None:
        if isinstance(ev.values, dict):
            self.settings = dict(ev.values)
        self.overridden = [str(n) for n in ev.overridden or []]
        self.settings_code = [str(line) for line in ev.code or []]
        self._touch("settings", "vad")

    # --- agent shapes: text mode, handoffs, tasks, uninterruptible speech -----------------

    def _on_mode(self, ev: events.Mode, t: float) -> None:
        self.text_mode = bool(ev.text)
        self.turn_detection = str(ev.turn_detection) if ev.turn_detection else None
        self._touch("header", "vad")
        reason = str(ev.reason or "")
        if not self.text_mode and "no TTS" in reason:  # audio asked for, nothing to speak with
            self.notices.append(Notice(t, "WARNING", f"audio mode: {reason}"))
            self.notice_total += 1
            self._touch("notices")

    def _on_agent_changed(self, ev: events.AgentChanged, t: float) -> None:
        to = ev.to
        self.active_agent = str(to) if to else None
        self._touch("header")
        if ev.from_ is not None and to:
            # a divider: "→ Billing" (the new agent's words follow it)
            self._end_agent_stream()
            self._add(Marker(id=self._new_id(), t=t, kind="agent", text=f"→ {to}"))

    def _on_task_started(self, ev: events.TaskStarted, t: float) -> None:
        name = ev.name or "task"
        self._add(Marker(id=self._new_id(), t=t, kind="task", text=f"task {name} started"))

    def _on_task_ended(self, ev: events.TaskEnded, t: float) -> None:
        name = ev.name or "task"
        outcome = f"failed: {ev.error}" if ev.error else f"→ {ev.result}"
        self._add(Marker(id=self._new_id(), t=t, kind="task", text=f"task {name} {outcome}"))

    def _on_agent_uninterruptible(self, ev: events.AgentUninterruptible, t: float) -> None:
        text = (
            "interrupted anyway (forced): the speech did not allow interruptions"
            if ev.stopped
            else "the agent's speech cannot be interrupted by the user (allow_interruptions=False)"
        )
        self._add(Marker(id=self._new_id(), t=t, kind="uninterruptible", text=text))


_Handler = Callable[[SessionState, Any, float], None]
_HANDLERS: dict[type[events.Event], _Handler] = {
    events.JobStarted: SessionState._on_job_started,
    events.JobReady: SessionState._on_job_ready,
    events.JobExited: SessionState._on_job_exited,
    events.Reload: SessionState._on_reload,
    events.Hello: SessionState._on_hello,
    events.Vad: SessionState._on_vad,
    events.UserState: SessionState._on_user_state,
    events.AgentState: SessionState._on_agent_state,
    events.UserTranscript: SessionState._on_user_transcript,
    events.AgentText: SessionState._on_agent_text,
    events.AgentTurn: SessionState._on_agent_turn,
    events.AgentSpoken: SessionState._on_agent_spoken,
    events.ToolStarted: SessionState._on_tool_started,
    events.ToolEnded: SessionState._on_tool_ended,
    events.Metrics: SessionState._on_metrics,
    events.Log: SessionState._on_log,
    events.Error: SessionState._on_error,
    events.AgentSpeech: SessionState._on_agent_speech,
    events.Room: SessionState._on_room,
    events.Settings: SessionState._on_settings,
    events.Mode: SessionState._on_mode,
    events.AgentChanged: SessionState._on_agent_changed,
    events.TaskStarted: SessionState._on_task_started,
    events.TaskEnded: SessionState._on_task_ended,
    events.AgentUninterruptible: SessionState._on_agent_uninterruptible,
    events.LoopBlocked: SessionState._on_loop_blocked,
    events.ToolStuck: SessionState._on_tool_stuck,
}
"""Handler per event class (``audio`` is dispatched apart: it needs the fields given)."""


def _typed(obj: dict[str, Any]) -> events.Event | None:
    """The typed event for ``obj``; a missing field reads as null (the reducer shrugs it off)
    rather than dropping the event."""
    try:
        return events.parse_event(obj)
    except TypeError:
        cls = events.EVENTS[str(obj.get("type"))]
        missing = {name: None for name in _required_fields(cls) if name not in obj}
        return events.parse_event({**obj, **missing})


_REQUIRED: dict[type, tuple[str, ...]] = {}


def _required_fields(cls: type[events.Event]) -> tuple[str, ...]:
    names = _REQUIRED.get(cls)
    if names is None:
        names = _REQUIRED[cls] = tuple(
            f.name
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        )
    return names


def _same_line(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    if a is None or b is None:
        return False
    return (a.get("path"), a.get("line")) == (b.get("path"), b.get("line"))
