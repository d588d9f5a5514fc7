"""The Textual application: renders the session state and sends keyboard commands to the host.

Events arrive through :meth:`AgentConsoleApp.feed_event` from any thread (the supervisor's io
thread, at up to thousands per second). They go into a lock-free inbox; one ``EventsPending``
message wakes the app, which drains the inbox at most ~30 times a second (at once when a VAD
inference is waiting: :data:`URGENT_GAP`), folds the batch into
:class:`~agentconsole.state.SessionState` and redraws only the parts that changed.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input

from agentconsole.app.inspector import InspectorScreen
from agentconsole.app.keys import KEYS
from agentconsole.app.messages import EventsPending
from agentconsole.app.screens import CancelToolScreen, HelpScreen
from agentconsole.state import CommandSink, ConsoleInfo, Item, SessionState, ToolCall, where_text
from agentconsole.widgets import (
    ConversationView,
    HeaderBar,
    KeyFooter,
    LatencyPanel,
    LogsPane,
    SessionPanel,
    SettingsPanel,
    ToolCard,
    VadGraph,
)
from agentconsole.widgets.waterfall import Waterfall

__all__ = ["FRAME_INTERVAL", "AgentConsoleApp"]

FRAME_INTERVAL = 1 / 30
"""Shortest time between two redraws caused by events (seconds)."""
URGENT_GAP = 0.005
"""Shortest time between a frame and one caused by a VAD inference (seconds). VAD inferences
come about 30 times a second, each its own frame as soon as it arrives: waiting for the next
:data:`FRAME_INTERVAL` tick (up to 33 ms while text streams) was most of the VAD view's lag."""
CONVERSATION_INTERVAL = 0.1
"""Shortest time between two conversation updates: re-wrapping streamed text and relaying the
pane is the costly part of a frame, so it runs at 10 Hz while the VAD graph keeps 30 Hz."""
FLOOD_INTERVAL = 0.3
"""The same while text streams faster than anyone reads (:data:`FLOOD_CHARS_PER_S`): each
update then scrolls the whole pane, and at 10 Hz those frames would hold back the VAD graph."""
FLOOD_CHARS_PER_S = 3000
"""Agent text per second (over the last :data:`FLOOD_WINDOW`) above which the conversation
updates at :data:`FLOOD_INTERVAL`: about 500 tokens/s, ten times what LLMs stream."""
FLOOD_WINDOW = 0.3
MAX_NOTICES_PER_FRAME = 3

PROMPTS = {
    "say": ("Say", "the agent speaks this text"),
    "user_text": ("Type as the user", "sent as a user turn"),
}


class AgentConsoleApp(App[int]):
    """The agentconsole TUI.

    Args:
        host: Receives commands (``{"cmd": ...}``); must be thread-safe and never block.
        info: What the console was started with (shown in the header).
        clock: Monotonic seconds; drives the spinner and elapsed times between events.
            Tests pass a frozen clock so snapshots do not animate.
        theme: Textual theme name (the command palette can change it).
    """

    CSS_PATH = "agentconsole.tcss"
    TITLE = "agentconsole"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(k.key, k.action, k.label, show=k.footer, key_display=k.shown, priority=k.priority)
        for k in KEYS
        if k.action is not None
    ]
    """Built from :data:`~agentconsole.app.keys.KEYS` (``docs/keys.md``)."""

    def __init__(
        self,
        host: CommandSink,
        info: ConsoleInfo,
        *,
        clock: Callable[[], float] = time.monotonic,
        theme: str = "tokyo-night",
    ) -> None:
        super().__init__()
        self.theme = theme
        self.host = host
        self.info = info
        self.state = SessionState(info)
        self._clock = clock
        self._inbox: deque[dict[str, Any]] = deque()
        self._wake_pending = False
        self._vad_pending = False
        self._accepting = False
        self._leaving = False
        """Set once the app is on its way out (``exit``, unmount): nothing more is painted."""
        self._last_drain = 0.0
        self._drain_timer: Timer | None = None
        self._drain_due = 0.0
        self._clock_at_event = clock()
        self._log_seen = 0
        self._notice_seen = 0
        self._prompt_mode: str | None = None
        self._spinner: Timer | None = None
        self._pending_items: dict[int, Item] = {}
        self._conversation_due: Timer | None = None
        self._last_conversation = 0.0
        self._text_arrivals: deque[tuple[float, int]] = deque()
        self._text_in_window = 0
        self.drains = 0
        """Number of inbox drains (frames caused by events)."""
        self.mocked_tools: set[str] = set()
        """Tools mocked live with ``k`` on their card."""

    # --- event intake (any thread) ----------------------------------------------------------

    def feed_event(self, ev: dict[str, Any]) -> None:
        """Queue one event for display. Thread-safe, never blocks; fine before the app runs."""
        self._inbox.append(ev)
        if ev.get("type") == "vad" and not self._vad_pending:
            # the live VAD view does not wait for the next frame (see URGENT_GAP)
            self._vad_pending = True
            if self._accepting:
                self.post_message(EventsPending(urgent=True))
            return
        if not self._wake_pending:
            # A benign race: at worst two wake-ups, and the second finds an empty inbox.
            self._wake_pending = True
            if self._accepting:
                self.post_message(EventsPending())

    def feed_events(self, events: Iterable[dict[str, Any]]) -> None:
        """Queue several events."""
        for ev in events:
            self.feed_event(ev)

    @property
    def caught_up(self) -> bool:
        """Every event fed so far is folded into the state and handed to the widgets (no
        drain and no throttled conversation update pending). Tests wait on it."""
        return (
            self._accepting
            and not self._inbox
            and not self._wake_pending
            and not self._vad_pending
            and self._conversation_due is None
            and not self._pending_items
        )

    # --- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield HeaderBar(id="header")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                conversation = ConversationView(id="conversation")
                conversation.border_title = "Conversation"
                yield conversation
                yield LogsPane(id="logs")
            with Vertical(id="right"):
                with Vertical(id="vad-box", classes="box") as vad_box:
                    vad_box.border_title = "Voice activity"
                    vad_box.border_subtitle = "threshold 0.5"
                    yield VadGraph(id="vad")
                # The panels under the graph in a box of their own: Textual repaints every
                # widget whose parent's region meets a changed region, and the graph changes
                # up to 30 times a second; so its repaints leave these panels alone.
                with Vertical(id="panels"):
                    with Vertical(id="session-box", classes="box") as session_box:
                        session_box.border_title = "Session"
                        yield SessionPanel(id="session")
                    with Vertical(id="latency-box", classes="box") as latency_box:
                        latency_box.border_title = "Latency"
                        yield LatencyPanel(id="latency")
                    with Vertical(id="turn-box", classes="box") as turn_box:
                        turn_box.border_title = "Turn"
                        turn_box.border_subtitle = "↑↓ or click a turn · c: LLM input"
                        yield Waterfall(id="waterfall")
                    with Vertical(id="settings-box", classes="box") as settings_box:
                        settings_box.border_title = "Settings"
                        settings_box.border_subtitle = "←→ change · x reset"
                        yield SettingsPanel(id="settings")
        with Vertical(id="prompt-bar"):
            yield Input(id="prompt")
        yield KeyFooter()

    def on_resize(self) -> None:
        """Below 120 columns the footer goes compact and drops the palette key (ctrl+p still
        works), so it keeps every key of the app up to Quit at 80 columns."""
        narrow = self.size.width < 120
        try:
            footer = self.query_one(Footer)
            # a short terminal: the settings panel also takes the session panel's place
            self.query_one("#right").set_class(self.size.height < 34, "-short")
        except NoMatches:
            return
        footer.compact = narrow
        footer.show_command_palette = not narrow

    def on_mount(self) -> None:
        self._spinner = self.set_interval(0.1, self._tick_spinner, pause=True)
        self._render_header()
        self._render_states()
        self.query_one(ConversationView).focus()
        self._accepting = True
        # Events fed before the app ran are waiting; so may be a wake-up flag.
        self._drain()

    def exit(
        self, result: int | None = None, return_code: int = 0, message: Any | None = None
    ) -> None:
        """Leave the app (Textual's ``App.exit``); events that still arrive are dropped."""
        self._leaving = True
        super().exit(result, return_code, message)

    def on_unmount(self) -> None:
        self._leaving = True

    # --- draining ---------------------------------------------------------------------------

    @on(EventsPending)
    def _on_events_pending(self, message: EventsPending) -> None:
        gap = URGENT_GAP if message.urgent else FRAME_INTERVAL
        delay = self._last_drain + gap - time.monotonic()
        if delay > 0.002:
            # Too soon after the last frame: wait for the next one (the flag stays set, so
            # no more wake-ups are posted meanwhile). One waiting frame at most.
            due = self._last_drain + gap
            if self._drain_timer is None or due < self._drain_due:
                if self._drain_timer is not None:
                    self._drain_timer.stop()
                self._drain_timer, self._drain_due = self.set_timer(delay, self._drain), due
        else:
            self._drain()

    def _drain(self) -> None:
        self._wake_pending = False
        self._vad_pending = False
        if self._drain_timer is not None:  # this frame takes what it was waiting for
            self._drain_timer.stop()
            self._drain_timer = None
        if self._leaving or not self.is_running:
            return  # events still arrive while the app shuts down: its widgets may be gone
        inbox = self._inbox
        batch: list[dict[str, Any]] = []
        while inbox:
            batch.append(inbox.popleft())
        self._last_drain = time.monotonic()
        if not batch:
            return
        self.drains += 1
        self._count_text(batch)
        before = self.state.now
        self.state.apply_many(batch)
        if self.state.now > before:
            self._clock_at_event = self._clock()
        try:
            self._render_changes()
        except NoMatches:
            pass  # the screen is being torn down (quitting): nothing left to paint

    def _render_changes(self) -> None:
        changes = self.state.take_changes()
        parts = changes.parts
        if "conversation" in parts:
            for item in changes.items:
                self._pending_items[item.id] = item
            self._schedule_conversation()
        if "vad" in parts:
            graph = self.query_one(VadGraph)
            state = self.state
            note = ""
            if state.turn_detection == "model":
                note = "turn detection runs in the realtime model (no local VAD)"
            elif state.text_mode:
                note = "text mode: the microphone is not listened to (ctrl+t: audio)"
            graph.set_note(note, state.vad_has_probability)
            graph.set_samples(state.vad, state.now, state.gaps)
        if "states" in parts:
            self._render_states()
        if "latency" in parts:
            self._render_latency()
        if "turns" in parts:
            self._render_turns()
        if "header" in parts:
            self._render_header()
        if "logs" in parts:
            self._render_logs()
        if "notices" in parts:
            self._render_notices()
        if "settings" in parts:
            self._render_settings()

    def _render_settings(self) -> None:
        state = self.state
        self.query_one(SettingsPanel).update_settings(
            state.settings, state.overridden, state.settings_code
        )
        threshold = state.settings.get("activation_threshold")
        if isinstance(threshold, int | float):
            self.query_one(VadGraph).set_threshold(float(threshold))
            self.query_one("#vad-box").border_subtitle = f"threshold {threshold:g}"

    def _count_text(self, batch: list[dict[str, Any]]) -> None:
        """Keep the agent text that arrived over the last :data:`FLOOD_WINDOW` seconds."""
        chars = sum(len(e.get("delta") or "") for e in batch if e.get("type") == "agent_text")
        if chars:
            self._text_arrivals.append((time.monotonic(), chars))
            self._text_in_window += chars

    def _text_recently(self) -> int:
        arrivals, since = self._text_arrivals, time.monotonic() - FLOOD_WINDOW
        while arrivals and arrivals[0][0] < since:
            self._text_in_window -= arrivals.popleft()[1]
        return self._text_in_window

    @property
    def conversation_interval(self) -> float:
        """Seconds between two conversation updates now: :data:`CONVERSATION_INTERVAL`, or
        :data:`FLOOD_INTERVAL` while agent text floods in."""
        flooded = self._text_recently() > FLOOD_CHARS_PER_S * FLOOD_WINDOW
        return FLOOD_INTERVAL if flooded else CONVERSATION_INTERVAL

    def _schedule_conversation(self) -> None:
        if self._conversation_due is not None:
            return  # already scheduled; the pending items ride along
        delay = self._last_conversation + self.conversation_interval - time.monotonic()
        if delay > 0.002:
            self._conversation_due = self.set_timer(delay, self._sync_conversation)
        else:
            self._sync_conversation()

    def _sync_conversation(self) -> None:
        self._conversation_due = None
        self._last_conversation = time.monotonic()
        items = sorted(self._pending_items.values(), key=lambda item: item.id)
        self._pending_items.clear()
        try:
            conversation = self.query_one(ConversationView)
        except NoMatches:  # the timer fired while the screen was torn down (quitting)
            return
        conversation.sync(items, self._event_now(), self._frame())
        if self._spinner is not None:
            if conversation.has_running_tools:
                self._spinner.resume()
            else:
                self._spinner.pause()

    def _event_now(self) -> float:
        """Event time now: the newest event's ``t`` plus the clock time since it arrived."""
        now: float = self.state.now
        return now + max(self._clock() - self._clock_at_event, 0.0)

    def _frame(self) -> int:
        return int(self._clock() * 10)

    def _tick_spinner(self) -> None:
        conversation = self.query_one(ConversationView)
        conversation.tick(self._event_now(), self._frame())
        if not conversation.has_running_tools and self._spinner is not None:
            self._spinner.pause()

    def _render_states(self) -> None:
        audio = self.state.audio
        self.query_one(SessionPanel).update_state(
            level=audio.level,
            muted=audio.muted,
            user_state=self.state.user_state,
            agent_state=self.state.agent_state,
            problem=audio.problem,
            mic=(audio.input if audio.reported else self.info.input_device) is not None,
            echo=(audio.aec, audio.echo_db, audio.erle_db, audio.canceller),
            held=audio.held,
        )

    def _render_latency(self) -> None:
        state = self.state
        self.query_one(LatencyPanel).update_latency(
            state.last_latency, len(state.latency), state.latency_percentile
        )
        box = self.query_one("#latency-box")
        turns = len(state.latency)
        box.border_subtitle = f"{turns} turn{'s' if turns != 1 else ''} · p50/p95 of the session"

    def _selected_turn(self) -> tuple[Any, bool]:
        """The turn the waterfall and inspector show, and whether the user picked it."""
        turns = self.state.turns
        selected = self.query_one(ConversationView).selected
        if selected is not None:
            return turns.by_item(selected), True
        return (turns.turns[-1] if turns.turns else None), False

    def _render_turns(self) -> None:
        turns = self.state.turns
        self.query_one(VadGraph).set_overlays(
            [(d.start, d.end) for d in turns.discards],
            turns.eot,
            [(m.t, m.kind) for m in turns.marks],
        )
        self.query_one(VadGraph).set_samples(self.state.vad, self.state.now, self.state.gaps)
        turn, selected = self._selected_turn()
        self.query_one(Waterfall).show(
            turn,
            selected=selected,
            percentile=turns.segment_percentile,
            session_usage=turns.usage,
        )

    @on(ConversationView.TurnSelected)
    def _on_turn_selected(self, _: ConversationView.TurnSelected) -> None:
        self._render_turns()

    def action_inspect(self) -> None:
        """Show what the LLM got for the selected (or latest) turn."""
        if not isinstance(self.screen, InspectorScreen):
            self.push_screen(InspectorScreen(self._selected_turn()[0]))

    def _render_header(self) -> None:
        state = self.state
        info = self.info
        self.query_one(HeaderBar).update_header(
            agent_file=info.agent_file,
            mode=info.mode,
            room=info.room,
            job_state=state.job_state,
            pid=state.job_pid,
            input_device=state.audio.input if state.audio.reported else info.input_device,
            output_device=state.audio.output if state.audio.reported else info.output_device,
            agents_version=state.agents_version,
            muted=state.audio.muted,
            recording=info.record_dir is not None,
            text_mode=state.text_mode,
            active_agent=state.active_agent,
        )

    def _render_logs(self) -> None:
        state = self.state
        new = state.log_total - self._log_seen
        self._log_seen = state.log_total
        logs = self.query_one(LogsPane)
        if not logs.has_class("-shown") or new <= 0:
            return
        recent = list(state.logs)[-min(new, len(state.logs)) :]
        logs.add(recent)

    def _render_notices(self) -> None:
        state = self.state
        new = state.notice_total - self._notice_seen
        self._notice_seen = state.notice_total
        recent = list(state.notices)[-min(new, len(state.notices)) :] if new > 0 else []
        for notice in recent[-MAX_NOTICES_PER_FRAME:]:
            warn = notice.level in ("WARNING", "WARN")
            self.notify(
                notice.message,
                title=notice.level.lower(),
                severity="warning" if warn else "error",
                timeout=6,
            )
        if len(recent) > MAX_NOTICES_PER_FRAME:
            more = len(recent) - MAX_NOTICES_PER_FRAME
            self.notify(f"{more} more errors (see logs: l)", severity="error", timeout=6)

    # --- commands ---------------------------------------------------------------------------

    def send(self, cmd: dict[str, Any]) -> None:
        """Send a command to the host; a failing host is reported, never fatal."""
        try:
            self.host.command(cmd)
        except Exception as exc:  # the UI must survive a broken host
            self.notify(f"command {cmd.get('cmd')!r} failed: {exc}", severity="error")

    def action_interrupt(self) -> None:
        """Interrupt the agent."""
        self.send({"cmd": "interrupt"})

    def action_mock_tool(self) -> None:
        """On a selected tool card: from now on the tool returns this card's result without
        running (``mock_tool``); again: it runs for real again."""
        from agentconsole.widgets import ToolCard

        card = self.focused
        call = card.call if isinstance(card, ToolCard) else None
        if call is None:
            self.notify("select a tool card first (tab)", timeout=3)
            return
        if call.name in self.mocked_tools:
            self.mocked_tools.discard(call.name)
            self.send({"cmd": "mock_tool", "name": call.name, "clear": True})
            self.notify(f"{call.name} runs for real again", timeout=4)
        elif call.running or call.error is not None:
            self.notify("only a finished call's result can be reused", timeout=3)
        else:
            self.mocked_tools.add(call.name)
            self.send({"cmd": "mock_tool", "name": call.name, "output": call.output})
            self.notify(f"{call.name} now returns this result (k again: run it)", timeout=4)

    def action_toggle_text_mode(self) -> None:
        """Switch the session between text mode and audio mode."""
        self.send({"cmd": "mode", "text": not self.state.text_mode})

    def action_reload(self) -> None:
        """Reload the agent now."""
        self.send({"cmd": "reload"})

    def action_toggle_mute(self) -> None:
        """Mute or unmute the microphone."""
        on = not self.state.audio.muted
        self.send({"cmd": "mute", "on": on})
        self.state.set_muted(on)
        self._render_changes()

    def action_toggle_logs(self) -> None:
        """Show or hide the logs pane."""
        logs = self.query_one(LogsPane)
        shown = not logs.has_class("-shown")
        logs.set_class(shown, "-shown")
        if shown:
            self._log_seen = self.state.log_total
            logs.set_min_level(logs.min_level, self.state.logs)

    def action_toggle_settings(self) -> None:
        """Show or hide the live settings panel (it takes the latency panel's place)."""
        right = self.query_one("#right")
        shown = not right.has_class("-settings")
        right.set_class(shown, "-settings")
        if shown:
            # focus once the panel is displayed (a hidden widget cannot take the focus)
            self.call_after_refresh(self.query_one(SettingsPanel).focus)
        else:
            self.query_one(ConversationView).focus()

    @on(SettingsPanel.Changed)
    def _on_setting_changed(self, event: SettingsPanel.Changed) -> None:
        self.send({"cmd": "set", "name": event.name, "value": event.value})

    @on(SettingsPanel.Reset)
    def _on_setting_reset(self, event: SettingsPanel.Reset) -> None:
        self.send({"cmd": "reset", "name": event.name})

    def action_log_level(self) -> None:
        """Cycle the logs pane's minimum level."""
        logs = self.query_one(LogsPane)
        level = logs.cycle_level(self.state.logs)
        self.notify(f"logs: {level} and above", timeout=2)

    def action_help(self) -> None:
        """Show the keys."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        """Tell the host to quit, then leave with return code 0."""
        self.send({"cmd": "quit"})
        self.exit(0, return_code=0)

    def action_prompt(self, mode: str) -> None:
        """Open the input line: ``say`` (agent speaks it) or ``user_text`` (a user turn)."""
        title, hint = PROMPTS.get(mode, PROMPTS["user_text"])
        self._prompt_mode = mode
        bar = self.query_one("#prompt-bar")
        bar.border_title = title
        bar.border_subtitle = f"{hint} · enter sends · esc leaves"
        bar.add_class("-open")
        prompt = self.query_one("#prompt", Input)
        prompt.placeholder = "what the agent should say" if mode == "say" else "type as the user"
        prompt.focus()

    def action_close_prompt(self) -> None:
        """Leave the input line without sending (or close the settings panel)."""
        if self._prompt_mode is None and self.query_one("#right").has_class("-settings"):
            self.action_toggle_settings()
            return
        self._close_prompt()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_prompt":
            return self._prompt_mode is not None or self.query_one("#right").has_class("-settings")
        if action == "log_level":
            shown: bool = self.query_one(LogsPane).has_class("-shown")
            return shown
        return True

    @on(ToolCard.CancelRequested)
    def _on_cancel_requested(self, event: ToolCard.CancelRequested) -> None:
        self.ask_cancel_tool(event.call)

    def ask_cancel_tool(self, call: ToolCall) -> None:
        """Ask whether to cancel the running tool ``call``; send ``cancel_tool`` on yes."""
        elapsed = max(self._event_now() - call.t, 0.0)
        detail = f"for {elapsed:.0f} s"
        if call.stuck_where:
            detail += f", waiting at {where_text(call.stuck_where)}"

        def answered(yes: bool | None) -> None:
            if yes and call.running:
                self.send({"cmd": "cancel_tool", "call_id": call.call_id})

        self.push_screen(CancelToolScreen(call.name, detail), answered)

    def action_cancel_tool(self) -> None:
        """Ask to cancel the oldest running tool (stuck ones first)."""
        running = [item for item in self.state.items if isinstance(item, ToolCall) and item.running]
        if not running:
            self.notify("no tool is running", timeout=2)
            return
        running.sort(key=lambda call: (not call.stuck, call.t))
        self.ask_cancel_tool(running[0])

    @on(Input.Submitted, "#prompt")
    def _on_prompt_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        mode = self._prompt_mode
        if text and mode is not None:
            self.send({"cmd": mode, "text": text})
        self._close_prompt()

    def _close_prompt(self) -> None:
        self._prompt_mode = None
        prompt = self.query_one("#prompt", Input)
        prompt.value = ""
        self.query_one("#prompt-bar").remove_class("-open")
        self.query_one(ConversationView).focus()

    def _runner(self, action: str) -> Callable[[], Any]:
        """A palette callback that runs ``action`` as its key would."""
        return lambda: self.call_later(self.run_action, action)

    # --- command palette --------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for key in KEYS:
            if key.palette is not None and key.action is not None:
                title, what = key.palette
                yield SystemCommand(title, f"{what} ({key.shown})", self._runner(key.action))
        yield SystemCommand(
            "Cancel a running tool",
            "Cancel the running tool call (i on its card)",
            self.action_cancel_tool,
        )
        yield from super().get_system_commands(screen)
