"""The whole session on one line: VAD over time, the user's and the agent's turns, a cursor.

Used by ``agentconsole view``: left/right move the cursor, and the rest of the screen shows the
session as it was at the cursor. Data in: :meth:`Timeline.set_session` (once) and
:meth:`Timeline.set_cursor`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.content import Content
from textual.widget import Widget

from agentconsole.state import VadSample

__all__ = ["Mark", "Timeline"]

_BLOCKS = " ▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Mark:
    """Something at time ``t`` drawn under the VAD row: ``kind`` is ``user``, ``agent`` or
    ``tool``."""

    t: float
    kind: str


_MARK_GLYPH = {
    "user": ("U", "bold $primary"),
    "agent": ("A", "bold $success"),
    "tool": ("⚙", "bold $accent"),
}


def format_clock(t: float) -> str:
    """``m:ss.s``."""
    t = max(t, 0.0)
    return f"{int(t // 60)}:{t % 60:04.1f}"


class Timeline(Widget):
    """Three rows: VAD probability (peak per column), turn marks, and the time under the
    cursor with the playback state."""

    DEFAULT_CSS = """
    Timeline {
        height: 3;
        width: 1fr;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._samples: Sequence[VadSample] = ()
        self._marks: Sequence[Mark] = ()
        self.start = 0.0
        self.end = 1.0
        self.cursor = 0.0
        self.playing = False

    def set_session(
        self, samples: Sequence[VadSample], marks: Sequence[Mark], start: float, end: float
    ) -> None:
        """The whole session: VAD samples, marks, and its time span (console seconds)."""
        self._samples = samples
        self._marks = marks
        self.start = start
        self.end = max(end, start + 0.1)
        self.refresh()

    def set_cursor(self, t: float, playing: bool) -> None:
        """Move the cursor (clamped to the session) and show whether audio plays."""
        self.cursor = min(max(t, self.start), self.end)
        self.playing = playing
        self.refresh()

    def column_of(self, t: float, columns: int) -> int:
        """The column time ``t`` falls in, for ``columns`` columns."""
        span = self.end - self.start
        return min(columns - 1, max(0, int((t - self.start) / span * columns)))

    def render(self) -> Content:
        width = max(self.content_region.width, 10)
        peaks: list[float] = [-1.0] * width
        for s in self._samples:
            col = self.column_of(s.t, width)
            peaks[col] = max(peaks[col], s.probability)
        cursor = self.column_of(self.cursor, width)
        vad_parts: list[tuple[str, str] | str] = []
        for col, p in enumerate(peaks):
            glyph = " " if p < 0 else _BLOCKS[min(8, int(p * 8 + 0.5))]
            style = "$primary" if p >= 0.5 else "$primary 50%"
            if col == cursor:
                glyph, style = ("│" if glyph == " " else glyph), "reverse $warning"
            vad_parts.append((glyph, style))
        marks: list[tuple[str, str]] = [(" ", "")] * width
        for m in self._marks:
            col = self.column_of(m.t, width)
            marks[col] = _MARK_GLYPH.get(m.kind, ("·", ""))
        marks[cursor] = ("▲", "bold $warning")
        state = "▶ playing" if self.playing else "❚❚ paused"
        info = (
            f"{format_clock(self.cursor - self.start)} / {format_clock(self.end - self.start)}"
            f"  {state}  ·  ←/→ 1 s  shift+←/→ 5 s  home/end  space play"
        )
        return Content.assemble(*vad_parts, "\n", *marks, "\n", (info, "$text-muted"))
