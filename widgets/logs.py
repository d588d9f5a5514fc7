"""Logs pane: log records and the job's stdout/stderr, filtered by level."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import RichLog

from agentconsole.state import LOG_LEVELS, LogLine, level_rank

__all__ = ["LEVEL_STYLES", "LogsPane"]

LEVEL_STYLES = {
    "DEBUG": "dim",
    "INFO": "cyan",
    "WARNING": "yellow",
    "ERROR": "bold red",
    "CRITICAL": "bold white on red",
}


class LogsPane(RichLog):
    """A scrolling log. Data in: :meth:`add` new lines, :meth:`set_min_level` to filter."""

    DEFAULT_CSS = """
    LogsPane {
        height: 12;
        border: round $primary 40%;
        border-title-color: $primary;
        border-subtitle-color: $text-muted;
        padding: 0 1;
        scrollbar-size-vertical: 1;
    }
    """

    def __init__(self, *, id: str | None = None, max_lines: int = 2000) -> None:
        super().__init__(id=id, max_lines=max_lines, wrap=False, markup=False, highlight=False)
        self.min_level = "DEBUG"
        self.border_title = "Logs"
        self._update_subtitle()

    def set_min_level(self, level: str, lines: Iterable[LogLine]) -> None:
        """Show only ``level`` and above; redraw from ``lines`` (the full history)."""
        self.min_level = level
        self._update_subtitle()
        self.clear()
        self.add(lines)

    def cycle_level(self, lines: Iterable[LogLine]) -> str:
        """Move the filter to the next level (wrapping); returns it."""
        nxt: str = LOG_LEVELS[(LOG_LEVELS.index(self.min_level) + 1) % 4]
        self.set_min_level(nxt, lines)
        return nxt

    def add(self, lines: Iterable[LogLine]) -> None:
        """Append the lines that pass the filter."""
        floor = level_rank(self.min_level)
        for line in lines:
            if level_rank(line.level) >= floor:
                self.write(_format(line))

    def _update_subtitle(self) -> None:
        self.border_subtitle = f"level ≥ {self.min_level} · f to change"


def _format(line: LogLine) -> Text:
    level = line.level.upper()
    stream = line.logger in ("stdout", "stderr")
    text = Text(no_wrap=True)
    text.append(f"{line.t:8.2f} ", "dim")
    if stream:
        text.append(f"{line.logger:<8}", "magenta")
    else:
        text.append(f"{level:<8}", LEVEL_STYLES.get(level, ""))
    if line.logger and not stream:
        text.append(f"{line.logger} ", "dim")
    text.append(line.message, "red" if line.logger == "stderr" else "")
    return text
