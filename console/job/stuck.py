"""Stuck tools: flag a tool call that runs longer than a threshold, with the line it waits on.

Once a second (on the loop) the watch looks at the tasks running tool calls. A call running
longer than ``threshold`` is reported as ``tool_stuck`` with ``where``: the innermost frame in
the user's files of the suspended coroutine chain (what the tool is awaiting right now). It is
reported again when that line changes. ``cancel(call_id)`` cancels the call's task.

A tool that blocks the loop is not "stuck" here (the watch cannot run while it blocks): the
loop watchdog reports it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from ..events import ToolStuck
from . import framework
from .where import RawFrame, UserFiles, describe_frames, innermost_user

__all__ = ["DEFAULT_TOOL_THRESHOLD", "ToolWatch", "coroutine_frames"]

DEFAULT_TOOL_THRESHOLD = 10.0
"""Seconds a tool may run before it is flagged (``--tool-threshold``)."""
_CHECK_EVERY = 1.0

Send = Callable[[dict[str, Any]], None]


def coroutine_frames(coro: Any) -> list[RawFrame]:
    """The suspended frames of a coroutine and everything it awaits, outermost first."""
    out: list[RawFrame] = []
    seen: set[int] = set()
    while coro is not None and id(coro) not in seen:
        seen.add(id(coro))
        frame = (
            getattr(coro, "cr_frame", None)
            or getattr(coro, "gi_frame", None)
            or getattr(coro, "ag_frame", None)
        )
        if frame is None:
            break
        out.append((frame.f_code.co_filename, frame.f_lineno or 0, frame.f_code.co_name))
        coro = (
            getattr(coro, "cr_await", None)
            or getattr(coro, "gi_yieldfrom", None)
            or getattr(coro, "ag_await", None)
        )
    return out


class ToolWatch:
    """Watches the running tool calls; reports the ones past ``threshold``.

    Args:
        send: Sends one event dict to the console.
        user_root: The agent's folder.
        threshold: Seconds before a running tool is flagged.
        started_at: ``call_id`` -> monotonic start time, when the bridge saw the start.
    """

    def __init__(
        self,
        send: Send,
        user_root: str,
        *,
        threshold: float = DEFAULT_TOOL_THRESHOLD,
        started_at: Callable[[str], float | None] = lambda call_id: None,
    ) -> None:
        self._send = send
        self._files = UserFiles(user_root)
        self.threshold = threshold
        self._started_at = started_at
        self._first_seen: dict[str, float] = {}
        self._reported: dict[str, tuple[Any, ...] | None] = {}
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        """Check once a second from now on (call inside the loop)."""
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(_CHECK_EVERY, self._tick)

    def stop(self) -> None:
        """Stop checking."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _tick(self) -> None:
        self._timer = asyncio.get_running_loop().call_later(_CHECK_EVERY, self._tick)
        self.check()

    def check(self) -> None:
        """Report the calls running longer than the threshold (once, and when ``where``
        moves)."""
        now = time.monotonic()
        calls = self._by_call()
        for call_id in list(self._first_seen):
            if call_id not in calls:
                del self._first_seen[call_id]
                self._reported.pop(call_id, None)
        for call_id, (name, tasks) in calls.items():
            first = self._first_seen.setdefault(call_id, now)
            started = self._started_at(call_id) or first
            elapsed = now - started
            if elapsed < self.threshold:
                continue
            frames = _frames_of(tasks, self._files)
            where, stack = describe_frames(frames, self._files)
            key = None if where is None else (where["path"], where["line"])
            if call_id in self._reported and self._reported[call_id] == key:
                continue
            self._reported[call_id] = key
            self._send(
                ToolStuck(
                    call_id=call_id,
                    name=name,
                    elapsed=round(elapsed, 3),
                    where=where,
                    stack=stack,
                ).to_dict()
            )

    def cancel(self, call_id: str) -> bool:
        """Cancel the tool call's task (the innermost, where the tool's body runs). Returns
        False when no such call is running."""
        entry = self._by_call().get(call_id)
        if entry is None:
            return False
        tasks = entry[1]
        inner = [t for t in tasks if innermost_user(coroutine_frames(t.get_coro()), self._files)]
        for task in inner or tasks:
            task.cancel(f"cancelled from the console (cancel_tool {call_id})")
        return True

    @staticmethod
    def _by_call() -> dict[str, tuple[str, list[asyncio.Task[Any]]]]:
        calls: dict[str, tuple[str, list[asyncio.Task[Any]]]] = {}
        for call_id, name, task in framework.running_tool_tasks():
            calls.setdefault(call_id, (name, []))[1].append(task)
        return calls


def _frames_of(tasks: list[asyncio.Task[Any]], files: UserFiles) -> list[RawFrame]:
    """The stack of the task that has a user frame on it (the tool's body), else the first."""
    stacks = [coroutine_frames(task.get_coro()) for task in tasks]
    for frames in stacks:
        if innermost_user(frames, files) is not None:
            return frames
    return stacks[0] if stacks else []
