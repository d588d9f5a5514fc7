"""The conversation pane: user and agent turns, tool cards, reload dividers, crash panels."""

from __future__ import annotations

import re
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.geometry import Offset, Region, Size
from textual.message import Message
from textual.selection import Selection
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.visual import Visual
from textual.widget import Widget
from textual.widgets import Static

from agentconsole.state import (
    AgentTurn,
    Blocked,
    Crash,
    ErrorLine,
    Item,
    Marker,
    ToolCall,
    UserTurn,
    where_text,
)
from agentconsole.widgets.latency import format_seconds

__all__ = [
    "SPINNER",
    "AgentTurnView",
    "BlockedView",
    "ConversationView",
    "CrashView",
    "ErrorLineView",
    "MarkerView",
    "ToolCard",
    "UserTurnView",
    "highlight_json",
    "highlight_traceback",
]

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
"""Frames of the running-tool spinner."""

MAX_OUTPUT_LINES = 12
MAX_TRACEBACK_LINES = 60

_JSON_TOKEN = re.compile(
    r'(?P<key>"(?:[^"\\]|\\.)*")(?=\s*:)|(?P<str>"(?:[^"\\]|\\.)*")'
    r"|(?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|(?P<lit>\btrue\b|\bfalse\b|\bnull\b)"
)
_JSON_STYLES = {"key": "$secondary", "str": "$success", "num": "$warning", "lit": "$accent"}


def highlight_json(text: str) -> Content:
    """Color JSON keys, strings, numbers and literals with theme colors."""
    parts: list[tuple[str, str] | str] = []
    pos = 0
    for match in _JSON_TOKEN.finditer(text):
        if match.start() > pos:
            parts.append(text[pos : match.start()])
        kind = match.lastgroup or "str"
        parts.append((match.group(), _JSON_STYLES[kind]))
        pos = match.end()
    parts.append(text[pos:])
    return Content.assemble(*parts)


_TB_FILE = re.compile(r'^(\s*File )"([^"]+)", line (\d+)(?:, in (.+))?$')


def highlight_traceback(text: str) -> Content:
    """Color a Python traceback with theme colors: frames, code, and the exception line."""
    lines = text.splitlines()
    out: list[Content] = []
    for i, line in enumerate(lines):
        frame = _TB_FILE.match(line)
        if frame:
            parts: list[tuple[str, str] | str] = [
                (frame.group(1), "$text-muted"),
                (f'"{frame.group(2)}"', "$secondary"),
                (", line ", "$text-muted"),
                (frame.group(3), "$accent"),
            ]
            if frame.group(4):
                parts += [(", in ", "$text-muted"), (frame.group(4), "$primary")]
            out.append(Content.assemble(*parts))
        elif line.startswith(("Traceback", "During handling", "The above exception", "…")):
            out.append(Content.styled(line, "$text-muted italic"))
        elif line.startswith(" ") or not line:
            out.append(Content.styled(line, "$foreground"))
        elif i == len(lines) - 1 or ":" in line.split(" ", 1)[0]:
            out.append(Content.styled(line, "bold $text-error"))
        else:
            out.append(Content(line))
    return Content("\n").join(out)


def _clock(t: float) -> str:
    minutes, seconds = divmod(int(t), 60)
    return f"{minutes:02d}:{seconds:02d}"


def _head(label: str, style: str, t: float, extra: Content | None = None) -> Content:
    parts: list[Content | tuple[str, str] | str] = [
        (label, style),
        "  ",
        (_clock(t), "$text-muted"),
    ]
    if extra is not None:
        parts += ["  ", extra]
    return Content.assemble(*parts)


class UserTurnView(Static):
    """A user turn: final text, then the interim hypothesis dimmed. Click to select it."""

    DEFAULT_CSS = """
    UserTurnView {
        border-left: outer $secondary;
        padding: 0 1;
        margin: 1 8 0 0;
    }
    UserTurnView.-selected {
        border-left: thick $accent;
        background: $accent 10%;
    }
    """

    item_id = 0

    def on_click(self, event: events.Click) -> None:
        parent = self.parent
        if isinstance(parent, ConversationView):
            parent.select_item(self.item_id)

    def show(self, turn: UserTurn) -> None:
        """Render ``turn``."""
        parts: list[Content | tuple[str, str] | str] = [
            _head("You", "bold $secondary", turn.t),
            "\n",
        ]
        if turn.final_text:
            parts.append(turn.final_text)
        if turn.interim:
            parts += [" " if turn.final_text else "", (turn.interim + " …", "italic $text-muted")]
        self.update(Content.assemble(*parts))


class AgentTurnView(Widget):
    """An agent message: streaming with a cursor, then committed; interruptions marked.

    One widget however long the message: it draws its lines itself (Textual's line API). The
    message is wrapped in chunks, cut at sentence ends every :data:`CHUNK_CHARS` characters;
    the cuts depend only on the text before them, so while the message streams, the chunks
    before the last one keep their wrapped lines and only the last is wrapped again. An
    update that does not change the height repaints the lines that changed, with no layout.
    Text selection works across chunks (the chunks' lines carry the message's coordinates).
    """

    DEFAULT_CSS = """
    AgentTurnView {
        height: auto;
        border-left: outer $primary;
        padding: 0 1;
        margin: 1 0 0 4;
    }
    AgentTurnView.-interrupted {
        border-left: outer $warning;
    }
    """

    CHUNK_CHARS: ClassVar[int] = 600
    """Characters after which a chunk ends at the next sentence end or line break."""

    def __init__(self, *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.content = Content("")
        """The whole message as shown (header line included)."""
        self._pieces: list[Content] = []
        self._starts: list[int] = [0]
        """Where each chunk starts in ``content.plain``."""
        self._wrapped: list[list[Strip] | None] = []
        """Each chunk's lines at :attr:`_width` (None: not wrapped yet)."""
        self._width = 0
        self._lines: list[Strip] | None = None
        self.wraps = 0
        """Chunks wrapped so far (how much work the updates cost; for tests)."""

    def show(self, turn: AgentTurn) -> None:
        """Render ``turn``."""
        extra: Content | None = None
        if turn.streaming:
            extra = Content.styled("streaming", "$text-muted italic")
        elif turn.interrupted:
            spoken = len(turn.spoken.split())
            total = len(turn.streamed.split())
            extra = Content.styled(
                f"✂ interrupted · {spoken} of {total} words spoken", "bold $warning"
            )
        parts: list[Content | tuple[str, str] | str] = [
            _head("Agent", "bold $primary", turn.t, extra),
            "\n",
        ]
        heard = turn.heard.strip()
        if turn.streaming and heard and turn.streamed.lstrip().startswith(heard):
            # while it plays: what was heard already, then the rest still to be spoken (dim)
            lead = len(turn.streamed) - len(turn.streamed.lstrip())
            cut = lead + len(heard)
            parts += [turn.streamed[:cut], (turn.streamed[cut:], "$text-muted")]
        else:
            parts.append(turn.spoken)
        if turn.streaming:
            parts.append(("▍", "$primary"))
        elif turn.unspoken:
            parts += [(" ⟂", "bold $warning"), (turn.unspoken, "strike $text-muted")]
        self.set_class(turn.interrupted, "-interrupted")
        self.content = Content.assemble(*parts)
        self._set_chunks(self.content)

    def _set_chunks(self, content: Content) -> None:
        cuts = chunk_cuts(content.plain, self.CHUNK_CHARS)
        pieces = content.divide(cuts) if cuts else [content]
        pieces = [p.rstrip() for p in pieces[:-1]] + pieces[-1:]
        old = self._pieces
        # chunks that did not change keep their wrapped lines (the cuts never move, so the
        # chunks line up; while the message plays, the heard part's end restyles a chunk
        # in the middle, and the last one grows)
        changed = [
            i for i, piece in enumerate(pieces) if i >= len(old) or not old[i].is_same(piece)
        ]
        if not changed and len(old) == len(pieces):
            return
        first = changed[0] if changed else len(pieces)
        line = sum(len(w or ()) for w in self._wrapped[:first])  # the first line that changes
        height = None if self._lines is None else len(self._lines)
        wrapped = self._wrapped[: len(pieces)]
        wrapped += [None] * (len(pieces) - len(wrapped))
        for i in changed:
            wrapped[i] = None
        self._pieces, self._starts, self._wrapped = pieces, [0, *cuts], wrapped
        self._lines = None
        if (
            self.is_mounted
            and height is not None
            and self._width > 0
            and len(self._wrap(self._width)) == height
        ):  # the same height: repaint from the first changed line down, no layout
            self.refresh(Region(0, line, self.size.width, height - line))
        else:
            self.refresh(layout=True)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._forget_lines()  # colors are resolved into the lines

    def selection_updated(self, selection: Selection | None) -> None:
        self._forget_lines()
        super().selection_updated(selection)

    def _forget_lines(self) -> None:
        self._wrapped = [None] * len(self._pieces)
        self._lines = None

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The selected part of the message (across its chunks)."""
        return selection.extract(self.content.plain), "\n"

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._wrap(width))

    def render_line(self, y: int) -> Strip:
        lines = self._wrap(self.size.width)
        if 0 <= y < len(lines):
            return lines[y]
        return Strip.blank(self.size.width, self.visual_style.rich_style)

    def _wrap(self, width: int) -> list[Strip]:
        """The message's lines at ``width``: the cached lines of each chunk, wrapping only
        the chunks that changed since (or all of them at a new width)."""
        if width != self._width:
            self._width = width
            self._forget_lines()
        if self._lines is None:
            selected = self._selected()
            lines: list[Strip] = []
            for i, strips in enumerate(self._wrapped):
                if strips is None:
                    strips = self._wrapped[i] = self._wrap_chunk(i, width, selected)
                lines.extend(strips)
            self._lines = lines
        return self._lines

    def _wrap_chunk(
        self, index: int, width: int, selected: tuple[int, int, VisualStyle] | None
    ) -> list[Strip]:
        if width <= 0:
            return []
        self.wraps += 1
        piece, start = self._pieces[index], self._starts[index]
        plain = self.content.plain
        if selected is not None:  # the part of the selection in this chunk, highlighted
            begin, end, style = selected
            begin, end = max(begin - start, 0), min(end - start, len(piece.plain))
            if begin < end:
                piece = piece.stylize(style, begin, end)
        strips = Visual.to_strips(
            self, piece, width, None, self.visual_style, apply_selection=False
        )
        # the chunk's lines count from the chunk's start; text selection needs the message's
        # line and column (the chunk may start mid-line, at a sentence end)
        y0 = plain.count("\n", 0, start)
        x0 = start - (plain.rfind("\n", 0, start) + 1)
        if not (x0 or y0):
            return strips
        return [_shift_offsets(strip, x0, y0) for strip in strips]

    def _selected(self) -> tuple[int, int, VisualStyle] | None:
        """The text selection as ``(begin, end, style)``: offsets into ``content.plain`` and
        the highlight; None when nothing is selected here."""
        selection = self.text_selection
        if selection is None:
            return None
        plain = self.content.plain
        line_starts = [0, *(match.end() for match in re.finditer("\n", plain))]

        def index(offset: Offset | None, default: int) -> int:
            if offset is None:
                return default
            row = min(max(offset.y, 0), len(line_starts) - 1)
            return min(line_starts[row] + offset.x, len(plain))

        style = VisualStyle.from_styles(self.screen.get_component_styles("screen--selection"))
        return index(selection.start, 0), index(selection.end, len(plain)), style


def _shift_offsets(strip: Strip, x0: int, y0: int) -> Strip:
    """``strip`` (a line of a chunk) with its text-selection offsets moved to the message's."""
    for segment in strip:
        offset = segment.style.meta.get("offset") if segment.style is not None else None
        if offset is not None:
            x, y = offset
            return strip.apply_offsets(x + (x0 if y == 0 else 0), y + y0)
    return strip


_SENTENCE_END = re.compile(r"[.!?…][\"')\]]*\s+|\n+")
_SPACE = re.compile(r"\s+")


def chunk_cuts(text: str, size: int) -> list[int]:
    """Offsets at which to cut ``text`` into chunks of at least ``size`` characters, each at
    a sentence end or line break (after the whitespace that follows it), or at a space when no
    sentence ends within ``2 * size``. A cut depends only on the text before it, so the cuts
    of a growing text never move."""
    cuts: list[int] = []
    start = 0
    while True:
        match = _SENTENCE_END.search(text, start + size, start + 2 * size)
        if match is None:  # a long run with no sentence end: cut at a space
            match = _SPACE.search(text, start + 2 * size)
        if match is None or match.end() >= len(text):
            return cuts
        cuts.append(match.end())
        start = match.end()


class ToolCard(Static, can_focus=True):
    """A tool call: name, pretty arguments, spinner while running, result or error, duration.

    Focusable (tab, click): ``i`` on a running card asks to cancel it (a stuck tool is
    flagged with the line it waits on)."""

    BINDINGS = [Binding("i", "cancel_tool", "Cancel tool", show=False)]

    class CancelRequested(Message):
        """``i`` on a running tool card: the app asks whether to cancel it."""

        def __init__(self, call: ToolCall) -> None:
            super().__init__()
            self.call = call

    DEFAULT_CSS = """
    ToolCard {
        border: round $accent 60%;
        border-title-color: $accent;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
        padding: 0 1;
        margin: 1 0 0 4;
    }
    ToolCard.-failed {
        border: round $error;
        border-title-color: $error;
    }
    ToolCard.-done {
        border-subtitle-color: $success;
    }
    ToolCard.-mocked {
        border: round $warning 60%;
        border-title-color: $warning;
    }
    ToolCard:focus {
        border: round $accent;
    }
    ToolCard.-failed {
        border-subtitle-color: $error;
    }
    ToolCard.-stuck {
        border: round $warning;
        border-subtitle-color: $warning;
    }
    ToolCard:focus {
        border: double $accent;
    }
    """

    can_focus = True
    """Tab selects a card (``k`` then mocks that tool with this result)."""
    call: ToolCall | None = None
    """The call shown."""

    def action_cancel_tool(self) -> None:
        """Ask to cancel this tool if it runs; otherwise ``i`` interrupts, as anywhere."""
        if self.call is not None and self.call.running:
            self.post_message(self.CancelRequested(self.call))
        else:
            self.app.action_interrupt()  # type: ignore[attr-defined]

    def show(self, call: ToolCall, now: float, frame: int) -> None:
        """Render ``call``; ``now`` and ``frame`` drive the running indicator."""
        self.call = call
        mocked = call.mocked
        self.border_title = f"⚙ {call.name}" + (" · mocked" if mocked else "")
        self.set_class(mocked, "-mocked")
        self.set_class(call.running and call.stuck, "-stuck")
        self.set_class(not call.running and call.error is None, "-done")
        self.set_class(call.error is not None, "-failed")
        if call.running:
            elapsed = max(now - call.t, 0.0)
            self.border_subtitle = (
                f"{SPINNER[frame % len(SPINNER)]} running {format_seconds(elapsed)}"
                + (" · stuck? i cancels" if call.stuck else "")
            )
        elif call.error is not None:
            self.border_subtitle = f"✗ failed · {format_seconds(call.duration)}"
        else:
            self.border_subtitle = f"✓ {format_seconds(call.duration)}"
        args = call.pretty_arguments
        parts: list[Content | tuple[str, str] | str] = [
            highlight_json(args) if args else Content.styled("(no arguments)", "$text-muted")
        ]
        if call.error is not None:
            parts += ["\n", ("✗ ", "bold $error"), (call.error, "$text-error")]
        elif call.output is not None:
            parts += ["\n", ("→ ", "bold $success"), _clip(call.output)]
        elif call.running and call.stuck:
            parts += ["\n", ("⚠ still running", "bold $warning")]
            if call.stuck_where:
                parts += [
                    (", waiting at ", "$warning"),
                    (where_text(call.stuck_where), "bold $warning"),
                    "\n  ",
                    (str(call.stuck_where.get("code") or ""), "$text-muted"),
                ]
        elif call.running:
            parts += ["\n", ("… waiting for the result", "italic $text-muted")]
        self.update(Content.assemble(*parts))


def _clip(text: str, limit: int = MAX_OUTPUT_LINES) -> Content:
    lines = text.splitlines() or [""]
    if len(lines) <= limit:
        return Content(text)
    more = len(lines) - limit
    return Content.assemble("\n".join(lines[:limit]), (f"\n… {more} more lines", "$text-muted"))


_MARKER_GLYPHS = {
    "reload": "↻ ",
    "agent": "",
    "task": "◇ ",
    "uninterruptible": "⊘ ",
    "user_audio_discarded": "⊘ ",
    "false_interruption": "↯ ",
    "overlapping_speech": "≋ ",
}
"""The glyph before a marker's text, by kind (an agent change reads "→ Billing")."""

_NOTE_KINDS = frozenset({"user_audio_discarded", "false_interruption", "overlapping_speech"})
"""Turn-taking notes (issue 10): one wrapped line, no rule. Every other kind is a divider."""


class MarkerView(Widget):
    """A divider across the pane, e.g. ``──── ↻ reloaded: agent.py ────``."""

    DEFAULT_CSS = """
    MarkerView {
        height: 1;
        margin: 1 0 0 0;
        color: $warning;
    }
    MarkerView.-note {
        height: auto;
        margin: 1 4 0 0;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._text = ""
        self._t = 0.0
        self._kind = "reload"

    def show(self, marker: Marker) -> None:
        """Render ``marker``."""
        glyph = _MARKER_GLYPHS.get(marker.kind, "↻ ")
        self._text = f" {glyph}{marker.text} · {_clock(marker.t)} "
        self._kind = marker.kind
        self.set_class(marker.kind in _NOTE_KINDS, "-note")
        self.refresh()

    def render(self) -> Content:
        width = self.size.width
        if self._kind in _NOTE_KINDS:
            # a turn-taking note (issue 10): one line, wrapped to the pane, no rule
            color = "$error" if self._kind == "user_audio_discarded" else "$warning"
            return Content.styled(self._text.strip(), f"bold {color}")
        side = max((width - len(self._text)) // 2, 2)
        rest = max(width - side - len(self._text), 2)
        return Content.assemble(
            ("─" * side, "$warning 50%"), self._text, ("─" * rest, "$warning 50%")
        )


class CrashView(Static):
    """The job crashed: its traceback, and what happens next."""

    DEFAULT_CSS = """
    CrashView {
        border: heavy $error;
        border-title-color: $error;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
        padding: 0 1;
        margin: 1 0 0 0;
        background: $error 8%;
    }
    """

    def show(self, crash: Crash) -> None:
        """Render ``crash``."""
        code = f" · exit code {crash.code}" if crash.code is not None else ""
        self.border_title = f"✗ job crashed{code}"
        self.border_subtitle = "save a file to reload · r reloads now"
        if not crash.error:
            self.update(
                Content.styled("The job process exited without a traceback.", "$text-error")
            )
            return
        lines = crash.error.rstrip().splitlines()
        if len(lines) > MAX_TRACEBACK_LINES:
            dropped = len(lines) - MAX_TRACEBACK_LINES
            lines = [f"… {dropped} lines above"] + lines[-MAX_TRACEBACK_LINES:]
        self.update(highlight_traceback("\n".join(lines)))


class BlockedView(Static):
    """The agent's event loop was blocked: where, and for how long (a warning line)."""

    DEFAULT_CSS = """
    BlockedView {
        border-left: outer $warning;
        color: $warning;
        padding: 0 1;
        margin: 1 0 0 0;
        background: $warning 8%;
    }
    """

    def show(self, block: Blocked, now: float) -> None:
        """Render ``block``; ``now`` (event time) advances "so far" between reports."""
        place = where_text(block.where) or "a line outside the agent's files"
        if block.ongoing:
            # the last report said `duration` at `block.at`: it has gone on since
            so_far = block.duration + max(now - block.at, 0.0)
            head = f"⚠ the agent's loop is blocked ({so_far:.1f} s so far) at {place}"
        elif block.count > 1:
            head = (
                f"⚠ the agent's loop was blocked {block.count} times "
                f"({block.total:.2f} s in all, longest {block.longest:.2f} s) at {place}"
            )
        else:
            head = f"⚠ the agent's loop was blocked {block.duration:.2f} s at {place}"
        parts: list[Content | tuple[str, str] | str] = [(head, "bold $warning")]
        code = (block.where or {}).get("code")
        if code:
            parts += ["\n  ", (str(code), "$foreground")]
        if block.ongoing:
            parts += ["\n", ("nothing runs meanwhile: no audio, no VAD, no replies", "$text-muted")]
        self.update(Content.assemble(*parts))


class ErrorLineView(Static):
    """An error in the agent's code that was swallowed (a task nobody awaited, an error the
    framework logged and carried on from): the message and the agent's line."""

    DEFAULT_CSS = """
    ErrorLineView {
        border-left: outer $error;
        padding: 0 1;
        margin: 1 0 0 0;
        background: $error 8%;
    }
    """

    def show(self, error: ErrorLine) -> None:
        """Render ``error``."""
        label = "✗ error in a task" if error.source == "task" else "✗ error"
        parts: list[Content | tuple[str, str] | str] = [
            _head(
                label, "bold $error", error.t, Content.styled(where_text(error.where), "$accent")
            ),
            "\n",
            (error.message.split(" (at ", 1)[0], "$text-error"),
        ]
        code = (error.where or {}).get("code")
        if code:
            parts += ["\n  ", (str(code), "$foreground")]
        self.update(Content.assemble(*parts))


ItemView = (
    UserTurnView | AgentTurnView | ToolCard | MarkerView | CrashView | BlockedView | ErrorLineView
)


class ConversationView(VerticalScroll):
    """Scrolling list of conversation items, pinned to the bottom unless the user scrolls up.

    Data in: :meth:`sync` with the items that changed (new ones last); it mounts views for new
    items and redraws changed ones, so a frame costs only what changed.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "select_turn(-1)", "Previous turn", show=False),
        Binding("down", "select_turn(1)", "Next turn", show=False),
    ]

    class TurnSelected(Message):
        """The user picked a user turn (arrows or mouse); ``item_id`` is its item id."""

        def __init__(self, item_id: int) -> None:
            super().__init__()
            self.item_id = item_id

    DEFAULT_CSS = """
    ConversationView {
        padding: 0 1 1 1;
    }
    ConversationView > #empty {
        color: $text-muted;
        margin: 1 2;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._views: dict[int, ItemView] = {}
        self._running_calls: dict[int, ToolCall] = {}
        self._ongoing_blocks: dict[int, Blocked] = {}
        self._now = 0.0
        self._frame = 0
        self.selected: int | None = None
        """Item id of the selected user turn (None: follow the latest)."""

    def select_item(self, item_id: int | None) -> None:
        """Select the user turn ``item_id`` (None: none) and tell the app."""
        old = self._views.get(self.selected) if self.selected is not None else None
        if old is not None:
            old.remove_class("-selected")
        self.selected = item_id
        view = self._views.get(item_id) if item_id is not None else None
        if view is not None:
            view.add_class("-selected")
            self.scroll_to_widget(view, animate=False)
        if item_id is not None:
            self.post_message(self.TurnSelected(item_id))

    def action_select_turn(self, step: int) -> None:
        """Select the previous (-1) or next (+1) user turn."""
        ids = [i for i, v in self._views.items() if isinstance(v, UserTurnView)]
        if not ids:
            return
        if self.selected not in ids:
            target = ids[-1] if step < 0 else ids[0]
        else:
            pos = ids.index(self.selected) + step
            target = ids[min(max(pos, 0), len(ids) - 1)]
        self.select_item(target)

    def on_mount(self) -> None:
        self.mount(
            Static(
                "Nothing said yet. Speak, or press [b]t[/b] to type as the user, "
                "[b]s[/b] to make the agent say something.",
                id="empty",
            )
        )
        self.anchor()

    def view_for(self, item_id: int) -> ItemView | None:
        """The view showing item ``item_id`` (for tests)."""
        return self._views.get(item_id)

    def sync(self, items: list[Item], now: float, frame: int) -> None:
        """Show ``items`` (added or changed); ``now``/``frame`` animate running tools."""
        self._now, self._frame = now, frame
        new: list[ItemView] = []
        for item in items:
            view = self._views.get(item.id)
            if view is None:
                view = _make_view(item)
                if isinstance(view, UserTurnView):
                    view.item_id = item.id
                self._views[item.id] = view
                new.append(view)
            self._show(view, item)
        if new:
            for placeholder in self.query("#empty"):
                placeholder.remove()
            self.mount_all(new)

    def clear(self) -> None:
        """Remove every item (the viewer rebuilds the conversation when scrubbing back)."""
        self._views.clear()
        self._running_calls.clear()
        self.remove_children()

    def tick(self, now: float, frame: int) -> None:
        """Advance running tool indicators (called on a timer while any tool runs)."""
        self._now, self._frame = now, frame
        for item_id, call in list(self._running_calls.items()):
            view = self._views[item_id]
            if isinstance(view, ToolCard):
                view.show(call, now, frame)
        for item_id, block in list(self._ongoing_blocks.items()):
            view = self._views[item_id]
            if isinstance(view, BlockedView):
                view.show(block, now)

    @property
    def has_running_tools(self) -> bool:
        """Any tool card still running, or a block still going on (both tick)."""
        return bool(self._running_calls) or bool(self._ongoing_blocks)

    def _show(self, view: ItemView, item: Item) -> None:
        if isinstance(view, ToolCard) and isinstance(item, ToolCall):
            view.show(item, self._now, self._frame)
            if item.running:
                self._running_calls[item.id] = item
            else:
                self._running_calls.pop(item.id, None)
        elif isinstance(view, UserTurnView) and isinstance(item, UserTurn):
            view.show(item)
        elif isinstance(view, AgentTurnView) and isinstance(item, AgentTurn):
            view.show(item)
        elif isinstance(view, MarkerView) and isinstance(item, Marker):
            view.show(item)
        elif isinstance(view, CrashView) and isinstance(item, Crash):
            view.show(item)
        elif isinstance(view, BlockedView) and isinstance(item, Blocked):
            view.show(item, self._now)
            if item.ongoing:
                self._ongoing_blocks[item.id] = item
            else:
                self._ongoing_blocks.pop(item.id, None)
        elif isinstance(view, ErrorLineView) and isinstance(item, ErrorLine):
            view.show(item)


def _make_view(item: Item) -> ItemView:
    if isinstance(item, UserTurn):
        return UserTurnView(classes="turn")
    if isinstance(item, AgentTurn):
        return AgentTurnView(classes="turn")
    if isinstance(item, ToolCall):
        return ToolCard(classes="turn")
    if isinstance(item, Crash):
        return CrashView(classes="turn")
    if isinstance(item, Blocked):
        return BlockedView(classes="turn")
    if isinstance(item, ErrorLine):
        return ErrorLineView(classes="turn")
    return MarkerView()
