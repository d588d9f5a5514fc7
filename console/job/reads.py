"""Which files the agent reads: the console reloads when one of them is saved, and not when
the agent writes a file of its own (a ledger, a cache, a log beside the agent).

An audit hook (``sys.addaudithook``) sees every ``open``; opens for reading only (no write,
append, create or update) of regular files outside the Python installation are recorded and
sent to the console in batches as the internal event ``reads``. Files the job opened for
writing are never reported, even if it reads them too.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from ..events import Event, Reads

__all__ = ["ReadRecorder"]

_FLUSH_INTERVAL = 0.25  # seconds between batches (reads come in bursts at start)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_SKIP_PREFIXES = ("/proc/", "/sys/", "/dev/", "/etc/", "/usr/")


def _is_read(mode: Any, flags: Any) -> bool | None:
    """True for a read-only open, False for a write, None when it cannot tell."""
    if isinstance(mode, str):
        return not any(c in mode for c in "wax+")
    if isinstance(flags, int):
        return not flags & _WRITE_FLAGS
    return None


class ReadRecorder:
    """Records the files this process opens for reading; ``start()`` installs the hook."""

    def __init__(self, emit: Callable[[Event], None]) -> None:
        self._emit = emit
        self._lock = threading.Lock()
        self._read: set[str] = set()
        self._written: set[str] = set()
        self._sent: set[str] = set()
        self._skip = (
            tuple(
                {
                    os.path.realpath(p) + os.sep
                    for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)
                }
            )
            + _SKIP_PREFIXES
        )
        self._task: asyncio.Task[None] | None = None
        self.enabled = False

    def start(self) -> None:
        """Install the audit hook (once per process; it cannot be removed) and the sender."""
        self.enabled = True
        sys.addaudithook(self._hook)
        self._task = asyncio.get_running_loop().create_task(self._send_loop())

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if event != "open" or not self.enabled:
            return
        path = args[0] if args else None
        if isinstance(path, os.PathLike):
            path = os.fspath(path)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if not isinstance(path, str):
            return  # a file descriptor, or a path-like the hook cannot name
        reading = _is_read(args[1] if len(args) > 1 else None, args[2] if len(args) > 2 else None)
        if reading is None:
            return
        full = os.path.abspath(path)
        if full.startswith(self._skip):
            return
        with self._lock:
            if reading:
                self._read.add(full)
            else:
                self._written.add(full)

    def pending(self) -> list[str]:
        """Files read and not written, not yet sent."""
        with self._lock:
            fresh = self._read - self._written - self._sent
            self._sent |= fresh
        return sorted(p for p in fresh if os.path.isfile(p))

    def flush(self) -> None:
        """Send what was read and not yet reported (before ``job_ready``: the console then
        knows the agent's files before anyone can save one)."""
        paths = self.pending()
        if paths:
            self._emit(Reads(paths=paths))

    async def _send_loop(self) -> None:
        while True:
            await asyncio.sleep(_FLUSH_INTERVAL)
            self.flush()
