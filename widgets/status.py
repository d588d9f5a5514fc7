"""Header line and the session panel (mic level, user and agent state)."""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget

__all__ = [
    "METER_FLOOR_DBFS",
    "STATE_STYLES",
    "HeaderBar",
    "SessionPanel",
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
        self.mic = True
        self._painted_once = False

    def update_state(
        self,
        *,
        level: float,
        muted: bool,
        user_state: str,
        agent_state: str,
        problem: str | None = None,
        mic: bool = True,
    ) -> None:
        """Set what to show (``level`` in dBFS); repaint only when something visible changed.
        ``mic`` False: no microphone is open (``--no-audio``)."""
        shown = (self._cells(level), muted, user_state, agent_state, problem, mic)
        was = (
            self._cells(self.level),
            self.muted,
            self.user_state,
            self.agent_state,
            self.problem,
            self.mic,
        )
        if shown == was and self._painted_once:
            return
        self.mic = mic
        self._painted_once = True
        self.level = level
        self.muted = muted
        self.user_state = user_state
        self.agent_state = agent_state
        self.problem = problem
        self.refresh()

    @staticmethod
    def _cells(dbfs: float) -> int:
        # the meter is at most ~40 cells wide: a change below one cell is not worth a repaint
        return round(meter_fraction(dbfs) * 40)

    @property
    def meter(self) -> float:
        """The fill of the mic meter as shown (0..1; 0 while muted)."""
        return 0.0 if self.muted or not self.mic else meter_fraction(self.level)

    def render(self) -> Content:
        width = self.size.width
        if not self.mic:
            badge = Content.styled(" off ", "$text-muted on $panel")
        elif self.muted:
            badge = Content.styled(" MUTED ", "bold $text-error on $error-muted")
        else:
            badge = Content.styled(" live ", "$text-success on $success-muted")
        bar_width = max(width - 6 - badge.cell_length - 1, 4)
        mic = Content.assemble(
            ("mic   ", "$text-muted"),
            level_bar(self.meter, bar_width),
            " ",
            badge,
        )
        user = Content.assemble(("user  ", "$text-muted"), state_label(self.user_state))
        agent = Content.assemble(("agent ", "$text-muted"), state_label(self.agent_state))
        if self.problem:
            agent = Content.assemble(agent, "  ", ("⚠ " + self.problem, "$warning"))
        return Content("\n").join([mic, user, agent])


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
        self._layouts: list[tuple[Content, Content]] = [(Content("◆ agentconsole"), Content(""))]

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
    ) -> None:
        """Set the fields and repaint. A device of ``None`` is shown as ``off`` (none open)."""
        sep = (" · ", "$text-muted 60%")
        glyph, style = JOB_STYLES.get(job_state, ("○", "$foreground"))
        job = f"{glyph} {job_state}"
        with_pid = job + (f" (pid {pid})" if pid and job_state == "ready" else "")
        where = f"room {room}" if mode == "room" and room else mode
        badges: list[tuple[str, str] | str] = []
        if muted:
            badges += ["  ", (" MUTED ", "bold $text-error on $error-muted")]
        if recording:
            badges += ["  ", ("● REC", "bold $error")]
        name = agent_file.rsplit("/", 1)[-1]

        def left(brand: str, file: str | None, state: str) -> Content:
            parts: list[tuple[str, str] | str] = [(brand, "bold $accent")]
            if file:
                parts += [" " if brand == "◆" else "  ", (file, "bold $foreground")]
            parts += [sep, (where, "$secondary"), sep, (state, style), *badges]
            return Content.assemble(*parts)

        def devices(limit: int) -> Content:
            def cut(text: str | None) -> str:
                text = text or "off"
                return text if len(text) <= limit else text[: limit - 1] + "…"

            return Content.assemble(
                ("in ", "$text-muted"),
                (cut(input_device), "$foreground" if input_device else "$text-muted"),
                ("  out ", "$text-muted"),
                (cut(output_device), "$foreground" if output_device else "$text-muted"),
            )

        version = (
            Content.assemble(sep, (f"livekit-agents {agents_version}", "$text-muted"))
            if agents_version
            else Content("")
        )
        full = left("◆ agentconsole", agent_file, with_pid)
        short = left("◆", name, with_pid)
        shorter = left("◆", name, job)
        # richest first; a narrow terminal drops the version, the path, the pid, the devices'
        # full names, then the devices, but never the job state, the mode or the badges
        self._layouts = [
            (full, devices(40) + version),
            (full, devices(40)),
            (short, devices(40)),
            (shorter, devices(24)),
            (shorter, devices(12)),
            (shorter, Content("")),
            (left("◆", None, job), Content("")),
        ]
        self.refresh()

    def render(self) -> Content:
        for left, right in self._layouts:
            gap = self.size.width - left.cell_length - right.cell_length
            if gap >= 2 or (not right and gap >= 0):
                return Content.assemble(left, " " * gap, right)
        return self._layouts[-1][0]
