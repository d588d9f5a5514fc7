"""Front-end commands for the agent: what goes to the active job, and what the pool keeps.

``say``, ``user_text``, ``interrupt``, ``mode`` and ``cancel_tool`` go to the active job once it is
ready. ``mock_tool`` and the live settings (``set`` / ``reset``) also outlive a reload: the
pool sends what they keep with every ``start`` (``start.mock_tools``, ``start.settings``), so
the job a save starts has them too. A setting is checked against the knob table here, before
any job sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import protocol
from .events import Error, Event
from .jobs import JobPool

__all__ = ["JOB_COMMANDS", "JobCommands"]

JOB_COMMANDS = frozenset(
    {"say", "user_text", "interrupt", "mock_tool", "mode", "cancel_tool", "set", "reset"}
)
"""The commands :class:`JobCommands` handles (the rest are the supervisor's own)."""


class JobCommands:
    """Carries out :data:`JOB_COMMANDS` on the job pool (io loop only).

    ``pool`` returns the pool (None before it exists); ``mocks`` is the live ``mock_tool``
    set, updated in place; ``emit`` reports a command that cannot be carried out.
    """

    def __init__(
        self,
        pool: Callable[[], JobPool | None],
        mocks: dict[str, Any],
        emit: Callable[[Event], None],
    ) -> None:
        self._pool = pool
        self._mocks = mocks
        self._emit = emit

    def handle(self, cmd: protocol.Event) -> None:
        """Keep what must outlive a reload, then pass the command to the active job."""
        name = cmd.get("cmd")
        pool = self._pool()
        if name in ("set", "reset"):
            if pool is not None:
                self._setting(pool, cmd)
            return
        if name == "mock_tool" and pool is not None:
            pool.set_mock(self._mocks, cmd)  # kept for the jobs a reload starts
        job = None if pool is None else pool.active
        if job is None or not job.ready:
            self._emit(Error(level="warning", message=f"{name}: no agent is running"))
            return
        job.conn.send(cmd)

    def _setting(self, pool: JobPool, cmd: protocol.Event) -> None:
        """Keep the override (the pool sends it with every ``start``) and pass it on now:
        to a job told to start, even before it is ready (it applies it once the session is)."""
        from .knobs import SettingError, knob, validate

        name = cmd.get("name")
        try:
            if cmd["cmd"] == "set":
                value = validate(str(name), cmd.get("value"))
                pool.settings[str(name)] = value
                cmd = {"cmd": "set", "name": name, "value": value}
            elif name is None:
                pool.settings.clear()
            else:
                pool.settings.pop(knob(str(name)).name, None)
        except SettingError as exc:
            self._emit(Error(level="warning", message=f"{cmd['cmd']} {exc}", source="settings"))
            return
        job = pool.active
        if job is not None and job.started and not job.conn.closed:
            job.conn.send(cmd)
