"""Every event and command of the headless contract and the wire, as typed structures (contract).

Pure Python: no Textual, no livekit, no numpy. The job, the console, the headless front end and
the TUI's state all build and read events through this module, so a field has one name and one
unit everywhere. ``docs/protocol.md`` documents each one; a test checks that its tables and this
module agree.

On the wire and on stdout an event is a JSON object: ``{"type": ..., **fields}`` (plus ``t``,
stamped by the console). Build one with its class and send ``ev.to_dict()``; read one with
:func:`parse_event`. Commands are the same with ``cmd`` in place of ``type``.

Adding an event: a frozen dataclass deriving from :class:`Event` with a ``TYPE`` class variable,
registered with :func:`_event`; a row in ``docs/protocol.md``. Fields are only ever added.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

__all__ = [
    "COMMANDS",
    "EVENTS",
    "internal_command_names",
    "internal_event_types",
    "Command",
    "Event",
    "parse_command",
    "parse_event",
]

JSONValue = Any
"""A value that serialises as JSON (the wire's payloads are plain JSON)."""


class Event:
    """Base of every event. Subclasses are frozen dataclasses with a ``TYPE``."""

    TYPE: ClassVar[str] = ""
    INTERNAL: ClassVar[bool] = False
    """Internal events travel job -> console only; headless never prints them."""

    def to_dict(self) -> dict[str, Any]:
        """The event as the JSON object sent on the wire and printed headless."""
        out: dict[str, Any] = {"type": self.TYPE}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            out[f.name] = getattr(self, f.name)
        return out


class Command:
    """Base of every command. Subclasses are frozen dataclasses with a ``CMD``."""

    CMD: ClassVar[str] = ""
    INTERNAL: ClassVar[bool] = False
    """Internal commands travel console -> job only; headless refuses them on stdin."""

    def to_dict(self) -> dict[str, Any]:
        """The command as the JSON object sent on the wire or read from stdin."""
        out: dict[str, Any] = {"cmd": self.CMD}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            out[f.name] = getattr(self, f.name)
        return out


EVENTS: dict[str, type[Event]] = {}
"""Every event class by its ``type``."""
COMMANDS: dict[str, type[Command]] = {}
"""Every command class by its ``cmd``."""

_T = TypeVar("_T")
_E = TypeVar("_E", bound=type[Event])
_C = TypeVar("_C", bound=type[Command])


def _event(cls: _E) -> _E:
    assert cls.TYPE and cls.TYPE not in EVENTS, cls
    EVENTS[cls.TYPE] = cls
    return cls


def _command(cls: _C) -> _C:
    assert cls.CMD and cls.CMD not in COMMANDS, cls
    COMMANDS[cls.CMD] = cls
    return cls


def _build(cls: Callable[..., Any], names: set[str], obj: dict[str, Any]) -> Any:
    # JSON names that are Python keywords are fields with a trailing underscore (``from_``)
    fields = {key: value for key, value in obj.items() if key in names}
    # the JSON name wins over a field-name key (a reader may have filled ``from_`` with null)
    fields.update({key + "_": value for key, value in obj.items() if key + "_" in names})
    return cls(**fields)


def parse_event(obj: dict[str, Any]) -> Event | None:
    """The typed event for a JSON object, or None for an unknown ``type``.

    Unknown fields are dropped (a newer job may send more); a missing field without a default
    raises ``TypeError``.
    """
    cls = EVENTS.get(str(obj.get("type")))
    if cls is None:
        return None
    return _build(cls, _field_names(cls), obj)  # type: ignore[no-any-return]


def parse_command(obj: dict[str, Any]) -> Command | None:
    """The typed command for a JSON object, or None for an unknown ``cmd``."""
    cls = COMMANDS.get(str(obj.get("cmd")))
    if cls is None:
        return None
    return _build(cls, _field_names(cls), obj)  # type: ignore[no-any-return]


_FIELDS: dict[type, set[str]] = {}


def _field_names(cls: type) -> set[str]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = {f.name for f in dataclasses.fields(cls)}
    return names


def internal_event_types() -> frozenset[str]:
    """Types of the internal events (job -> console only)."""
    return frozenset(t for t, c in EVENTS.items() if c.INTERNAL)


def internal_command_names() -> frozenset[str]:
    """Names of the internal commands (console -> job only)."""
    return frozenset(n for n, c in COMMANDS.items() if c.INTERNAL)


if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:  # only the type checker needs to know that _frozen makes dataclasses

    def dataclass_transform(**_: Any) -> Callable[[_T], _T]:
        return lambda f: f


_K = TypeVar("_K", bound=type)


@dataclass_transform(frozen_default=True, kw_only_default=True)
def _frozen(cls: _K) -> _K:
    """A frozen, slotted, keyword-only dataclass (the type checker sees it as one)."""
    return dataclass(frozen=True, slots=True, kw_only=True)(cls)  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------------
# Job lifecycle (emitted by the console)


@_event
@_frozen
class JobStarted(Event):
    """A job process is told to load the agent (first start, or a reload)."""

    TYPE: ClassVar[str] = "job_started"
    pid: int


@_event
@_frozen
class Hello(Event):
    """The active job imported the framework."""

    TYPE: ClassVar[str] = "hello"
    pid: int
    agents_version: str
    python: str


@_event
@_frozen
class JobReady(Event):
    """The agent's ``AgentSession`` has started."""

    TYPE: ClassVar[str] = "job_ready"
    pid: int | None = None
    startup: float | None = None
    phases: dict[str, float] | None = None


@_event
@_frozen
class JobExited(Event):
    """The active job ended."""

    TYPE: ClassVar[str] = "job_exited"
    pid: int
    code: int | None
    error: str | None


@_event
@_frozen
class Reload(Event):
    """A reload begins."""

    TYPE: ClassVar[str] = "reload"
    files: list[str]
    reason: str


# ---------------------------------------------------------------------------------------------
# Session (emitted by the job)


@_event
@_frozen
class Vad(Event):
    """One inference of the session's own VAD."""

    TYPE: ClassVar[str] = "vad"
    probability: float | None
    speaking: bool


@_event
@_frozen
class UserState(Event):
    """LiveKit's user state: listening, speaking, away."""

    TYPE: ClassVar[str] = "user_state"
    state: str


@_event
@_frozen
class AgentState(Event):
    """LiveKit's agent state: initializing, idle, listening, thinking, speaking."""

    TYPE: ClassVar[str] = "agent_state"
    state: str


@_event
@_frozen
class UserTranscript(Event):
    """An interim or final transcript, or a typed turn (``source="text"``)."""

    TYPE: ClassVar[str] = "user_transcript"
    text: str
    final: bool
    source: str = "stt"


@_event
@_frozen
class AgentText(Event):
    """LLM text as it streams (before TTS)."""

    TYPE: ClassVar[str] = "agent_text"
    delta: str


@_event
@_frozen
class AgentSpoken(Event):
    """Agent text paced to playback: what the user has heard so far."""

    TYPE: ClassVar[str] = "agent_spoken"
    delta: str


@_event
@_frozen
class AgentTurn(Event):
    """An agent message is committed to the history."""

    TYPE: ClassVar[str] = "agent_turn"
    text: str
    interrupted: bool


@_event
@_frozen
class AgentSpeech(Event):
    """Playback of one agent audio segment started or finished."""

    TYPE: ClassVar[str] = "agent_speech"
    state: str
    played: float | None = None
    interrupted: bool | None = None


@_event
@_frozen
class ToolStarted(Event):
    """A tool is dispatched, before its body runs."""

    TYPE: ClassVar[str] = "tool_started"
    call_id: str
    name: str
    arguments: str


@_event
@_frozen
class ToolEnded(Event):
    """A tool returned or raised."""

    TYPE: ClassVar[str] = "tool_ended"
    call_id: str
    name: str
    arguments: str
    output: str | None
    error: str | None
    duration: float | None
    mocked: bool = False
    """The tool did not run: ``--mock-tool`` or a live ``mock_tool`` gave its result."""


@_event
@_frozen
class Metrics(Event):
    """Per-turn latency figures, seconds (null where unknown)."""

    TYPE: ClassVar[str] = "metrics"
    eou_delay: float | None = None
    transcription_delay: float | None = None
    llm_ttft: float | None = None
    tts_ttfb: float | None = None
    e2e: float | None = None


@_event
@_frozen
class Audio(Event):
    """Audio engine status. ``level`` is the microphone level in dBFS (-100..0)."""

    TYPE: ClassVar[str] = "audio"
    input: str | None = None
    output: str | None = None
    muted: bool | None = None
    aec: bool | None = None
    level: float | None = None
    underruns: int | None = None
    """Speaker xruns so far (output underflows)."""
    overflows: int | None = None
    """Microphone xruns so far (input overflows)."""
    problem: str | None = None
    # barge-in / echo indicator (issue 14): None when no echo path is heard or not yet measured
    echo_db: float | None = None
    """The speaker as heard in the mic, dB relative to what was played (the echo path)."""
    erle_db: float | None = None
    """Echo return loss enhancement: how many dB echo cancellation takes off that echo."""
    canceller: str | None = None
    """Whose output the mic hands on while there is an echo path: ``"linear"`` (the linear
    canceller, which lets a user talking over the echo through) or ``"aec3"`` (WebRTC's)."""
    held: bool | None = None
    """The agent's audio is held: someone is talking over its echo (docs/audio.md)."""


@_event
@_frozen
class Room(Event):
    """Room-connect mode: connection state and participants."""

    TYPE: ClassVar[str] = "room"
    state: str
    room: str | None = None
    participants: list[str] | None = None
    who: str | None = None
    identity: str | None = None


@_event
@_frozen
class Log(Event):
    """A log record or a line of the job's stdout/stderr."""

    TYPE: ClassVar[str] = "log"
    level: str
    message: str
    logger: str | None = None
    pid: int | None = None


@_event
@_frozen
class Error(Event):
    """A session error, a rejected command, an audio problem."""

    TYPE: ClassVar[str] = "error"
    level: str
    message: str
    source: str | None = None
    where: dict[str, JSONValue] | None = None
    """The agent's own line behind the error (a :class:`Where` dict), when there is one."""


# ---------------------------------------------------------------------------------------------
# Watchdog: the agent's own mistakes (blocked loop, stuck tools)
#
# A "where" is a dict: ``file`` (relative to the agent's folder), ``path`` (absolute), ``line``,
# ``function``, ``code`` (the source line, stripped). A "stack" is a list of them, outermost
# first, trimmed of the event loop's own frames.


@_event
@_frozen
class LoopBlocked(Event):
    """The job's event loop ran nothing for ``duration`` seconds (at least).

    Sent once the block ends (``ongoing`` false), and while a long block lasts (``ongoing``
    true, ``duration`` so far). ``block`` numbers the blocks of one job, so the reports of one
    block can be told apart from the next. ``where`` is the innermost frame in the agent's own
    files (null when none was on the stack); ``stack`` the loop thread's stack, trimmed.
    """

    TYPE: ClassVar[str] = "loop_blocked"
    duration: float
    where: dict[str, JSONValue] | None
    stack: list[dict[str, JSONValue]]
    ongoing: bool = False
    block: int = 0


@_event
@_frozen
class ToolStuck(Event):
    """A tool has been running for ``elapsed`` seconds, longer than the stuck-tool threshold.

    Sent when it crosses the threshold and again when the line it waits on changes; ``where``
    is the tool's own frame it is suspended in.
    """

    TYPE: ClassVar[str] = "tool_stuck"
    call_id: str
    name: str
    elapsed: float
    where: dict[str, JSONValue] | None
    stack: list[dict[str, JSONValue]] | None = None


# ---------------------------------------------------------------------------------------------
# replay (issue 12)


@_event
@_frozen
class Recording(Event):
    """``--record`` started: sample 0 of ``audio.wav`` is at console time ``audio_start``."""

    TYPE: ClassVar[str] = "recording"
    dir: str
    audio_start: float | None = None


@_event
@_frozen
class CommandIssued(Event):
    """A front end's command that the console carried out (recorded so a replay can repeat
    the user's side): ``cmd`` is its name, ``args`` its other fields."""

    TYPE: ClassVar[str] = "command"
    cmd: str
    args: dict[str, JSONValue] | None = None


@_event
@_frozen
class ReplayStep(Event):
    """``agentconsole replay``: the player did one recorded user-side step (``kind``: ``audio``,
    ``text``, ``say``, ``interrupt``) of turn ``turn`` (0-based) of ``turns``; ``waited`` is
    how long it waited for the agent (s); ``timed_out`` when the agent never got ready."""

    TYPE: ClassVar[str] = "replay_step"
    turn: int
    turns: int
    kind: str
    waited: float
    timed_out: bool = False


# ---------------------------------------------------------------------------------------------
# Internal events (job -> console)


@_event
@_frozen
class JobError(Event):
    """The agent failed to load or start; the job exits after this."""

    TYPE: ClassVar[str] = "job_error"
    INTERNAL: ClassVar[bool] = True
    error: str
    traceback: bool
    room: bool | None = None


@_event
@_frozen
class Playback(Event):
    """A segment of agent audio: ``start``, ``flush`` (all written) or ``clear``."""

    TYPE: ClassVar[str] = "playback"
    INTERNAL: ClassVar[bool] = True
    action: str
    segment: int


@_event
@_frozen
class History(Event):
    """The session's chat context, carried over a reload."""

    TYPE: ClassVar[str] = "history"
    INTERNAL: ClassVar[bool] = True
    chat_ctx: dict[str, JSONValue]


@_event
@_frozen
class Modules(Event):
    """Modules a spare job should import ahead of the next reload."""

    TYPE: ClassVar[str] = "modules"
    INTERNAL: ClassVar[bool] = True
    names: list[str]


# ---------------------------------------------------------------------------------------------
# Agent shapes (issue 9): text mode, handoffs, tasks, uninterruptible speech, files read


@_event
@_frozen
class Mode(Event):
    """The session's output mode: text only (``text: true``) or audio."""

    TYPE: ClassVar[str] = "mode"
    text: bool
    reason: str
    turn_detection: str | None = None
    """Where the user's speech is detected: ``vad`` (a local VAD; the VAD pane draws it),
    ``model`` (inside a realtime model), or ``none``."""


@_event
@_frozen
class AgentChanged(Event):
    """The active agent changed (also at session start, with ``from`` null).

    ``from`` is a Python keyword: the field is ``from_`` here and ``from`` in JSON.
    """

    TYPE: ClassVar[str] = "agent_changed"
    from_: str | None
    to: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "from": self.from_, "to": self.to, "reason": self.reason}


@_event
@_frozen
class TaskStarted(Event):
    """An ``AgentTask`` started running."""

    TYPE: ClassVar[str] = "task_started"
    name: str


@_event
@_frozen
class TaskEnded(Event):
    """An ``AgentTask`` completed (``result`` as text) or failed (``error``)."""

    TYPE: ClassVar[str] = "task_ended"
    name: str
    result: str | None
    error: str | None


@_event
@_frozen
class AgentUninterruptible(Event):
    """An agent speech with ``allow_interruptions=False`` began (``stopped`` false), or the
    console's interrupt stopped one anyway (``stopped`` true: a forced interrupt)."""

    TYPE: ClassVar[str] = "agent_uninterruptible"
    source: str
    stopped: bool


@_event
@_frozen
class Reads(Event):
    """Files the job opened for reading (the watch filter reloads on these, not on writes)."""

    TYPE: ClassVar[str] = "reads"
    INTERNAL: ClassVar[bool] = True
    paths: list[str]


# turn timeline (issue 10)


@_event
@dataclass(frozen=True, slots=True, kw_only=True)
class Turn(Event):
    """One user turn explained: where the time went from the end of the user's speech to the
    first agent audio played. ``segments`` (``{name, start, end, setting}``, console clock)
    tile that interval, so their durations sum to ``heard_latency``."""

    TYPE: ClassVar[str] = "turn"
    id: int
    user_text: str
    reply: str
    interrupted: bool
    heard_latency: float | None
    segments: list[dict[str, JSONValue]]
    tools: list[dict[str, JSONValue]]
    usage: dict[str, JSONValue]
    start: float | None = None
    """Console time the user stopped speaking (or typed the turn)."""
    source: str = "stt"
    """``stt`` (spoken) or ``text`` (typed)."""
    eot_probability: float | None = None
    """The turn detector's last end-of-turn probability for this turn (null without one)."""
    llm_input: dict[str, JSONValue] | None = None
    """What the LLM received for this turn: ``messages`` (role, text) and ``tools`` (names,
    descriptions). Never credentials."""


@_event
@dataclass(frozen=True, slots=True, kw_only=True)
class UserAudioDiscarded(Event):
    """The VAD heard the user, but the framework withheld that audio from the STT."""

    TYPE: ClassVar[str] = "user_audio_discarded"
    reason: str
    """``aec_warmup`` (the agent's first seconds of speech) or ``uninterruptible``."""
    start: float
    end: float
    setting: str = ""
    """What owns the decision, e.g. ``aec_warmup_duration=3.0s``."""


@_event
@dataclass(frozen=True, slots=True, kw_only=True)
class EotPrediction(Event):
    """The turn detector's end-of-turn probability for the user's speech so far."""

    TYPE: ClassVar[str] = "eot_prediction"
    probability: float
    threshold: float | None = None
    delay: float | None = None


@_event
@dataclass(frozen=True, slots=True, kw_only=True)
class FalseInterruption(Event):
    """The agent stopped for user speech that turned out not to be a turn."""

    TYPE: ClassVar[str] = "false_interruption"
    resumed: bool


@_event
@dataclass(frozen=True, slots=True, kw_only=True)
class OverlappingSpeech(Event):
    """The user spoke over the agent (an interruption or a backchannel)."""

    TYPE: ClassVar[str] = "overlapping_speech"
    is_interruption: bool | None = None
    probability: float | None = None


@_event
@dataclass(frozen=True, slots=True, kw_only=True)
class Usage(Event):
    """Session totals: LLM tokens, TTS characters, STT audio seconds."""

    TYPE: ClassVar[str] = "usage"
    llm_prompt_tokens: int = 0
    llm_completion_tokens: int = 0
    llm_cached_tokens: int = 0
    tts_characters: int = 0
    stt_seconds: float = 0.0


@_event
@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechCreated(Event):
    """The agent scheduled a reply (``say`` or ``generate_reply``)."""

    TYPE: ClassVar[str] = "speech_created"
    source: str
    user_initiated: bool


@_event
@dataclass(frozen=True, slots=True, kw_only=True)
class UserTranscriptionTimeout(Event):
    """The VAD heard speech but the STT produced no transcript for it."""

    TYPE: ClassVar[str] = "user_transcription_timeout"
    speech_duration: float


@_event
@dataclass(frozen=True, slots=True, kw_only=True)
class JobClock(Event):
    """An event whose time fields are on the job's wall clock; ``clock`` is the job's wall
    time when it was sent. The console moves the times to its own clock and delivers
    ``event`` (job -> console)."""

    TYPE: ClassVar[str] = "job_clock"
    INTERNAL: ClassVar[bool] = True
    event: dict[str, JSONValue]
    clock: float


# live settings (issue 15)


@_event
@_frozen
class Settings(Event):
    """The session's turn-taking settings as the framework has them, at start and after each
    change. ``values``: framework parameter name -> value; ``overridden``: the names the console
    set (they outlive a reload until reset); ``code``: the constructor arguments to paste."""

    TYPE: ClassVar[str] = "settings"
    values: dict[str, JSONValue]
    overridden: list[str]
    code: list[str] | None = None


# ---------------------------------------------------------------------------------------------
# Commands


@_command
@_frozen
class Say(Command):
    """The agent speaks the text (``session.say``)."""

    CMD: ClassVar[str] = "say"
    text: str


@_command
@_frozen
class UserText(Command):
    """The text is the user's turn."""

    CMD: ClassVar[str] = "user_text"
    text: str


@_command
@_frozen
class Interrupt(Command):
    """Stop the agent now."""

    CMD: ClassVar[str] = "interrupt"


@_command
@_frozen
class ReloadCmd(Command):
    """Restart the job with the current code, keeping the conversation."""

    CMD: ClassVar[str] = "reload"


@_command
@_frozen
class Mute(Command):
    """The microphone sends silence (or not)."""

    CMD: ClassVar[str] = "mute"
    on: bool


@_command
@_frozen
class Quit(Command):
    """Stop every job and exit."""

    CMD: ClassVar[str] = "quit"


@_command
@_frozen
class Start(Command):
    """Load the agent file and start its session (console -> job)."""

    CMD: ClassVar[str] = "start"
    INTERNAL: ClassVar[bool] = True
    agent_file: str
    history: dict[str, JSONValue] | None = None
    log_level: str = "info"
    room: dict[str, JSONValue] | None = None
    mock_tools: dict[str, JSONValue] | None = None
    """Tool name -> the JSON value it returns instead of running (``--mock-tool``)."""
    settings: dict[str, JSONValue] | None = None
    """Live-settings overrides to apply before the session starts (issue 15)."""
    # agent shapes (issue 9)
    deployment: dict[str, JSONValue] | None = None
    answer_pending: bool = True


@_command
@_frozen
class Shutdown(Command):
    """Close the session and exit (console -> job)."""

    CMD: ClassVar[str] = "shutdown"
    INTERNAL: ClassVar[bool] = True


@_command
@_frozen
class Playout(Command):
    """Segment ``segment`` was heard in full or cut after ``played`` seconds (console -> job)."""

    CMD: ClassVar[str] = "playout"
    INTERNAL: ClassVar[bool] = True
    segment: int
    played: float
    interrupted: bool


# replay (issue 12)


@_command
@_frozen
class MockTool(Command):
    """From now on tool ``name`` returns ``output`` (a JSON value) without running; with
    ``clear``, it runs again."""

    CMD: ClassVar[str] = "mock_tool"
    name: str
    output: JSONValue = None
    clear: bool = False


# ---------------------------------------------------------------------------------------------
# Agent shapes (issue 9)


@_command
@_frozen
class ModeCmd(Command):
    """Switch the session to text only (``text: true``) or back to audio."""

    CMD: ClassVar[str] = "mode"
    text: bool


# ---------------------------------------------------------------------------------------------
# Watchdog commands


@_command
@_frozen
class CancelTool(Command):
    """Cancel a running tool call (its task gets ``CancelledError``)."""

    CMD: ClassVar[str] = "cancel_tool"
    call_id: str


# live settings (issue 15)


@_command
@_frozen
class Set(Command):
    """Change one turn-taking setting of the running session, by the framework's name; kept as
    an override (re-applied after a reload) until reset."""

    CMD: ClassVar[str] = "set"
    name: str
    value: JSONValue


@_command
@_frozen
class Reset(Command):
    """Drop an override (``name``), or all of them (no ``name``): the code's value applies."""

    CMD: ClassVar[str] = "reset"
    name: str | None = None
