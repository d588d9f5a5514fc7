"""``agentconsole view DIR``: a recording in the TUI, with no agent.

The screen is the console's own (conversation with tool cards, VAD graph, session, latency)
showing the session as it was at the cursor, plus a timeline of the whole session. Left/right
move the cursor (shift: 5 s, home/end), space plays ``audio.wav`` from the cursor and the
cursor follows what is heard. Moving forward applies the events in between; moving back
rebuilds the state from the start (events are cheap to fold).
"""

from __future__ import annotations

import bisect
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import Footer

from agentconsole.app.app import AgentConsoleApp
from agentconsole.replay.session_file import SessionFile
from agentconsole.state import ConsoleInfo, SessionState, VadSample
from agentconsole.widgets import ConversationView, LatencyPanel, VadGraph
from agentconsole.widgets.timeline import Mark, Timeline

__all__ = ["ViewApp", "run_view"]

_DISABLED = {"interrupt", "prompt", "toggle_mute", "reload", "mock_tool"}
"""Live-session keys that mean nothing without an agent."""


class _NoAgent:
    """The viewer's host: there is no agent to command."""

    def command(self, cmd: dict[str, Any]) -> None:
        """Ignore (quit is handled by the app itself)."""


class ViewApp(AgentConsoleApp):
    """The recording viewer. ``player``: a :class:`~agentconsole.replay.audio_player.
    RecordingPlayer` (or anything with ``play(at)``, ``stop()``, ``playing``, ``position``),
    None when the recording has no audio."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "seek(-1)", "-1 s", priority=True),
        Binding("right", "seek(1)", "+1 s", priority=True),
        Binding("shift+left", "seek(-5)", "-5 s", show=False, priority=True),
        Binding("shift+right", "seek(5)", "+5 s", show=False, priority=True),
        Binding("home", "seek_to(0)", "Start", show=False, priority=True),
        Binding("end", "seek_to(-1)", "End", show=False, priority=True),
        Binding("space", "play", "Play / pause", priority=True),
    ]

    def __init__(self, session: SessionFile, player: Any = None, **kwargs: Any) -> None:
        info = ConsoleInfo(
            agent_file=str(session.agent_file or "(unknown agent)"),
            mode="local",
            input_device="recording",
            output_device="recording",
            livekit_agents_version=(session.data.get("versions") or {}).get("livekit_agents"),
            record_dir=str(session.dir),
        )
        super().__init__(_NoAgent(), info, **kwargs)
        self.session = session
        self.player = player
        self.events = sorted(session.events, key=lambda e: float(e.get("t") or 0.0))
        self._times = [float(e.get("t") or 0.0) for e in self.events]
        self.start = 0.0
        self.end = self._times[-1] if self._times else 0.0
        self.cursor = self.end
        self._applied = 0  # events[:_applied] are in self.state
        self._full = SessionState(info)
        self._full.apply_many(self.events)
        self._follow: Timer | None = None
        self.title = f"agentconsole view · {session.dir.name}"

    # -- layout ----------------------------------------------------------------------------

    def on_mount(self) -> None:
        super().on_mount()
        timeline = Timeline(id="timeline")
        self.mount(timeline, before=self.query_one(Footer))
        samples = [
            VadSample(float(e["t"]), float(e.get("probability") or 0.0), bool(e.get("speaking")))
            for e in self.events
            if e.get("type") == "vad" and "t" in e
        ]
        timeline.set_session(samples, _marks(self.events), self.start, self.end)
        conversation = self.query_one(ConversationView)
        conversation.border_title = "Conversation (recorded)"
        self._follow = self.set_interval(0.05, self._follow_audio, pause=True)
        self.seek(self.cursor)

    def on_unmount(self) -> None:
        if self._follow is not None:
            self._follow.stop()
        if self.player is not None:
            self.player.stop()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in _DISABLED:
            return False
        return super().check_action(action, parameters)

    # -- the cursor --------------------------------------------------------------------------

    def seek(self, t: float) -> None:
        """Show the session as it was at console time ``t``."""
        t = min(max(t, self.start), self.end)
        upto = bisect.bisect_right(self._times, t)
        if upto < self._applied:
            self._rebuild()
        batch = self.events[self._applied : upto]
        self._applied = upto
        self.cursor = t
        if batch:
            self.state.apply_many(batch)
        self._render_changes()
        self.query_one(VadGraph).set_samples(self.state.vad, t)
        self._sync_now()
        playing = self.player is not None and bool(self.player.playing)
        self.query_one(Timeline).set_cursor(t, playing)

    def _rebuild(self) -> None:
        self.state = SessionState(self.info)
        self._applied = 0
        self._pending_items.clear()
        self.query_one(ConversationView).clear()

    def _sync_now(self) -> None:
        # conversation updates are rate-limited in the live app; the viewer shows them at once
        if self._conversation_due is not None:
            self._conversation_due.stop()
        self._sync_conversation()

    def _event_now(self) -> float:
        return self.cursor

    def _render_latency(self) -> None:
        # the last turn at the cursor, the percentiles of the whole session
        full = self._full
        self.query_one(LatencyPanel).update_latency(
            self.state.last_latency, len(full.latency), full.latency_percentile
        )
        turns = len(full.latency)
        box = self.query_one("#latency-box")
        box.border_subtitle = f"{turns} turn{'s' if turns != 1 else ''} · p50/p95 of the session"

    def _render_notices(self) -> None:
        self._notice_seen = self.state.notice_total  # recorded errors are in the logs pane

    def action_seek(self, delta: float) -> None:
        """Move the cursor by ``delta`` seconds (playback follows)."""
        self._move(self.cursor + float(delta))

    def action_seek_to(self, where: float) -> None:
        """``0``: the start; ``-1``: the end."""
        self._move(self.start if float(where) >= 0 else self.end)

    def _move(self, t: float) -> None:
        player = self.player
        was_playing = player is not None and player.playing
        if was_playing:
            player.stop()
        self.seek(t)
        if was_playing:
            self._play()

    # -- audio -------------------------------------------------------------------------------

    def action_play(self) -> None:
        """Play the recording from the cursor, or pause it."""
        player = self.player
        if player is None:
            self.notify("this recording has no audio.wav", severity="warning", timeout=4)
            return
        if player.playing:
            player.stop()
            if self._follow is not None:
                self._follow.pause()
            self.seek(self.cursor)
            return
        if self.cursor >= self.end:
            self.seek(self.start)
        self._play()

    def _play(self) -> None:
        try:
            self.player.play(self.cursor - self.session.audio_start)
        except Exception as exc:  # no device: say so, keep the viewer
            self.notify(str(exc), severity="error", timeout=6)
            return
        if self._follow is not None:
            self._follow.resume()
        self.query_one(Timeline).set_cursor(self.cursor, True)

    def _follow_audio(self) -> None:
        player = self.player
        if player is None:
            return
        t = self.session.audio_start + float(player.position)
        if not player.playing:
            player.stop()
            if self._follow is not None:
                self._follow.pause()
        self.seek(t)

    async def action_quit(self) -> None:
        if self.player is not None:
            self.player.stop()
        self.exit(0, return_code=0)


def _marks(events: list[dict[str, Any]]) -> list[Mark]:
    out: list[Mark] = []
    for e in events:
        kind = e.get("type")
        t = float(e.get("t") or 0.0)
        if kind == "user_transcript" and e.get("final"):
            out.append(Mark(t, "user"))
        elif kind == "agent_speech" and e.get("state") == "started":
            out.append(Mark(t, "agent"))
        elif kind == "tool_started":
            out.append(Mark(t, "tool"))
    return out


def run_view(session: SessionFile, output_device: str | None = None) -> int:
    """Run the viewer until the user quits. Returns the exit code."""
    from agentconsole.audio.errors import AudioError
    from agentconsole.replay.audio_player import RecordingPlayer

    player = None
    if session.audio_path.exists():
        device: str | int | None = output_device
        if output_device is not None and output_device.strip().isdigit():
            device = int(output_device)
        try:
            player = RecordingPlayer(session.audio_path, device)
        except AudioError:
            player = None
    app = ViewApp(session, player)
    try:
        code = app.run()
    finally:
        if player is not None:
            player.stop()
    return int(code or 0)
