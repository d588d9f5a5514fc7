"""SessionBridge: the console singleton the framework asks for IO, and the event translator.

``AgentSession.start()`` calls ``acquire_io(loop=, session=)`` on the console singleton; the
bridge attaches the wire audio, the text taps and the session's event listeners there, and
turns everything the session does into protocol events.
"""

from __future__ import annotations

import logging
import pathlib
import time
from collections.abc import Callable
from typing import Any

from .. import events as ev_
from ..wire import Connection
from . import coverage
from .io import TextTap, WireAudioInput, WireAudioOutput, input_rate
from .resume import ToolItems
from .timeline import ROOM_SEGMENT, TurnTimeline

__all__ = ["SessionBridge"]

log = logging.getLogger("agentconsole.job")

Emit = Callable[[ev_.Event], None]
"""``emit(event)``: send one event to the console."""


def _seconds(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


def _created_gap(call: Any, output: Any) -> float | None:
    """Tool duration from the items' timestamps, where no start event was seen."""
    begin = _seconds(getattr(call, "created_at", None))
    end = _seconds(getattr(output, "created_at", None))
    return None if begin is None or end is None else round(max(0.0, end - begin), 4)


def _tool_span(
    call: Any, output: Any, started: float | None, ended: float
) -> tuple[str, float, float]:
    """``(name, start, end)`` of one tool on the wall clock (``time.time()``)."""
    if started is not None:
        offset = time.time() - time.monotonic()
        return call.name, started + offset, ended + offset
    begin = _seconds(getattr(call, "created_at", None)) or time.time()
    end = _seconds(getattr(output, "created_at", None)) or begin
    return call.name, begin, max(begin, end)


class SessionBridge:
    """Duck-typed ``AgentsConsole``: what ``AgentSession.start`` and ``JobContext`` read.

    The private attributes the framework also reads on its console are set by
    ``framework.install_console``."""

    def __init__(self, conn: Connection, emit: Emit) -> None:
        self._conn = conn
        self._emit = emit
        self.enabled = True
        self.record = False
        self.console_mode = "audio"
        self.session_directory = pathlib.Path("console-recordings")
        self.session: Any | None = None
        self.audio_input: WireAudioInput | None = None
        self.audio_output: WireAudioOutput | None = None
        self._tool_started: dict[str, float] = {}
        self._tool_ended: dict[str, float] = {}
        self._user_metrics: dict[str, Any] = {}
        self._agent_text_open = False
        self.mocked: set[str] = set()
        """Names of the tools that return a mock value (their ``tool_ended`` says so)."""
        self._tool_items = ToolItems()
        self.timeline = TurnTimeline(self._emit)

    def install_taps(self) -> None:
        """Framework taps the turn timeline needs (user frames withheld, turn detector)."""
        from . import framework

        timeline = self.timeline
        framework.tap_push_audio(lambda activity, reason: timeline.on_user_frame(reason))
        framework.tap_eot(timeline.on_eot)

    # -- the framework's console interface ------------------------------------------------

    @property
    def io_acquired(self) -> bool:
        """True once a session took the console's IO (one session per job)."""
        return self.session is not None

    def acquire_io(self, *, loop: Any, session: Any) -> None:
        """Attach the wire audio and text taps to ``session`` and subscribe to its events."""
        from livekit.agents.voice.transcription import TranscriptSynchronizer

        if self.session is not None:
            raise RuntimeError("agentconsole hosts one AgentSession per job")
        self.session = session
        self.audio_input = WireAudioInput(input_rate(session))
        self.audio_output = WireAudioOutput(self._conn)
        self.audio_output.on_segment_start = self.timeline.on_playback_start
        spoken = TextTap(on_text=lambda text: self._emit(ev_.AgentSpoken(delta=text)))
        sync = TranscriptSynchronizer(
            next_in_chain_audio=self.audio_output, next_in_chain_text=spoken
        )
        session.input.audio = self.audio_input
        session.output.audio = sync.audio_output
        session.output.transcription = TextTap(
            on_text=self._on_agent_text,
            on_flush=self._on_agent_flush,
            next_in_chain=sync.text_output,
        )
        self._subscribe(session)

    # -- room-connect mode: RoomIO carries the audio, the bridge only observes ------------------

    def observe(self, session: Any) -> None:
        """Room mode (``enabled`` is False): listen to ``session`` without taking its IO.
        Called before ``AgentSession.start``; only the first session is observed."""
        if self.session is not None:
            return
        self.session = session
        self._subscribe(session)

    def tap_room_text(self, session: Any) -> None:
        """Room mode, after ``AgentSession.start``: put a text tap in front of RoomIO's
        transcription output (``agent_text``), and report playback of the room's audio
        output as ``agent_speech``."""
        if self.session is None or id(session) != id(self.session):
            return
        current = session.output.transcription
        if not isinstance(current, TextTap):
            session.output.transcription = TextTap(
                on_text=self._on_agent_text,
                on_flush=self._on_agent_flush,
                next_in_chain=current,
            )
        audio = session.output.audio
        if audio is not None:

            def on_started(ev: Any) -> None:
                self._emit(ev_.AgentSpeech(state="started"))
                # no local playout in room mode: a turn ends with the audio sent to the room
                self.timeline.on_playback_start(ROOM_SEGMENT)

            audio.on("playback_started", on_started)
            audio.on(
                "playback_finished",
                lambda ev: self._emit(
                    ev_.AgentSpeech(
                        state="finished",
                        played=round(float(getattr(ev, "playback_position", 0.0)), 3),
                        interrupted=bool(getattr(ev, "interrupted", False)),
                    )
                ),
            )

    # -- session events ---------------------------------------------------------------------

    def _subscribe(self, session: Any) -> None:
        emit = self._emit
        session.on("user_state_changed", lambda ev: emit(ev_.UserState(state=ev.new_state)))
        session.on("agent_state_changed", self._on_agent_state)
        session.on(
            "user_input_transcribed",
            lambda ev: emit(
                ev_.UserTranscript(text=ev.transcript, final=bool(ev.is_final), source="stt")
            ),
        )
        session.on("conversation_item_added", self._on_item_added)
        session.on("function_tools_executed", self._on_tools_executed)
        session.on("error", self._on_error)
        session.on("close", self._on_close)
        try:
            session.on("tool_execution_updated", self._on_tool_update)
        except ValueError:  # older livekit-agents: tools are only seen after the batch
            pass
        self._subscribe_timeline(session)

    def _subscribe_timeline(self, session: Any) -> None:
        """The session events of the turn timeline (issue 10); see ``coverage.COVERAGE``."""
        timeline = self.timeline
        timeline.attach(session)
        handlers: dict[str, Callable[[Any], None]] = {
            "user_transcription_timeout": timeline.on_transcription_timeout,
            "agent_false_interruption": timeline.on_false_interruption,
            "overlapping_speech": timeline.on_overlapping_speech,
            "metrics_collected": lambda ev: timeline.on_metrics(ev.metrics),
            "speech_created": timeline.on_speech_created,
        }
        from . import framework

        for name, handler in handlers.items():
            assert name in coverage.COVERAGE, name
            framework.listen(session, name, handler)

    def _on_agent_state(self, ev: Any) -> None:
        self._emit(ev_.AgentState(state=ev.new_state))
        self.timeline.on_agent_state(str(ev.new_state))

    def _on_agent_text(self, text: str) -> None:
        self._agent_text_open = True
        self.timeline.on_agent_text()
        self._emit(ev_.AgentText(delta=text))

    def _on_agent_flush(self) -> None:
        self._agent_text_open = False

    def _on_item_added(self, ev: Any) -> None:
        item = ev.item
        role = getattr(item, "role", None)
        if role == "user":
            self._user_metrics = dict(getattr(item, "metrics", None) or {})
            self.timeline.on_user_item(item)
        elif role == "assistant":
            self._emit(
                ev_.AgentTurn(
                    text=item.text_content or "",
                    interrupted=bool(getattr(item, "interrupted", False)),
                )
            )
            self.timeline.on_agent_item(
                item.text_content or "", bool(getattr(item, "interrupted", False))
            )
            self._emit_metrics(dict(getattr(item, "metrics", None) or {}))
        self.emit_history()

    def _emit_metrics(self, agent: dict[str, Any]) -> None:
        user, self._user_metrics = self._user_metrics, {}
        # the framework's MetricsReport names on the right, the contract's on the left
        figures = ev_.Metrics(
            eou_delay=_seconds(user.get("end_of_turn_delay")),
            transcription_delay=_seconds(user.get("transcription_delay")),
            llm_ttft=_seconds(agent.get("llm_node_ttft")),
            tts_ttfb=_seconds(agent.get("tts_node_ttfb")),
            e2e=_seconds(agent.get("e2e_latency")),
        )
        if figures != ev_.Metrics():
            self._emit(figures)

    def _on_tool_update(self, ev: Any) -> None:
        update = ev.update
        kind = getattr(update, "type", "")
        if kind == "tool_call_started":
            call = update.function_call
            self._tool_started[call.call_id] = time.monotonic()
            self._emit(
                ev_.ToolStarted(call_id=call.call_id, name=call.name, arguments=call.arguments)
            )
        elif kind == "tool_call_ended":
            self._tool_ended[update.call_id] = time.monotonic()

    def tool_started_at(self, call_id: str) -> float | None:
        """When the tool call started (monotonic), if its start was seen."""
        return self._tool_started.get(call_id)

    def _on_tools_executed(self, ev: Any) -> None:
        now = time.monotonic()
        self._tool_items.add(ev.function_calls, ev.function_call_outputs)
        ran: list[tuple[str, float, float]] = []
        for call, output in zip(ev.function_calls, ev.function_call_outputs, strict=False):
            started = self._tool_started.pop(call.call_id, None)
            ran.append(_tool_span(call, output, started, self._tool_ended.get(call.call_id, now)))
            if started is None:
                # No start event on this framework version: report it now, so every consumer
                # sees tool_started before tool_ended (the only place this fallback lives).
                self._emit(
                    ev_.ToolStarted(call_id=call.call_id, name=call.name, arguments=call.arguments)
                )
            ended = self._tool_ended.pop(call.call_id, now)
            failed = output is not None and bool(getattr(output, "is_error", False))
            text = None if output is None else str(output.output)
            self._emit(
                ev_.ToolEnded(
                    call_id=call.call_id,
                    name=call.name,
                    arguments=call.arguments,
                    output=None if failed else text,
                    error=text if failed else None,
                    duration=round(ended - started, 4)
                    if started is not None
                    else _created_gap(call, output),
                    mocked=call.name in self.mocked,
                )
            )
        self.timeline.on_tools(ran)
        self.emit_history()

    def _on_error(self, ev: Any) -> None:
        error = getattr(ev, "error", ev)
        recoverable = bool(getattr(error, "recoverable", False))
        self._emit(
            ev_.Error(
                level="warning" if recoverable else "error",
                message=f"{type(error).__name__}: {getattr(error, 'error', None) or error}",
                source=type(getattr(ev, "source", None)).__name__,
            )
        )

    def _on_close(self, ev: Any) -> None:
        self.timeline.finish()
        reason = getattr(ev, "reason", "")
        self._emit(
            ev_.Log(level="info", logger="agentconsole", message=f"session closed: {reason}")
        )

    # -- history ----------------------------------------------------------------------------

    def emit_history(self) -> None:
        """Send the chat history, so a reloaded job can carry the conversation on."""
        if self.session is None:
            return
        try:
            # the frame is encoded before anything is written: a history that is not JSON
            # (a plugin's exotic item) is refused here whole, and the session goes on
            history = self._tool_items.complete(self.session.history)
            self._emit(ev_.History(chat_ctx=history.to_dict(exclude_timestamp=False)))
        except (TypeError, ValueError) as exc:
            log.debug("history not serialisable: %s", exc)
