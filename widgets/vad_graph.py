"""VAD probability over the last seconds: a block-character area chart with a threshold line."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

from rich.segment import Segment
from rich.style import Style as RichStyle
from textual.css.styles import RulesMap
from textual.geometry import Region
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual
from textual.widget import Widget

from agentconsole.state import VadSample

__all__ = ["MARK_GLYPHS", "VadGraph", "bucket_samples", "column_overlays", "gap_columns"]

MARK_GLYPHS = {"false_interruption": "↯", "resumed": "↺", "overlap": "≋", "backchannel": "∼"}
"""Glyphs of the turn-taking marks drawn on the graph's top row."""

_BLOCKS = " ▁▂▃▄▅▆▇█"
_AXIS = 4  # width of the left axis labels ("1.0 ", " .5 ", "  0 ")

# What the cells are drawn with: Textual style strings, resolved once per theme (VadGraph._rich)
_MUTED = "$text-muted"
_BAR = "$primary 70%"
_BAR_HIGH = "$accent"
_THRESHOLD = "$warning 70%"
_EOT = "bold $warning"
_MARK = "bold $error"
_GAP = "$error on $error 20%"
_SPEECH = "$success 25%"  # backgrounds
_DISCARDED = "$error 35%"

Column = tuple[int, bool, bool, bool, int, str | None] | None
"""One column of the picture: (fill in eighths of a row, over the threshold, speech, speech
withheld from the STT, the turn detector's row or -1, mark); None where the loop was blocked."""

_EMPTY: Column = (0, False, False, False, -1, None)
"""A column with nothing to draw."""


class _Grid(NamedTuple):
    """Columns of ``step`` seconds on a grid fixed in time, the newest holding ``now``.

    On a fixed grid a sample stays in its column until the whole picture steps one column to
    the left: between steps only the newest column can change, and equal pictures are not
    repainted. Columns that slid with each new sample re-split the samples among them at
    every inference, so the picture shimmered and repainted at the VAD's full rate for as
    long as any speech was on screen.
    """

    step: float
    first: int  # the grid cell (floor(t / step)) shown in column 0

    @classmethod
    def of(cls, now: float, window: float, columns: int) -> _Grid:
        step = window / max(columns, 1)
        return cls(step, math.floor(now / step) - max(columns, 1) + 1)

    def column(self, t: float) -> int:
        """The column of time ``t`` (negative: before the first column)."""
        return math.floor(t / self.step) - self.first


def bucket_samples(
    samples: Sequence[VadSample], now: float, window: float, columns: int
) -> list[tuple[float, bool] | None]:
    """Split the last ``window`` seconds into ``columns`` buckets (on a grid fixed in time,
    the last holding ``now``).

    Each bucket holds the highest probability in it (so a short peak stays visible) and whether
    the VAD said "speaking" anywhere in it; ``None`` where there was no sample.
    """
    out: list[tuple[float, bool] | None] = [None] * columns
    if columns <= 0:
        return out
    grid = _Grid.of(now, window, columns)
    # Samples are in time order: walk back from the newest and stop at the window's start.
    for sample in reversed(samples):
        col = grid.column(sample.t)
        if col < 0:
            break
        col = min(col, columns - 1)
        prev = out[col]
        if prev is None:
            out[col] = (sample.probability, sample.speaking)
        else:
            out[col] = (max(prev[0], sample.probability), prev[1] or sample.speaking)
    return out


def column_overlays(
    now: float,
    window: float,
    columns: int,
    discards: Sequence[tuple[float, float]],
    eot: Sequence[tuple[float, float]],
    marks: Sequence[tuple[float, str]],
) -> tuple[list[bool], list[float | None], list[str | None]]:
    """Per column: inside discarded speech, the latest end-of-turn probability, a mark."""
    grid = _Grid.of(now, window, columns)
    last = columns - 1
    discarded = [False] * columns
    for lo, hi in discards:
        a, b = max(grid.column(lo), 0), min(grid.column(hi), last)
        for col in range(a, b + 1):
            discarded[col] = True
    eot_cols: list[float | None] = [None] * columns
    for t, p in eot:
        col = grid.column(t)
        if 0 <= col and t <= now:
            eot_cols[min(col, last)] = p
    mark_cols: list[str | None] = [None] * columns
    for t, kind in marks:
        col = grid.column(t)
        if 0 <= col and t <= now:
            mark_cols[min(col, last)] = kind
    return discarded, eot_cols, mark_cols


def gap_columns(
    gaps: Iterable[tuple[float, float | None]], now: float, window: float, columns: int
) -> frozenset[int]:
    """Columns (of ``columns`` over the last ``window`` seconds) during which the agent's loop
    was blocked; a gap with no end lasts until ``now``."""
    if columns <= 0:
        return frozenset()
    grid = _Grid.of(now, window, columns)
    out: set[int] = set()
    for begin, end in gaps:
        end = now if end is None else end
        first, last = max(grid.column(begin), 0), min(grid.column(end), columns - 1)
        out.update(range(first, last + 1))
    return frozenset(out)


class _Model(NamedTuple):
    """What one picture of the graph shows: two equal models draw the same picture."""

    width: int
    rows: int
    threshold: float
    columns: tuple[Column, ...]
    footer: tuple[str, bool] | None
    note: str  # shown instead of the graph ("" to draw the graph)
    has_probability: bool


class VadGraph(Widget):
    """Plot of VAD probability: bars over time, the threshold as a dashed line, speech shaded.

    Data in: :meth:`set_samples`. Time runs right to the column holding ``now`` (the newest
    event time) on a grid fixed in time (:class:`_Grid`), so the picture depends only on the
    data (snapshots are stable; no wall clock).

    It repaints up to 30 times a second while speech scrolls through it, so the picture is
    drawn as strips from styles resolved once per theme rather than as markup: the column
    model (:meth:`_model`) is computed once per sample batch, compared with the last one
    painted, and the paint reuses it.
    """

    DEFAULT_CSS = """
    VadGraph {
        height: 7;
        width: 1fr;
    }
    """
    ALLOW_SELECT = False
    auto_links = False

    def __init__(
        self,
        window: float = 8.0,
        threshold: float = 0.5,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.window = window
        """Seconds shown."""
        self.threshold = threshold
        """Activation threshold drawn as a line."""
        self._samples: Sequence[VadSample] = ()
        self._gaps: tuple[tuple[float, float | None], ...] = ()
        self._now = 0.0
        self.has_probability = True
        """False for a VAD that gives no probability: only speech segments are shaded."""
        self.note = ""
        """Shown instead of the graph while there are no samples (e.g. a realtime model)."""
        self._painted: _Model | None = None
        self._discards: Sequence[tuple[float, float]] = ()
        self._eot: Sequence[tuple[float, float]] = ()
        self._marks: Sequence[tuple[float, str]] = ()
        self._styles: dict[str, RichStyle] = {}
        self._cells: dict[tuple[Column, int, int], tuple[tuple[str, str], ...]] = {}
        self._bars: tuple[tuple[object, ...], list[Strip]] | None = None
        self.paints = 0
        """How many times the graph was rendered (for tests and the benchmark)."""

    def set_note(self, note: str, has_probability: bool = True) -> None:
        """Set the line shown when there is nothing to draw, and whether the VAD gives
        probabilities; repaint if either changed."""
        if (note, has_probability) != (self.note, self.has_probability):
            self.note, self.has_probability = note, has_probability
            self._update()

    def set_samples(
        self,
        samples: Sequence[VadSample],
        now: float,
        gaps: Iterable[tuple[float, float | None]] = (),
    ) -> None:
        """Give the graph its data (the newest sample last); repaint only if the picture changes.

        In silence the VAD reports ~31 near-zero probabilities a second that draw the same
        picture: skipping those repaints keeps an idle console nearly free of CPU.
        """
        self._samples = samples
        self._now = now
        # gaps: when the agent's loop was blocked (no VAD ran): shaded in the graph
        self._gaps = tuple(gaps)
        self._update()

    def set_overlays(
        self,
        discards: Sequence[tuple[float, float]],
        eot: Sequence[tuple[float, float]],
        marks: Sequence[tuple[float, str]],
    ) -> None:
        """Turn-timeline overlays: discarded speech spans ``(start, end)`` (shaded red), the
        turn detector's ``(t, probability)`` (dots) and ``(t, kind)`` marks (top row glyphs).
        Takes effect with the next :meth:`set_samples`."""
        self._discards, self._eot, self._marks = discards, eot, marks

    def set_threshold(self, threshold: float) -> None:
        """Move the threshold line (the VAD's activation threshold) and repaint."""
        if threshold != self.threshold:
            self.threshold = threshold
            self._update()

    def on_resize(self) -> None:
        self._update()

    def notify_style_update(self) -> None:
        self._styles.clear()  # a new theme: resolve the colours again
        self._bars = None
        super().notify_style_update()

    def _update(self) -> None:
        model = self._model()
        old = self._painted
        if model == old:
            return
        self._painted = model
        if old is None or model._replace(columns=old.columns, footer=old.footer) != old:
            self.refresh()  # more than the bars and the readout changed
            return
        # Between two steps of the grid a new inference changes the readout below the graph
        # and at most the newest column: only those cells are repainted (a whole repaint goes
        # through every line of the graph and every cell of it on the screen)
        regions = []
        if model.columns != old.columns:
            if model.columns[:-1] != old.columns[:-1]:
                self.refresh()
                return
            regions.append(Region(model.width - 1, 0, 1, model.rows))
        if model.footer != old.footer:
            regions.append(Region(0, model.rows, model.width, 1))
        self.refresh(*regions)

    def _model(self) -> _Model:
        """Everything the picture shows, at the resolution it is drawn with."""
        width = self.size.width
        rows = self._rows()
        cols = max(width - _AXIS, 1)
        eighths = rows * 8
        buckets = bucket_samples(self._samples, self._now, self.window, cols)
        gaps = gap_columns(self._gaps, self._now, self.window, cols)
        if self._discards or self._eot or self._marks:
            discarded, eot, marks = column_overlays(
                self._now, self.window, cols, self._discards, self._eot, self._marks
            )
        else:
            discarded, eot, marks = [False] * cols, [None] * cols, [None] * cols
        columns: list[Column] = []
        for col, bucket in enumerate(buckets):
            if col in gaps:
                columns.append(None)
                continue
            p = eot[col]
            eot_row = -1 if p is None else rows - 1 - min(int(p * rows), rows - 1)
            if bucket is None:
                columns.append((0, False, False, discarded[col], eot_row, marks[col]))
            else:
                prob, speaking = bucket
                fill = round(prob * eighths)
                high = prob >= self.threshold
                columns.append((fill, high, speaking, discarded[col], eot_row, marks[col]))
        last = self._samples[-1] if self._samples else None
        footer = (f"{last.probability:4.2f}", last.speaking) if last else None
        blank = self.note and not any(buckets) and all(c == _EMPTY for c in columns)
        return _Model(
            width,
            rows,
            self.threshold,
            tuple(columns),
            footer,
            self.note if blank else "",
            self.has_probability,
        )

    @property
    def sample_count(self) -> int:
        """Samples inside the window shown."""
        start = self._now - self.window
        return sum(1 for s in self._samples if s.t >= start)

    def render(self) -> _Picture:
        self.paints += 1
        model = self._painted
        if model is None or (model.width, model.rows) != (self.size.width, self._rows()):
            model = self._painted = self._model()  # painted before the resize was handled
        width, rows, threshold, columns, _, note, _ = model
        if note:
            pad = max(width - len(note), 0) // 2
            lines = [[("", "")] for _ in range(max(rows // 2, 0))]
            return self._picture([*lines, [(" " * pad + note, _MUTED)]], width)
        # the bars' strips are kept while only the readout under them changes
        bars = (width, rows, threshold, columns)
        if self._bars is None or self._bars[0] != bars:
            self._bars = (bars, self._draw_bars(width, rows, threshold, columns))
        return _Picture([*self._bars[1], self._strips([self._footer(width)], width)[0]])

    def _draw_bars(
        self, width: int, rows: int, threshold: float, columns: tuple[Column, ...]
    ) -> list[Strip]:
        thr_row = rows - 1 - min(int(threshold * rows), rows - 1)
        # a column's cells, top to bottom, depend only on the column: most columns repeat
        # (silence, a steady level), so each kind is drawn once
        cells = self._cells
        if len(cells) > 4096:
            cells.clear()
        drawn = []
        for column in columns:
            key = (column, rows, thr_row)
            col = cells.get(key)
            if col is None:
                col = cells[key] = tuple(
                    _cell(column, (rows - 1 - row) * 8, row, rows, row == thr_row)
                    for row in range(rows)
                )
            drawn.append(col)
        lines = []
        for row in range(rows):
            label = "1.0 " if row == 0 else "    "
            if row == thr_row:
                label = f"{threshold:.2f}".lstrip("0")[:3] + " "
            lines.append([(label, _MUTED), *(col[row] for col in drawn)])
        return self._strips(lines, width)

    def _rows(self) -> int:
        """Rows of bars: the widget's height less the footer line."""
        return max(self.size.height - 1, 1)

    def _picture(self, lines: list[list[tuple[str, str]]], width: int) -> _Picture:
        """A picture of ``(text, style)`` cells (see :meth:`_strips`)."""
        return _Picture(self._strips(lines, width))

    def _strips(self, lines: list[list[tuple[str, str]]], width: int) -> list[Strip]:
        """Strips ``width`` cells wide from ``(text, style)`` cells: runs of one style become
        one segment."""
        base = self.visual_style
        rich = self._rich
        text_of = itemgetter(0)
        strips = []
        for parts in lines:
            segments = [
                Segment("".join(map(text_of, run)), rich(base, style))
                for style, run in groupby(parts, key=itemgetter(1))
            ]
            strips.append(Strip(segments).adjust_cell_length(width, base.rich_style))
        return strips

    def _rich(self, base: Style, style: str | None) -> RichStyle:
        rich = self._styles.get(style or "")
        if rich is None:
            rich = (base + self._get_style(style)).rich_style if style else base.rich_style
            self._styles[style or ""] = rich
        return rich

    def _footer(self, width: int) -> list[tuple[str, str]]:
        p = self._samples[-1].probability if self._samples else 0.0
        speaking = self._samples[-1].speaking if self._samples else False
        shown = f"{p:4.2f}" if self.has_probability else "  — "
        left = [
            ("  p ", _MUTED),
            (shown, "bold $accent" if p >= self.threshold else "bold $foreground"),
            ("  ", ""),
            ("● speech", "bold $success") if speaking else ("○ silence", _MUTED),
        ]
        used = sum(len(text) for text, _ in left)
        right = f"-{self.window:g}s … now"
        if width - used - len(right) < 1:
            right = f"-{self.window:g}s"  # a narrow panel
        gap = max(width - used - len(right), 1)
        return [*left, (" " * gap, ""), (right, _MUTED)]


def _cell(column: Column, base: int, row: int, rows: int, on_threshold: bool) -> tuple[str, str]:
    """The text and style of one cell of a column, ``base`` eighths above the bottom."""
    if column is None:
        # the loop was blocked: the VAD did not run, there is nothing to plot
        return ("░" if row == rows - 1 else " ", _GAP)
    fill_total, high, speaking, discarded, eot_row, mark = column
    if mark is not None and row == 0:
        return MARK_GLYPHS.get(mark, "!"), _MARK
    # speech the framework withheld from the STT (not heard) is shaded red over the green
    shade = _DISCARDED if discarded else _SPEECH if speaking else ""
    if eot_row == row:
        return "•", f"{_EOT} on {shade}" if shade else _EOT
    fill = min(max(fill_total - base, 0), 8)
    if fill == 0:
        if on_threshold:
            return "╌", f"{_THRESHOLD} on {shade}" if shade else _THRESHOLD
        return " ", f"on {shade}" if shade else ""
    color = _BAR_HIGH if high else _BAR
    return _BLOCKS[fill], f"{color} on {shade}" if shade else color


class _Picture(Visual):
    """The graph's strips, painted; ``str()`` gives its text (tests read it)."""

    def __init__(self, strips: list[Strip]) -> None:
        self.strips = strips

    def __str__(self) -> str:
        return "\n".join(strip.text for strip in self.strips)

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        return self.strips if height is None else self.strips[:height]

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return max((strip.cell_length for strip in self.strips), default=0)

    def get_height(self, rules: RulesMap, width: int) -> int:
        return len(self.strips)
