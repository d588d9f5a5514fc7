"""Swallowed errors: exceptions nobody sees, turned into ``error`` events with the user's line.

Two kinds pass silently in an agent today:

* an exception that ends a task nobody awaits (asyncio's "Task exception was never
  retrieved"), or one raised in a loop callback: the loop's exception handler sees them;
* an error the framework catches, logs and carries on from (an ERROR record with
  ``exc_info`` from a ``livekit`` logger, e.g. a failing tool or a plugin's stream).

Both become ``error`` events (``source`` ``"task"`` or ``"framework"``) whose ``where`` is the
innermost frame of the traceback in the user's files, so the console can show them in the
conversation rather than only in the logs. The default handling (a log record) still happens.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from ..events import Error
from .where import UserFiles, describe, format_where, frames_of_exception, innermost_user

__all__ = ["SwallowedErrors"]

Send = Callable[[dict[str, Any]], None]


class SwallowedErrors(logging.Handler):
    """A log handler for framework errors, plus the loop's exception handler.

    Args:
        send: Sends one event dict to the console (on the loop's thread).
        user_root: The agent's folder (``where`` is the innermost frame under it).
    """

    def __init__(self, send: Send, user_root: str) -> None:
        super().__init__(level=logging.ERROR)
        self._send = send
        self._files = UserFiles(user_root)
        self._loop: asyncio.AbstractEventLoop | None = None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """Take over ``loop``'s exception handler and listen to the ``livekit`` loggers."""
        self._loop = loop
        loop.set_exception_handler(self._on_loop_exception)
        logging.getLogger("livekit").addHandler(self)

    def uninstall(self) -> None:
        """Stop reporting (the job is closing)."""
        logging.getLogger("livekit").removeHandler(self)
        if self._loop is not None and not self._loop.is_closed():
            self._loop.set_exception_handler(None)

    # -- the loop's exception handler -------------------------------------------------------

    def _on_loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        # the default handler logs it with its traceback (the logs pane keeps the whole story)
        loop.default_exception_handler(context)
        exc = context.get("exception")
        message = str(context.get("message") or "unhandled exception in the event loop")
        if isinstance(exc, BaseException):
            message = f"{message}: {type(exc).__name__}: {exc}"
            where = self._where(exc)
        else:
            where = None
        task = context.get("task") or context.get("future")
        name = task.get_name() if isinstance(task, asyncio.Task) else None
        if name:
            message += f" (task {name})"
        self._emit(message, where, source="task")

    # -- framework log records --------------------------------------------------------------

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if record.exc_info is None or record.exc_info[1] is None:
                return
            text = record.getMessage()
            exc = record.exc_info[1]
            message = f"{text}: {type(exc).__name__}: {exc}"
            self._emit(message, self._where(exc), source="framework")
        except Exception:  # logging must never raise
            self.handleError(record)

    # -- helpers ----------------------------------------------------------------------------

    def _where(self, exc: BaseException) -> dict[str, Any] | None:
        frame = innermost_user(frames_of_exception(exc), self._files)
        return None if frame is None else describe(frame, self._files)

    def _emit(self, message: str, where: dict[str, Any] | None, *, source: str) -> None:
        if where is not None:
            message = f"{message} (at {format_where(where)})"
        self._send(Error(level="error", message=message, source=source, where=where).to_dict())
