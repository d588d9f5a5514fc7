"""VAD probability over the last seconds: a block-character area chart with a threshold line."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual.content import Content
from textual.widget import Widget

from agentconsole.state import VadSample

__all__ = ["MARK_GLYPHS", "VadGraph", "bucket_samples", "column_overlays", "gap_columns"]

MARK_GLYPHS = {"false_interruption": "↯", "resumed": "↺", "overlap": "≋", "backchannel": "∼"}
"""Glyphs of the turn-taking marks drawn on the graph's top row."""

_BLOCKS = " ▁▂▃▄▅▆▇█"
_AXIS = 4  # width of the left axis labels ("1.0 ", " .5 ", "  0 ")


def bucket_samples(
    samples: Sequence[VadSample], now: float, window: float, columns: int
) -> list[tuple[float, bool] | None]:
    """Split the last ``window`` seconds into ``columns`` buckets.

    Each bucket holds the highest probability in it (so a short peak stays visible) and whether
    the VAD said "speaking" anywhere in it; ``None`` where there was no sample.
    """
    out: list[tuple[float, bool] | None] = [None] * columns
    if columns <= 0:
        return out
    start = now - window
    step = window / columns
    # Samples are in time order: walk back from the newest and stop at the window's start.
    for sample in reversed(samples):
        if sample.t < start:
            break
        col = min(int((sample.t - start) / step), columns - 1)
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
    start = now - window
    step = window / max(columns, 1)
    discarded = [False] * columns
    for lo, hi in discards:
        if hi < start or lo > now:
            continue
        a = max(int((lo - start) / step), 0)
        b = min(int((hi - start) / step), columns - 1)
        for col in range(a, b + 1):
            discarded[col] = True
    eot_cols: list[float | None] = [None] * columns
    for t, p in eot:
        if start <= t <= now:
            eot_cols[min(int((t - start) / step), columns - 1)] = p
    mark_cols: list[str | None] = [None] * columns
    for t, kind in marks:
        if start <= t <= now:
            mark_cols[min(int((t - start) / step), columns - 1)] = kind
    return discarded, eot_cols, mark_cols


def gap_columns(
    gaps: Iterable[tuple[float, float | None]], now: float, window: float, columns: int
) -> frozenset[int]:
    """Columns (of ``columns`` over the last ``window`` seconds) during which the agent's loop
    was blocked; a gap with no end lasts until ``now``."""
    if columns <= 0:
        return frozenset()
    start = now - window
    step = window / columns
    out: set[int] = set()
    for begin, end in gaps:
        end = now if end is None else end
        if end < start or begin > now:
            continue
        first = max(int((begin - start) / step), 0)
        last = min(int((end - start) / step), columns - 1)
        out.update(range(first, last + 1))
    return frozenset(out)


class VadGraph(Widget):
    """Plot of VAD probability: bars over time, the threshold as a dashed line, speech shaded.

    Data in: :meth:`set_samples`. Time runs right to ``now`` (the newest event time), so the
    picture depends only on the data (snapshots are stable; no wall clock).
    """

    DEFAULT_CSS = """
    VadGraph {
        height: 7;
        width: 1fr;
    }
    """

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
        self._painted: tuple[object, ...] | None = None
        self._discards: Sequence[tuple[float, float]] = ()
        self._eot: Sequence[tuple[float, float]] = ()
        self._marks: Sequence[tuple[float, str]] = ()
        self.paints = 0
        """How many times the graph was rendered (for tests and the benchmark)."""

    def set_note(self, note: str, has_probability: bool = True) -> None:
        """Set the line shown when there is nothing to draw, and whether the VAD gives
        probabilities; repaint if either changed."""
        if (note, has_probability) != (self.note, self.has_probability):
            self.note, self.has_probability = note, has_probability
            self._painted = None
            self.refresh()

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
        signature = self._signature()
        if signature != self._painted:
            self._painted = signature
            self.refresh()

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

    def _overlays(self, cols: int) -> tuple[list[bool], list[float | None], list[str | None]]:
        if not (self._discards or self._eot or self._marks):
            return [False] * cols, [None] * cols, [None] * cols
        return column_overlays(self._now, self.window, cols, self._discards, self._eot, self._marks)

    def set_threshold(self, threshold: float) -> None:
        """Move the threshold line (the VAD's activation threshold) and repaint."""
        if threshold != self.threshold:
            self.threshold = threshold
            self._painted = self._signature()
            self.refresh()

    def _signature(self) -> tuple[object, ...]:
        """What the rendered picture depends on, at the resolution it is drawn with."""
        cols = max(self.size.width - _AXIS, 1)
        eighths = self._rows_eighths()
        cells = tuple(
            (0, False, False)
            if bucket is None
            else (round(bucket[0] * eighths), bucket[0] >= self.threshold, bucket[1])
            for bucket in bucket_samples(self._samples, self._now, self.window, cols)
        )
        last = self._samples[-1] if self._samples else None
        footer = (f"{last.probability:4.2f}", last.speaking) if last else None
        discarded, eot, marks = self._overlays(cols)
        eot_cells = tuple(None if p is None else round(p * eighths) for p in eot)
        return (
            self.size,
            self.threshold,
            cells,
            footer,
            tuple(discarded),
            eot_cells,
            tuple(marks),
            self.note,
            self.has_probability,
            gap_columns(self._gaps, self._now, self.window, cols),
        )

    @property
    def sample_count(self) -> int:
        """Samples inside the window shown."""
        start = self._now - self.window
        return sum(1 for s in self._samples if s.t >= start)

    def render(self) -> Content:
        self.paints += 1
        width, height = self.size
        rows = max(height - 1, 1)
        cols = max(width - _AXIS, 1)
        buckets = bucket_samples(self._samples, self._now, self.window, cols)
        gaps = gap_columns(self._gaps, self._now, self.window, cols)
        discarded, eot, marks = self._overlays(cols)
        overlaid = any(discarded) or any(p is not None for p in eot) or any(marks) or bool(gaps)
        if self.note and not any(buckets) and not overlaid:
            pad = max(cols + _AXIS - len(self.note), 0) // 2
            blank = [Content("")] * max(rows // 2, 0)
            return Content("\n").join(
                [*blank, Content.styled(" " * pad + self.note, "$text-muted")]
            )
        thr_eighths = self.threshold * rows * 8
        thr_row = rows - 1 - min(int(thr_eighths // 8), rows - 1)
        lines: list[Content] = []
        for row in range(rows):
            base = (rows - 1 - row) * 8
            label = "1.0 " if row == 0 else "    "
            if row == thr_row:
                label = f"{self.threshold:.2f}".lstrip("0")[:3] + " "
            parts: list[tuple[str, str]] = [(label, "$text-muted")]
            for col, bucket in enumerate(buckets):
                if col in gaps:
                    # the loop was blocked: the VAD did not run, there is nothing to plot
                    parts.append(("░" if row == rows - 1 else " ", "$error on $error 20%"))
                    continue
                text, style = self._cell(bucket, base, row == thr_row)
                if discarded[col]:
                    # speech the framework withheld from the STT: not heard
                    style = f"{style.split(' on ')[0]} on $error 35%".strip()
                p = eot[col]
                if p is not None and min(int(p * rows), rows - 1) == rows - 1 - row:
                    text, style = (
                        "•",
                        f"bold $warning{style[style.find(' on ') :] if ' on ' in style else ''}",
                    )
                mark = marks[col]
                if mark is not None and row == 0:
                    text, style = MARK_GLYPHS.get(mark, "!"), "bold $error"
                parts.append((text, style))
            lines.append(_merge(parts))
        lines.append(self._footer(cols))
        return Content("\n").join(lines)

    def _cell(
        self, bucket: tuple[float, bool] | None, base: int, on_threshold: bool
    ) -> tuple[str, str]:
        shade = ""
        fill = 0
        high = False
        if bucket is not None:
            p, speaking = bucket
            fill = min(max(round(p * self._rows_eighths()) - base, 0), 8)
            high = p >= self.threshold
            shade = " on $success 25%" if speaking else ""
        if fill == 0:
            if on_threshold:
                return ("╌", f"$warning 70%{shade}")
            return (" ", shade.strip())
        color = "$accent" if high else "$primary 70%"
        return (_BLOCKS[fill], f"{color}{shade}")

    def _rows_eighths(self) -> int:
        return max(self.size.height - 1, 1) * 8

    def _footer(self, cols: int) -> Content:
        p = self._samples[-1].probability if self._samples else 0.0
        speaking = self._samples[-1].speaking if self._samples else False
        shown = f"{p:4.2f}" if self.has_probability else "  — "
        left = Content.assemble(
            ("  p ", "$text-muted"),
            (shown, "bold $accent" if p >= self.threshold else "bold $foreground"),
            "  ",
            ("● speech", "bold $success") if speaking else ("○ silence", "$text-muted"),
        )
        right = f"-{self.window:g}s … now"
        if cols + _AXIS - left.cell_length - len(right) < 1:
            right = f"-{self.window:g}s"  # a narrow panel
        gap = max(cols + _AXIS - left.cell_length - len(right), 1)
        return Content.assemble(left, " " * gap, (right, "$text-muted"))


def _merge(parts: list[tuple[str, str]]) -> Content:
    """Join cells, merging runs of one style into one span (fewer spans to render)."""
    merged: list[tuple[str, str]] = []
    for text, style in parts:
        if merged and merged[-1][1] == style:
            merged[-1] = (merged[-1][0] + text, style)
        else:
            merged.append((text, style))
    return Content.assemble(*merged)
