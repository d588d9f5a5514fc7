"""The blocked-loop watchdog: notice when the job's event loop stops running, and say where.

A blocking call on the event loop (``time.sleep``, ``requests.get``, a slow parse) stalls the
audio, the VAD and everything else in the job, silently. The watchdog has two halves:

* a heartbeat on the loop (``call_later`` every ``interval``) that stamps the time it ran;
* a daemon thread that looks at the stamp. When the heartbeat is overdue it samples the loop
  thread's stack (``sys._current_frames``) until the heartbeat runs again. A stall longer than
  ``threshold`` is reported as ``loop_blocked`` when it ends, and while it lasts once it is
  long (first after ``first_report`` seconds, then every ``report_every``), so a loop that is
  blocked forever is still reported, with its line.

The loop is blocked, so the thread cannot use it to send: it sends through
``Connection.send_from_thread``, which writes the frame to the socket itself.

``duration`` is how late the heartbeat ran: a lower bound of the stall (it is at most
``interval`` shorter than the real one), so a report never overstates a block.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from ..events import LoopBlocked
from .where import RawFrame, UserFiles, current_frame, describe_frames, frames_of_stack
from .where import innermost_user as _innermost_user

__all__ = ["DEFAULT_THRESHOLD", "LoopWatchdog"]

DEFAULT_THRESHOLD = 0.1
"""Seconds the loop may run nothing before it is reported (``--block-threshold``)."""
_INTERVAL = 0.02  # heartbeat period
_SAMPLE_EVERY = 0.01  # stack samples while the heartbeat is overdue
_SAMPLE_EVERY_LONG = 0.05  # ... once the block is longer than a second
_FIRST_REPORT = 0.5  # a block still going after this long is reported while it lasts
_REPORT_EVERY = 1.0

Send = Callable[[dict[str, Any]], None]


class _Block:
    """What the thread has seen of one stall."""

    def __init__(self, number: int, beat: float) -> None:
        self.number = number
        self.beat = beat
        """The heartbeat stamp the stall began after: the block ends when it changes."""
        self.wheres: Counter[RawFrame | None] = Counter()
        self.stacks: dict[RawFrame | None, list[RawFrame]] = {}
        self.latest: list[RawFrame] = []
        self.reports = 0

    def add(self, frames: list[RawFrame], files: UserFiles) -> None:
        key = _innermost_user(frames, files)
        self.wheres[key] += 1
        self.stacks[key] = frames
        self.latest = frames

    def typical(self) -> list[RawFrame]:
        """The stack seen most often, preferring stacks with a user frame in them, then
        stacks where the loop was running something."""
        if not self.wheres:
            return []
        ranked = sorted(
            self.wheres.items(),
            key=lambda kv: (kv[0] is not None, not _idle(self.stacks[kv[0]]), kv[1]),
        )
        return self.stacks[ranked[-1][0]]


def _idle(frames: list[RawFrame]) -> bool:
    """The loop thread was in the event loop's own code (waiting in ``select``, reading a
    ready socket): the loop was not blocked by a call but starved, of the CPU or of the GIL
    held by another thread. Not the loop's caller's doing; not reported."""
    if not frames:
        return True
    filename = frames[-1][0]
    return filename.endswith(_SELECTORS) or _ASYNCIO in filename


_SELECTORS = os.sep + "selectors.py"
_ASYNCIO = os.sep + "asyncio" + os.sep


class LoopWatchdog:
    """Heartbeat on ``loop`` plus a sampling thread; reports through ``send`` (any thread).

    Args:
        send: Sends one event dict to the console; called on the watchdog thread.
        user_root: The agent's folder: ``where`` is the innermost frame under it.
        threshold: Seconds of stall worth reporting.
        first_report: A stall still going after this long is reported while it lasts.
        report_every: Then again this often.
    """

    def __init__(
        self,
        send: Send,
        user_root: str,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        first_report: float = _FIRST_REPORT,
        report_every: float = _REPORT_EVERY,
    ) -> None:
        self._send = send
        self._files = UserFiles(user_root)
        self.threshold = max(threshold, 0.005)
        self._first_report = max(first_report, self.threshold)
        self._report_every = report_every
        self._interval = min(_INTERVAL, self.threshold / 2)
        self._beat = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._timer: asyncio.TimerHandle | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._blocks = 0
        self.reported: list[dict[str, Any]] = []
        """Every report sent."""
        self.starved = 0
        """Stalls not reported: the loop was idle, waiting for the CPU or the GIL."""

    # -- loop side --------------------------------------------------------------------------

    def start(self) -> None:
        """Start the heartbeat and the thread. Call on the loop's thread, inside the loop."""
        if self._thread is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._beat = time.monotonic()
        self._timer = self._loop.call_later(self._interval, self._heartbeat)
        self._thread = threading.Thread(
            target=self._watch, name="agentconsole-watchdog", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop reporting (the job is closing: its teardown is not the agent's doing)."""
        self._stop.set()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _heartbeat(self) -> None:
        self._beat = time.monotonic()
        if not self._stop.is_set() and self._loop is not None:
            self._timer = self._loop.call_later(self._interval, self._heartbeat)

    # -- watchdog thread --------------------------------------------------------------------

    def _watch(self) -> None:
        block: _Block | None = None
        idle_wait = max(min(self.threshold / 2, 0.05), 0.005)
        slack = min(self.threshold / 4, 0.01)
        while not self._stop.is_set():
            beat = self._beat
            now = time.monotonic()
            late = now - (beat + self._interval)
            if block is None:
                if late <= slack:
                    self._stop.wait(idle_wait)
                    continue
                self._blocks += 1
                block = _Block(self._blocks, beat)
            if beat != block.beat:
                # the heartbeat ran again: the stall is over; how late it ran is its length
                duration = beat - (block.beat + self._interval)
                if duration >= self.threshold:
                    self._report(block, duration, ongoing=False)
                else:
                    self._blocks -= 1  # a hiccup, not a block: keep the numbers dense
                block = None
                continue
            self._sample(block)
            if late >= self._first_report + block.reports * self._report_every:
                self._report(block, late, ongoing=True)
            self._stop.wait(_SAMPLE_EVERY if late < 1.0 else _SAMPLE_EVERY_LONG)

    def _sample(self, block: _Block) -> None:
        frame = current_frame(self._loop_thread)
        if frame is not None:
            block.add(frames_of_stack(frame), self._files)
        del frame  # a frame reference keeps the loop thread's locals alive

    def _report(self, block: _Block, duration: float, *, ongoing: bool) -> None:
        if self._stop.is_set():
            return
        frames = block.latest if ongoing else block.typical()
        if _idle(frames):
            if not ongoing:
                self.starved += 1
            return
        where, stack = describe_frames(frames, self._files)
        block.reports += 1
        ev = LoopBlocked(
            duration=round(duration, 3),
            where=where,
            stack=stack,
            ongoing=ongoing,
            block=block.number,
        ).to_dict()
        self.reported.append(ev)
        try:
            self._send(ev)
        except Exception:  # the wire is gone: the job is ending anyway
            self._stop.set()
