"""A real-time 10 ms clock thread for the virtual devices (WAV/silent mic, null speaker)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["Pacer"]

_MAX_CATCH_UP = 20  # ticks; after a longer stall (suspended process) resync instead of bursting


class Pacer:
    """Calls ``tick(t)`` every ``period`` seconds on its own thread, on an absolute schedule.

    ``t`` is the ideal ``time.monotonic()`` of the tick, so the consumers stay on one clock even
    when the thread wakes late; late ticks are caught up (a short burst) up to a limit.
    """

    def __init__(self, tick: Callable[[float], None], period: float = 0.01, name: str = "") -> None:
        self._tick = tick
        self._period = period
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=name or "agentconsole-audio-pacer", daemon=True
        )

    def start(self) -> None:
        """Start ticking."""
        self._thread.start()

    def stop(self) -> None:
        """Stop and join (safe to call more than once, or from the tick itself)."""
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=2.0)

    def _run(self) -> None:
        nxt = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            if now < nxt:
                self._stop.wait(nxt - now)
                continue
            behind = int((now - nxt) / self._period)
            if behind > _MAX_CATCH_UP:
                nxt += behind * self._period
            self._tick(nxt)
            nxt += self._period
