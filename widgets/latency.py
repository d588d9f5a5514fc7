"""Latency panel: the last turn's breakdown as a stacked bar plus p50/p95 over the session."""

from __future__ import annotations

from collections.abc import Callable

from textual.content import Content
from textual.widget import Widget

from agentconsole.state import TurnLatency

__all__ = ["LatencyPanel", "format_seconds"]

# (field, label, bar color); the stages before "e2e" add up to roughly the silence heard.
STAGES: tuple[tuple[str, str, str], ...] = (
    ("eou_delay", "end of turn", "$secondary"),
    ("transcription_delay", "transcription", "$primary"),
    ("llm_ttft", "LLM TTFT", "$accent"),
    ("tool", "tools", "$warning"),
    ("tts_ttfb", "TTS TTFB", "$success"),
)
E2E_WARN = 1.0
"""End-to-end latency at or above this (seconds) stands out."""


def format_seconds(value: float | None) -> str:
    """``420ms`` below 10 s, ``12.3s`` above, ``—`` for unknown."""
    if value is None:
        return "—"
    if value < 10:
        return f"{value * 1000:.0f}ms"
    return f"{value:.1f}s"


class LatencyPanel(Widget):
    """Per-turn latency. Data in: :meth:`update_latency`."""

    DEFAULT_CSS = """
    LatencyPanel {
        height: 9;
        width: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._last: TurnLatency | None = None
        self._turns = 0
        self._pct: Callable[[str, float], float | None] = lambda name, q: None
        self._columns = 3
        self._label = 15

    def update_latency(
        self,
        last: TurnLatency | None,
        turns: int,
        percentile: Callable[[str, float], float | None],
    ) -> None:
        """Set the latest turn, the turn count and a ``percentile(field, q)`` lookup."""
        self._last = last
        self._turns = turns
        self._pct = percentile
        self.refresh()

    def render(self) -> Content:
        last = self._last
        if last is None:
            return Content.styled("no turns yet", "$text-muted italic")
        # a narrow panel (a small terminal) drops p95, then p50, before the labels get short
        width = self.size.width or 38
        self._columns = max(1, min(3, (width - 2 - 11) // 7))
        self._label = min(max(width - 2 - 7 * self._columns, 6), 15)
        heads = ("last", "p50", "p95")[: self._columns]
        rows: list[Content] = [
            Content.assemble(
                (" " * (self._label + 2), ""),
                ("".join(f"{h:>7}" for h in heads), "$text-muted"),
            )
        ]
        for name, label, color in STAGES:
            rows.append(self._row(name, label, color, last.get(name)))
        rows.append(self._row("e2e", "end to end", "$foreground", last.e2e))
        rows.append(self._bar(last))
        return Content("\n").join(rows)

    def _row(self, name: str, label: str, color: str, value: float | None) -> Content:
        warn = name == "e2e" and value is not None and value >= E2E_WARN
        value_style = "bold $error" if warn else ("bold $foreground" if name == "e2e" else "")
        p95 = self._pct(name, 95)
        p95_style = "$error" if name == "e2e" and p95 is not None and p95 >= E2E_WARN else ""
        swatch = ("■ ", color) if name != "e2e" else ("  ", "")
        width = min(self._label, 15)
        if len(label) > width:
            label = label[: width - 1] + "…"
        cells = [
            (f"{format_seconds(value):>7}", value_style),
            (f"{format_seconds(self._pct(name, 50)):>7}", "$text-muted"),
            (f"{format_seconds(p95):>7}", p95_style or "$text-muted"),
        ][: self._columns]
        return Content.assemble(
            swatch,
            (f"{label:<{self._label}}", "$text-muted" if name != "e2e" else "bold"),
            *cells,
        )

    def _bar(self, last: TurnLatency) -> Content:
        """The last turn as one stacked bar, each stage in its color."""
        width = max(self.size.width, 10)
        values = [(last.get(name) or 0.0, color) for name, _, color in STAGES]
        total = sum(v for v, _ in values)
        if total <= 0:
            return Content("")
        parts: list[tuple[str, str]] = []
        used = 0
        for i, (value, color) in enumerate(values):
            cells = round(value / total * width) if i < len(values) - 1 else width - used
            cells = max(min(cells, width - used), 0)
            used += cells
            if cells:
                parts.append(("█" * cells, color))
        return Content.assemble(*parts)
