"""Header line and the session panel (mic level, user and agent state)."""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget

__all__ = [
    "METER_FLOOR_DBFS",
    "STATE_STYLES",
    "HeaderBar",
    "SessionPanel",
    "echo_label",
    "level_bar",
    "meter_fraction",
]

STATE_STYLES: dict[str, tuple[str, str]] = {
    # state -> (glyph, style)
    "speaking": ("●", "bold $success"),
    "thinking": ("◐", "bold $warning"),
    "listening": ("○", "$primary"),
    "idle": ("○", "$text-muted"),
    "initializing": ("◌", "$text-muted"),
    "away": ("◌", "$text-muted"),
}

JOB_STYLES: dict[str, tuple[str, str]] = {
    "waiting": ("◌", "$text-muted"),
    "starting": ("◐", "$warning"),
    "ready": ("●", "$success"),
    "reloading": ("↻", "$warning"),
    "crashed": ("✗", "bold $error"),
    "stopped": ("■", "$text-muted"),
}


METER_FLOOR_DBFS = -60.0
"""The mic meter's empty end: quieter than this (room noise) shows no bar."""


def meter_fraction(dbfs: float) -> float:
    """How much of the mic meter a level in dBFS fills (0..1): linear in dB from
    :data:`METER_FLOOR_DBFS` (empty) to 0 dBFS (full). The one place the meter's scale lives."""
    return min(max((dbfs - METER_FLOOR_DBFS) / -METER_FLOOR_DBFS, 0.0), 1.0)


def level_bar(level: float, width: int) -> Content:
    """A horizontal meter for a 0..1 fill: green, then amber near the top."""
    width = max(width, 1)
    filled = round(min(max(level, 0.0), 1.0) * width)
    parts: list[tuple[str, str]] = []
    for i in range(width):
        if i < filled:
            parts.append(("━", "$warning" if i >= width * 0.8 else "$success"))
        else:
            parts.append(("━", "$text-muted 30%"))
    return Content.assemble(*parts)


ECHO_GOOD_ERLE_DB = 25.0
"""Echo cancelled at least this much: shown as fine."""
ECHO_POOR_ERLE_DB = 15.0
"""Echo cancelled less than this: the agent may hear itself; suggest headphones."""


def echo_label(aec: bool | None, echo_db: float | None, erle_db: float | None) -> Content:
    """How well echo is being cancelled, from the ``audio`` event's ``echo_db`` / ``erle_db``.

    ``echo_db`` is how loud the speaker is in the mic, ``erle_db`` how far cancellation takes
    it down; a user on laptop speakers sees the second drop before the agent interrupts itself.
    """
    if not aec:
        return Content("")
    if echo_db is None:
        return Content.styled("echo: none heard", "$text-muted")
    level = f"echo {echo_db:+.0f} dB"
    if erle_db is None:
        return Content.assemble((level, "$warning"), (" · measuring", "$text-muted"))
    if erle_db >= ECHO_GOOD_ERLE_DB:
        return Content.assemble(
            (level, "$text-muted"), (f" · cancelled {erle_db:.0f} dB", "$success")
        )
    if erle_db >= ECHO_POOR_ERLE_DB:
        return Content.assemble((level, "$warning"), (f" · cancelled {erle_db:.0f} dB", "$warning"))
    return Content.assemble(
        (level, "$error"),
        (f" · only {erle_db:.0f} dB cancelled: use headphones", "bold $error"),
    )


def state_label(state: str) -> Content:
    """A state name with its glyph and color."""
    glyph, style = STATE_STYLES.get(state, ("○", "$foreground"))
    return Content.assemble((f"{glyph} {state}", style))


class SessionPanel(Widget):
    """Mic level, mute, user and agent state. Data in: :meth:`update_state`."""

    DEFAULT_CSS = """
    SessionPanel {
        height: 3;
        width: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.level = -100.0
        """Microphone level in dBFS, as the ``audio`` event gives it."""
        self.muted = False
        self.user_state = "listening"
        self.agent_state = "initializing"
        self.problem: str | None = None
        self.echo: tuple[bool | None, float | None, float | None] = (None, None, None)
        self._painted_once = False

    def update_state(
        self,
        *,
        level: float,
        muted: bool,
        user_state: str,
        agent_state: str,
        problem: str | None = None,
        echo: tuple[bool | None, float | None, float | None] = (None, None, None),
    ) -> None:
        """Set what to show (``level`` in dBFS); repaint only when something visible changed.

        ``echo`` is ``(aec, echo_db, erle_db)`` from the ``audio`` event (see :func:`echo_label`).
        """
        shown = (self._cells(level), muted, user_state, agent_state, problem, _rounded(echo))
        was = (
            self._cells(self.level),
            self.muted,
            self.user_state,
            self.agent_state,
            self.problem,
            _rounded(self.echo),
        )
        if shown == was and self._painted_once:
            return
        self._painted_once = True
        self.level = level
        self.muted = muted
        self.user_state = user_state
        self.agent_state = agent_state
        self.problem = problem
        self.echo = echo
        self.refresh()

    @staticmethod
    def _cells(dbfs: float) -> int:
        # the meter is at most ~40 cells wide: a change below one cell is not worth a repaint
        return round(meter_fraction(dbfs) * 40)

    @property
    def meter(self) -> float:
        """The fill of the mic meter as shown (0..1; 0 while muted)."""
        return 0.0 if self.muted else meter_fraction(self.level)

    def render(self) -> Content:
        width = self.size.width
        badge = (
            Content.styled(" MUTED ", "bold $text-error on $error-muted")
            if self.muted
            else Content.styled(" live ", "$text-success on $success-muted")
        )
        bar_width = max(width - 6 - badge.cell_length - 1, 4)
        mic = Content.assemble(
            ("mic   ", "$text-muted"),
            level_bar(self.meter, bar_width),
            " ",
            badge,
        )
        user = Content.assemble(("user  ", "$text-muted"), state_label(self.user_state))
        echo = echo_label(*self.echo)
        if echo.cell_length:
            user = Content.assemble(user, "   ", echo)
        agent = Content.assemble(("agent ", "$text-muted"), state_label(self.agent_state))
        if self.problem:
            agent = Content.assemble(agent, "  ", ("⚠ " + self.problem, "$warning"))
        return Content("\n").join([mic, user, agent])


def _rounded(
    echo: tuple[bool | None, float | None, float | None],
) -> tuple[bool | None, int | None, int | None]:
    aec, level, erle = echo
    return (aec, None if level is None else round(level), None if erle is None else round(erle))


class HeaderBar(Widget):
    """One line: agent file, mode, job state, devices, livekit-agents version."""

    DEFAULT_CSS = """
    HeaderBar {
        dock: top;
        height: 1;
        background: $panel;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._left = Content("agentconsole")
        self._right = Content("")
        self._version = Content("")

    def update_header(
        self,
        *,
        agent_file: str,
        mode: str,
        room: str | None,
        job_state: str,
        pid: int | None,
        input_device: str | None,
        output_device: str | None,
        agents_version: str | None,
        muted: bool,
        recording: bool,
        text_mode: bool | None = None,
        active_agent: str | None = None,
    ) -> None:
        """Set the fields and repaint."""
        sep = (" · ", "$text-muted 60%")
        glyph, style = JOB_STYLES.get(job_state, ("○", "$foreground"))
        job = f"{glyph} {job_state}" + (f" (pid {pid})" if pid and job_state == "ready" else "")
        where = f"room {room}" if mode == "room" and room else mode
        left: list[tuple[str, str] | str | Content] = [
            ("◆ agentconsole", "bold $accent"),
            "  ",
            (agent_file, "bold $foreground"),
            sep,
            (where, "$secondary"),
            sep,
            (job, style),
        ]
        if text_mode is not None:  # the session's output: text replies only, or speech
            left += [sep, ("✎ text", "bold $warning") if text_mode else ("♪ audio", "$secondary")]
        if active_agent:
            left += [sep, (active_agent, "bold $foreground")]
        if muted:
            left += ["  ", (" MUTED ", "bold $text-error on $error-muted")]
        if recording:
            left += ["  ", ("● REC", "bold $error")]
        right: list[tuple[str, str] | str | Content] = [
            ("in ", "$text-muted"),
            (input_device or "default", "$foreground"),
            ("  out ", "$text-muted"),
            (output_device or "default", "$foreground"),
        ]
        self._left = Content.assemble(*left)
        self._right = Content.assemble(*right)
        self._version = (
            Content.assemble(sep, (f"livekit-agents {agents_version}", "$text-muted"))
            if agents_version
            else Content("")
        )
        self.refresh()

    def render(self) -> Content:
        # Drop the least useful parts first when the terminal is narrow.
        for right in (self._right + self._version, self._right, Content("")):
            gap = self.size.width - self._left.cell_length - right.cell_length
            if gap >= 2:
                return Content.assemble(self._left, " " * gap, right)
        return self._left
