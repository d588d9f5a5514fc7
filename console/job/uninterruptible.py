"""Uninterruptible agent speech (``allow_interruptions=False``): marked in the conversation
when it starts; the console's interrupt still stops it (forced), and says so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..events import AgentUninterruptible, Event

__all__ = ["SpeechWatch"]


class SpeechWatch:
    """Reports uninterruptible speeches of one session."""

    def __init__(self, emit: Callable[[Event], None]) -> None:
        self._emit = emit
        self._current: Any = None
        self._source = ""

    def attach(self, session: Any) -> None:
        """Subscribe to the session's ``speech_created``."""
        session.on("speech_created", self._on_speech)

    def _on_speech(self, ev: Any) -> None:
        handle = getattr(ev, "speech_handle", None)
        if handle is None or getattr(handle, "allow_interruptions", True):
            return
        self._current = handle
        self._source = str(getattr(ev, "source", ""))
        self._emit(AgentUninterruptible(source=self._source, stopped=False))

    def before_forced_interrupt(self) -> None:
        """The console interrupts: if an uninterruptible speech is playing, say it was forced."""
        handle, self._current = self._current, None
        if handle is not None and not handle.done():
            self._emit(AgentUninterruptible(source=self._source, stopped=True))
