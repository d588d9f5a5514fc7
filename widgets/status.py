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


EchoReading = tuple[bool | None, float | None, float | None, str | None]
"""``(aec, echo_db, erle_db, canceller)`` from the ``audio`` event."""

ECHO_GOOD_ERLE_DB = 25.0
"""Echo cancelled at least this much: shown as fine."""
ECHO_POOR_ERLE_DB = 15.0
"""Echo cancelled less than this: the agent may hear itself; suggest headphones."""


def echo_label(
    aec: bool | None,
    echo_db: float | None,
    erle_db: float | None,
    canceller: str | None = None,
    width: int | None = None,
) -> Content:
    """How well echo is being cancelled, from the ``audio`` event's ``echo_db`` / ``erle_db``
    / ``canceller``.

    ``echo_db`` is how loud the speaker is in the mic, ``erle_db`` how far cancellation takes
    it down; a user on laptop speakers sees the second drop before the agent interrupts itself.
    ``canceller`` ``"linear"``: the linear canceller's output is in use, which lets a user
    talking over the agent through (docs/audio.md); the full wording says so.
    With ``width``, the longest wording that fits (a narrow panel gets a shorter one, the
    advice to use headphones kept as long as it fits); the shortest is cropped.
    """
    if not aec:
        return Content("")
    variants = _echo_variants(echo_db, erle_db, canceller == "linear")
    if width is None:
        return variants[0]
    for variant in variants:
        if variant.cell_length <= width:
            return variant
    return variants[-1].truncate(max(width, 0))


def _echo_variants(echo_db: float | None, erle_db: float | None, linear: bool) -> list[Content]:
    """The echo label's wordings, longest first."""
    if echo_db is None:
        return [
            Content.styled("echo: none heard", "$text-muted"),
            Content.styled("no echo", "$text-muted"),
        ]
    level = f"echo {echo_db:+.0f} dB"
    if erle_db is None:
        return [
            Content.assemble((level, "$warning"), (" · measuring", "$text-muted")),
            Content.styled(level, "$warning"),
            Content.styled("echo …", "$text-muted"),
        ]
    cancelled = f"cancelled {erle_db:.0f} dB"
    if erle_db >= ECHO_GOOD_ERLE_DB:
        full = Content.assemble((level, "$text-muted"), (f" · {cancelled}", "$success"))
        short = Content.styled(f"echo {cancelled}", "$success")
        tag = (" (linear)", "$text-muted")
        return [
            *([Content.assemble(full, tag)] if linear else []),
            full,
            *(
                [Content.assemble((cancelled, "$success"), (", linear", "$text-muted"))]
                if linear
                else []
            ),
            short,
            Content.styled("echo ✓", "$success"),
        ]
    if erle_db >= ECHO_POOR_ERLE_DB:
        return [
            Content.assemble((level, "$warning"), (f" · {cancelled}", "$warning")),
            Content.styled(f"echo {cancelled}", "$warning"),
            Content.styled("echo ⚠", "$warning"),
        ]
    advice = f"only {erle_db:.0f} dB cancelled: use headphones"
    return [
        Content.assemble((level, "$error"), (f" · {advice}", "bold $error")),
        Content.styled(advice, "bold $error"),
        Content.styled("echo: use headphones", "bold $error"),
        Content.styled("use headphones", "bold $error"),
        Content.styled("headphones!", "bold $error"),
        Content.styled("echo ✗", "bold $error"),
    ]


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
        self.echo: EchoReading = (None, None, None, None)
        self.held = False
        """The agent's audio is held: the user is talking over its echo."""
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
        echo: EchoReading = (None, None, None, None),
        held: bool = False,
    ) -> None:
        """Set what to show (``level`` in dBFS); repaint only when something visible changed.

        ``mic`` False: no microphone is open (``--no-audio``). ``echo`` is
        ``(aec, echo_db, erle_db, canceller)`` from the ``audio`` event (see
        :func:`echo_label`);
        ``held``: the agent's audio is paused while the user talks over its echo.
        """
        shown = (
            self._cells(level),
            muted,
            user_state,
            agent_state,
            problem,
            mic,
            _rounded(echo),
            held,
        )
        was = (
            self._cells(self.level),
            self.muted,
            self.user_state,
            self.agent_state,
            self.problem,
            self.mic,
            _rounded(self.echo),
            self.held,
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
        self.echo = echo
        self.held = held
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
        # the echo shares the user's line: in a narrow panel, in fewer words, never wrapped
        room = width - user.cell_length - 2
        echo = echo_label(*self.echo, width=room)
        if echo.cell_length:
            gap = "   " if echo.cell_length < room else "  "
            user = Content.assemble(user, gap, echo)
        agent = Content.assemble(("agent ", "$text-muted"), state_label(self.agent_state))
        if self.held:  # paused on the speaker while the user talks over it
            agent = Content.assemble(agent, "  ", ("⏸ held: you are talking", "bold $warning"))
        if self.problem:
            agent = Content.assemble(agent, "  ", ("⚠ " + self.problem, "$warning"))
        return Content("\n").join([mic.truncate(width), user.truncate(width), agent])


def _rounded(
    echo: EchoReading,
) -> tuple[bool | None, int | None, int | None, str | None]:
    aec, level, erle, canceller = echo
    return (
        aec,
        None if level is None else round(level),
        None if erle is None else round(erle),
        canceller,
    )


class HeaderBar(Widget):
    """One line: agent file, mode, job state, text/audio, active agent, devices, version."""

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
        self._fields: tuple[object, ...] | None = None

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
        """Set the fields and repaint. A device of ``None`` is shown as ``off`` (none open).

        Called for every audio status (10 a second); unchanged fields repaint nothing, which
        at idle kept the header, the footer and the screen repainting ten times a second.
        """
        fields = (
            agent_file,
            mode,
            room,
            job_state,
            pid,
            input_device,
            output_device,
            agents_version,
            muted,
            recording,
            text_mode,
            active_agent,
        )
        if fields == self._fields:
            return
        self._fields = fields
        sep = (" · ", "$text-muted 60%")
        glyph, style = JOB_STYLES.get(job_state, ("○", "$foreground"))
        job = f"{glyph} {job_state}"
        with_pid = job + (f" (pid {pid})" if pid and job_state == "ready" else "")
        where = f"room {room}" if mode == "room" and room else mode
        badges: list[tuple[str, str] | str] = []
        output: list[tuple[str, str] | str] = []
        if text_mode is not None:  # the session's output: text replies only, or speech
            output = [sep, ("✎ text", "bold $warning") if text_mode else ("♪ audio", "$secondary")]
        agent = (
            active_agent if not active_agent or len(active_agent) <= 20 else active_agent[:19] + "…"
        )
        if muted:
            badges += ["  ", (" MUTED ", "bold $text-error on $error-muted")]
        if recording:
            badges += ["  ", ("● REC", "bold $error")]
        name = agent_file.rsplit("/", 1)[-1]

        def left(brand: str, file: str | None, state: str, with_agent: bool = True) -> Content:
            parts: list[tuple[str, str] | str] = [(brand, "bold $accent")]
            if file:
                parts += [" " if brand == "◆" else "  ", (file, "bold $foreground")]
            parts += [sep, (where, "$secondary"), sep, (state, style), *output]
            if agent and with_agent:  # the active agent (handoffs, tasks)
                parts += [sep, (agent, "bold $foreground")]
            return Content.assemble(*parts, *badges)

        def devices(limit: int, output: bool = True) -> Content:
            def cut(text: str | None) -> str:
                text = text or "off"
                return text if len(text) <= limit else text[: limit - 1] + "…"

            parts = [
                ("in ", "$text-muted"),
                (cut(input_device), "$foreground" if input_device else "$text-muted"),
            ]
            if output:
                parts += [
                    ("  out ", "$text-muted"),
                    (cut(output_device), "$foreground" if output_device else "$text-muted"),
                ]
            return Content.assemble(*parts)

        version = (
            Content.assemble(sep, (f"livekit-agents {agents_version}", "$text-muted"))
            if agents_version
            else Content("")
        )
        full = left("◆ agentconsole", agent_file, with_pid)
        short = left("◆", name, with_pid)
        shorter = left("◆", name, job)
        unnamed = left("◆", None, job)
        # richest first; a narrow terminal drops the version, the path, the pid, the devices'
        # full names, the file name, the output device, the input device, then the active
        # agent, but never the job state, the text/audio mode or the badges
        self._layouts = [
            (full, devices(40) + version),
            (full, devices(40)),
            (short, devices(40)),
            (shorter, devices(24)),
            (unnamed, devices(24)),
            (unnamed, devices(24, output=False)),
            (unnamed, devices(12)),
            (unnamed, devices(12, output=False)),
            (unnamed, Content("")),
            (left("◆", None, job, with_agent=False), Content("")),
        ]
        self.refresh()

    def render(self) -> Content:
        for left, right in self._layouts:
            gap = self.size.width - left.cell_length - right.cell_length
            if gap >= 2 or (not right and gap >= 0):
                return Content.assemble(left, " " * gap, right)
        return self._layouts[-1][0]
