"""Reload in the middle of a turn: the console's side of the policy (docs/reload.md).

A tool that is running when a reload is asked for gets up to ``TOOL_GRACE`` seconds to finish;
its job is retired only then, so the history carried to the new job holds the tool's call and
output, and the new job answers from there without calling the tool again. While it finishes,
the old job's other events are held back (its own reply would be cut by the reload anyway).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

__all__ = ["TOOL_GRACE", "ToolWatch", "let_tools_finish"]

TOOL_GRACE = 15.0
"""Seconds an in-flight tool may take to finish before a reload cuts it."""
_HISTORY_WAIT = 1.0  # the job sends its history right after the tools' results

PASS_WHILE_DRAINING = frozenset({"tool_ended", "log", "error"})
"""Events of a job being reloaded that still reach the front ends."""


class ToolWatch:
    """Tools running in one job, and the job's history reports, as the console sees them."""

    def __init__(self) -> None:
        self.running: set[str] = set()
        self.history_due = False
        """A tool ended and the history holding its output has not come yet."""
        self.draining = False
        self._changed = asyncio.Event()

    def on_event(self, ev: dict[str, Any]) -> None:
        """Feed every event of the job."""
        kind = ev.get("type")
        if kind == "tool_started":
            self.running.add(str(ev.get("call_id")))
        elif kind == "tool_ended":
            self.running.discard(str(ev.get("call_id")))
            self.history_due = True
        elif kind == "history":
            self.history_due = False
        else:
            return
        self._changed.set()

    async def _wait(self, predicate: Callable[[], bool], deadline: float) -> bool:
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=remaining)
            except asyncio.TimeoutError:
                return predicate()
        return True


async def let_tools_finish(watch: ToolWatch, grace: float = TOOL_GRACE) -> bool:
    """Wait for the job's running tools and the history that follows them. Returns False
    when the grace ran out (the tool is cut)."""
    # A tool that has just ended counts too: its history may still be on the wire. (On
    # livekit-agents 1.3 a tool is only seen once it has ended, with its history right behind.)
    if not watch.running and not watch.history_due:
        return True
    watch.draining = True
    if not await watch._wait(lambda: not watch.running, time.monotonic() + grace):
        return False
    # the history sent after the last tool ended, not one sent while it ran: only that one
    # holds the tool's output, and without it the next job would call the tool again
    await watch._wait(lambda: not watch.history_due, time.monotonic() + _HISTORY_WAIT)
    return True
