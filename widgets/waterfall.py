"""One turn's waterfall: where the time went from the end of the user's speech to the first
agent audio heard, segment by segment, with the setting that owns each wait and the session's
p50/p95 per segment; then the turn's and the session's usage."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.content import Content
from textual.widget import Widget

from agentconsole.turns_state import SEGMENT_NAMES, TurnRecord
from agentconsole.widgets.latency import format_seconds

__all__ = ["SEGMENT_COLORS", "Waterfall", "format_usage"]

SEGMENT_COLORS: dict[str, str] = {
    "vad_silence": "$secondary",
    "stt_final": "$primary",
    "end_of_turn": "$warning 70%",
    "on_user_turn_completed": "$text-muted",
    "llm_ttft": "$accent",
    "tools": "$warning",
    "tts_ttfb": "$success",
    "playout": "$foreground 60%",
}
_LABEL = 13
_NUMBERS = 7 + 7 + 7  # duration, p50, p95
_USAGE_LINES = 4


def usage_rows(turn: dict[str, Any], session: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``(label, turn, session)`` rows: LLM tokens (in/cached/out), TTS characters, STT
    seconds."""

    def tokens(u: dict[str, Any]) -> str:
        if not u:
            return "—"
        return (
            f"{int(u.get('llm_prompt_tokens') or 0)}/{int(u.get('llm_cached_tokens') or 0)}"
            f"/{int(u.get('llm_completion_tokens') or 0)}"
        )

    def chars(u: dict[str, Any]) -> str:
        return str(int(u.get("tts_characters") or 0)) if u else "—"

    def seconds(u: dict[str, Any]) -> str:
        return f"{float(u.get('stt_seconds') or 0.0):.1f}" if u else "—"

    return [
        ("LLM in/cached/out", tokens(turn), tokens(session)),
        ("TTS characters", chars(turn), chars(session)),
        ("STT seconds", seconds(turn), seconds(session)),
    ]


def format_usage(usage: dict[str, Any]) -> str:
    """``LLM 105 in (0 cached) 17 out · TTS 84 ch · STT 2.4 s``; empty for no usage."""
    if not usage:
        return ""
    parts = []
    prompt = int(usage.get("llm_prompt_tokens") or 0)
    completion = int(usage.get("llm_completion_tokens") or 0)
    cached = int(usage.get("llm_cached_tokens") or 0)
    if prompt or completion:
        parts.append(f"LLM {prompt} in ({cached} cached) {completion} out")
    chars = int(usage.get("tts_characters") or 0)
    if chars:
        parts.append(f"TTS {chars} ch")
    seconds = float(usage.get("stt_seconds") or 0.0)
    if seconds:
        parts.append(f"STT {seconds:.1f} s")
    return " · ".join(parts)


class Waterfall(Widget):
    """The selected (or latest) turn's segments as bars on one time axis.

    Data in: :meth:`show`. Setting lines are drawn under each bar when the widget is tall
    enough.
    """

    DEFAULT_CSS = """
    Waterfall {
        height: 1fr;
        width: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._turn: TurnRecord | None = None
        self._selected = False
        self._pct: Callable[[str, float], float | None] = lambda name, q: None
        self._session_usage: dict[str, Any] = {}

    @property
    def turn(self) -> TurnRecord | None:
        """The turn shown."""
        return self._turn

    def show(
        self,
        turn: TurnRecord | None,
        *,
        selected: bool,
        percentile: Callable[[str, float], float | None],
        session_usage: dict[str, Any],
    ) -> None:
        """Show ``turn`` (``selected``: picked by the user, else the latest)."""
        self._turn = turn
        self._selected = selected
        self._pct = percentile
        self._session_usage = session_usage
        self.refresh()

    def render(self) -> Content:
        turn = self._turn
        lines: list[Content] = []
        if turn is None:
            lines.append(
                Content.styled(
                    "no turn yet: speak, then see where the time went", "$text-muted italic"
                )
            )
        else:
            lines += self._turn_lines(turn)
        if turn is not None or self._session_usage:
            lines += self._usage_lines(turn)
        return Content("\n").join(lines)

    def _usage_lines(self, turn: TurnRecord | None) -> list[Content]:
        rows = usage_rows(turn.usage if turn else {}, self._session_usage)
        out = [Content.styled(f"{'usage':<18}{'turn':>11}{'session':>11}", "$text-muted")]
        for label, this, total in rows:
            out.append(
                Content.assemble((f"{label:<18}", "$text-muted"), f"{this:>11}", f"{total:>11}")
            )
        return out

    def _turn_lines(self, turn: TurnRecord) -> list[Content]:
        width = max(self.size.width, _LABEL + _NUMBERS + 6)
        which = "selected" if self._selected else "latest"
        heard = format_seconds(turn.heard_latency)
        head = Content.assemble(
            (f"turn {turn.id}", "bold"),
            (f" · {which} · heard after ", "$text-muted"),
            (heard, "bold $accent"),
            (" ✂ interrupted" if turn.interrupted else "", "$warning"),
        )
        lines = [
            head,
            Content.styled(
                f"{'':<{_LABEL}}{'':<{width - _LABEL - _NUMBERS}}{'':>7}{'p50':>7}{'p95':>7}",
                "$text-muted",
            ),
        ]
        segments = turn.segments
        if not segments:
            lines.append(
                Content.styled("(no timeline: typed, or cut before any audio)", "$text-muted")
            )
            return lines
        t0 = float(segments[0]["start"])
        total = max(float(segments[-1]["end"]) - t0, 1e-6)
        bar_width = max(width - _LABEL - _NUMBERS, 4)
        # settings under the bars, the longest waits first when not all of them fit
        room = max(self.size.height - len(segments) - 2 - _USAGE_LINES, 0)
        by_length = sorted(
            range(len(segments)),
            key=lambda i: float(segments[i]["start"]) - float(segments[i]["end"]),
        )
        with_setting = set(by_length[:room])
        seen: set[str] = set()
        for index, seg in enumerate(segments):
            name = str(seg.get("name"))
            again = name in seen
            seen.add(name)
            start = float(seg["start"]) - t0
            length = float(seg["end"]) - float(seg["start"])
            lo = min(int(start / total * bar_width), bar_width - 1)
            cells = max(round(length / total * bar_width), 1 if length > 0.0005 else 0)
            cells = min(cells, bar_width - lo)
            color = SEGMENT_COLORS.get(name, "$foreground")
            bar = Content.assemble(
                " " * lo,
                ("█" * cells, color) if cells else ("·", "$text-muted"),
                " " * (bar_width - lo - max(cells, 1)),
            )
            label = SEGMENT_NAMES.get(name, name)
            if again:  # the LLM's second call (after tools)
                label = f"{label.split()[0]} again"
            label = label[: _LABEL - 1]
            lines.append(
                Content.assemble(
                    (f"{label:<{_LABEL}}", "$text-muted"),
                    bar,
                    (f"{format_seconds(length):>7}", "bold" if length >= 0.3 else ""),
                    (f"{'' if again else format_seconds(self._pct(name, 50)):>7}", "$text-muted"),
                    (f"{'' if again else format_seconds(self._pct(name, 95)):>7}", "$text-muted"),
                )
            )
            if index in with_setting:
                setting = str(seg.get("setting") or "")
                lines.append(Content.styled(f"{'':<2}↳ {setting}"[:width], "$text-muted italic"))
        return lines
