"""Stamping and recording console events: ``t`` on every event, and ``events.jsonl``."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from . import protocol

__all__ = ["EventLog"]


class EventLog:
    """Stamps each event with ``t`` (seconds since ``clock_start``), appends it to
    ``events.jsonl`` when recording, and hands it to ``sink`` (any thread)."""

    def __init__(self, sink: Callable[[protocol.Event], None], clock_start: float) -> None:
        self._sink = sink
        self._clock_start = clock_start
        self._file: IO[str] | None = None

    def record_to(self, record_dir: Path) -> None:
        """Append every event from now on to ``record_dir/events.jsonl``."""
        record_dir.mkdir(parents=True, exist_ok=True)
        # line-buffered: a crash loses at most the line being written
        self._file = open(record_dir / "events.jsonl", "a", encoding="utf-8", buffering=1)

    def deliver(self, ev: protocol.Event) -> None:
        """Stamp, record and pass on one event."""
        ev.setdefault("t", round(time.monotonic() - self._clock_start, 4))
        if self._file is not None:
            with contextlib.suppress(OSError, ValueError):
                self._file.write(json.dumps(ev, ensure_ascii=False) + "\n")
        self._sink(ev)

    def close(self) -> None:
        """Close the recording (events after this are still passed on)."""
        file, self._file = self._file, None
        if file is not None:
            with contextlib.suppress(OSError):
                file.close()
