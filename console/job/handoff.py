"""Which agent is active: ``agent_changed`` on session start, handoffs and ``AgentTask`` runs,
with ``task_started`` / ``task_ended`` around each task.

Fed by ``framework.tap_activity`` at the switch itself (before the new agent's ``on_enter``),
so the divider lands before the new agent's first words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..events import AgentChanged, Event, TaskEnded, TaskStarted

__all__ = ["AgentTracker"]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else repr(value)


class AgentTracker:
    """Turns activity switches of the console's session into events."""

    def __init__(
        self,
        emit: Callable[[Event], None],
        session: Callable[[], Any],
        on_agent: Callable[[Any, Any], None] | None = None,
    ) -> None:
        self._emit = emit
        self._session = session
        self._on_agent = on_agent
        self._current: Any = None

    @property
    def current(self) -> str | None:
        """The active agent's class name."""
        return None if self._current is None else type(self._current).__name__

    def on_switch(self, session: Any, agent: Any, resumed: bool) -> None:
        """``framework.tap_activity`` callback."""
        from . import framework

        if session is not self._session():
            return  # another session in the same process (not the console's)
        previous = self._current
        if previous is agent:
            return
        if resumed and previous is not None and framework.is_agent_task(previous):
            result, error = framework.task_outcome(previous)
            self._emit(
                TaskEnded(
                    name=type(previous).__name__,
                    result=_text(result),
                    error=None if error is None else f"{type(error).__name__}: {error}",
                )
            )
        task = framework.is_agent_task(agent) and not resumed
        if task:
            self._emit(TaskStarted(name=type(agent).__name__))
        if previous is None:
            reason = "start"
        elif task:
            reason = "task"
        elif resumed:
            reason = "task_done"
        else:
            reason = "handoff"
        self._current = agent
        self._emit(
            AgentChanged(
                from_=None if previous is None else type(previous).__name__,
                to=type(agent).__name__,
                reason=reason,
            )
        )
        if self._on_agent is not None:
            self._on_agent(session, agent)
