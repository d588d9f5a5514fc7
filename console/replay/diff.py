"""The per-turn side-by-side diff of a recording and its replay, and the gates.

Turns are paired by position (turn 0 is the agent before the user's first turn). For each
pair: the user's transcript, the tool calls (name and arguments), the reply text and the heard
latency, old beside new. Tool calls decide the verdict; a different transcript or reply is
shown but only fails with ``--same-replies`` (replies); ``--max-latency-p95`` fails when the
replay's heard latencies are slower than the bound at the 95th percentile.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import sys
import textwrap
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Diff", "TurnDiff", "compare", "format_call", "p95", "render"]


def format_call(tool: dict[str, Any]) -> str:
    """``name(key=value, ...)`` for a tool call summary."""
    args = tool.get("arguments")
    if isinstance(args, dict):
        inner = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in args.items())
    else:
        inner = "" if args in (None, "") else str(args)
    return f"{tool.get('name')}({inner})"


def _norm(text: str | None) -> str:
    """Text compared without case, punctuation or spacing differences."""
    return " ".join(re.sub(r"[^\w\s]", " ", (text or "").lower()).split())


def _calls(turn: dict[str, Any] | None) -> list[str]:
    if turn is None:
        return []
    return [format_call(t) for t in turn.get("tools") or []]


def p95(values: list[float]) -> float | None:
    """The 95th percentile (nearest rank), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


@dataclass
class TurnDiff:
    """One pair of turns."""

    index: int
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    missing_calls: list[str] = field(default_factory=list)
    extra_calls: list[str] = field(default_factory=list)
    calls_differ: bool = False
    user_differs: bool = False
    reply_differs: bool = False

    @property
    def same(self) -> bool:
        """Everything shown matches (latency aside)."""
        return not (self.calls_differ or self.user_differs or self.reply_differs)


@dataclass
class Diff:
    """The whole comparison and its verdict."""

    turns: list[TurnDiff]
    latency_p95: float | None
    max_latency_p95: float | None = None
    same_replies: bool = False

    @property
    def calls_match(self) -> bool:
        """Every turn made the same tool calls, with the same arguments, in the same order."""
        return not any(t.calls_differ for t in self.turns)

    @property
    def replies_match(self) -> bool:
        """Every reply text is the same (case and punctuation aside)."""
        return not any(t.reply_differs for t in self.turns)

    @property
    def latency_ok(self) -> bool:
        """The ``--max-latency-p95`` gate (True without one)."""
        if self.max_latency_p95 is None or self.latency_p95 is None:
            return True
        return self.latency_p95 <= self.max_latency_p95

    @property
    def failures(self) -> list[str]:
        """Why the replay fails, one line each (empty: it passes)."""
        out: list[str] = []
        for t in self.turns:
            if t.missing_calls:
                out.append(f"turn {t.index}: missing tool call {', '.join(t.missing_calls)}")
            if t.extra_calls:
                out.append(f"turn {t.index}: extra tool call {', '.join(t.extra_calls)}")
            if t.calls_differ and not (t.missing_calls or t.extra_calls):
                out.append(f"turn {t.index}: tool calls in a different order")
            if self.same_replies and t.reply_differs:
                out.append(f"turn {t.index}: the reply differs (--same-replies)")
        if not self.latency_ok:
            out.append(
                f"heard latency p95 {self.latency_p95:.2f} s > --max-latency-p95 "
                f"{self.max_latency_p95:.2f} s"
            )
        return out

    @property
    def exit_code(self) -> int:
        """0 when the replay passes, 1 otherwise."""
        return 1 if self.failures else 0


def compare(
    old: list[dict[str, Any]],
    new: list[dict[str, Any]],
    *,
    max_latency_p95: float | None = None,
    same_replies: bool = False,
) -> Diff:
    """Pair the turns of a recording (``old``) and its replay (``new``) and compare them."""
    pairs: list[TurnDiff] = []
    for i in range(max(len(old), len(new))):
        a = old[i] if i < len(old) else None
        b = new[i] if i < len(new) else None
        ca, cb = _calls(a), _calls(b)
        rest = list(cb)
        missing = []
        for call in ca:
            if call in rest:
                rest.remove(call)
            else:
                missing.append(call)
        pairs.append(
            TurnDiff(
                index=i,
                old=a,
                new=b,
                missing_calls=missing,
                extra_calls=rest,
                calls_differ=ca != cb,
                user_differs=_norm((a or {}).get("user_text")) != _norm((b or {}).get("user_text")),
                reply_differs=_norm((a or {}).get("reply")) != _norm((b or {}).get("reply")),
            )
        )
    latencies = [float(t["heard_latency"]) for t in new if t.get("heard_latency") is not None]
    return Diff(pairs, p95(latencies), max_latency_p95, same_replies)


def _latency(turn: dict[str, Any] | None) -> str:
    value = None if turn is None else turn.get("heard_latency")
    return "-" if value is None else f"{float(value):.2f} s"


def _cell(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width) or [""]


def render(diff: Diff, width: int | None = None) -> str:
    """The side-by-side text: one block per turn, a mark on each row that differs, then the
    verdict."""
    if width is None:
        # a terminal: its width; a pipe or a CI log: wide, so a reply stays on one line
        width = shutil.get_terminal_size((200, 24)).columns if sys.stdout.isatty() else 200
    total = width
    col = max(20, (total - 14) // 2)
    lines: list[str] = []
    lines.append(f"{'':12}{'recorded':<{col}}  replayed")
    for t in diff.turns:
        head = "same" if t.same else "DIFFERENT"
        if t.old is None:
            head = "only in the replay"
        elif t.new is None:
            head = "missing in the replay"
        label = "greeting" if t.index == 0 else f"turn {t.index}"
        lines.append(f"── {label}: {head}")
        rows = [
            (
                "user",
                (t.old or {}).get("user_text"),
                (t.new or {}).get("user_text"),
                t.user_differs,
            ),
            (
                "tools",
                "; ".join(_calls(t.old)) or "-",
                "; ".join(_calls(t.new)) or "-",
                t.calls_differ,
            ),
            ("reply", (t.old or {}).get("reply"), (t.new or {}).get("reply"), t.reply_differs),
            ("heard", _latency(t.old), _latency(t.new), False),
        ]
        for name, a, b, differs in rows:
            if name == "user" and t.index == 0 and not a and not b:
                continue
            left = _cell(str(a if a not in (None, "") else "-"), col)
            right = _cell(str(b if b not in (None, "") else "-"), col)
            mark = "≠" if differs else " "
            for k in range(max(len(left), len(right))):
                l_txt = left[k] if k < len(left) else ""
                r_txt = right[k] if k < len(right) else ""
                prefix = f"{mark} {name:<8}  " if k == 0 else " " * 12
                lines.append(f"{prefix}{l_txt:<{col}}  {r_txt}".rstrip())
    n = len(diff.turns)
    if diff.latency_p95 is not None:
        lines.append(f"heard latency p95 (replay): {diff.latency_p95:.2f} s")
    if diff.failures:
        lines.append("FAIL: " + "; ".join(diff.failures))
    elif all(t.same for t in diff.turns):
        lines.append(f"OK: every turn matches ({n} turns, greeting included)")
    else:
        lines.append(f"OK: the tool calls match ({n} turns); other differences are marked ≠")
    return "\n".join(lines)
