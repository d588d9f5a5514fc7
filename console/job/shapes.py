"""What the console adds for agents of every shape, wired into one job: text/audio mode,
the active agent and ``AgentTask`` runs, uninterruptible speech, the files the agent reads,
and answering a turn left pending by a reload."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..events import Event
from .handoff import AgentTracker
from .modes import ModeSwitch
from .reads import ReadRecorder
from .resume import PendingTurn
from .uninterruptible import SpeechWatch

__all__ = ["Shapes"]


class Shapes:
    """The per-job helpers; ``install()`` once, then the session start hooks."""

    def __init__(
        self,
        emit: Callable[[Event], None],
        session: Callable[[], Any],
        *,
        history: dict[str, Any] | None,
        answer_pending: bool = True,
    ) -> None:
        self._session = session
        self.modes = ModeSwitch(emit)
        self.agents = AgentTracker(emit, session, on_agent=self.modes.on_agent)
        self.speech = SpeechWatch(emit)
        self.reads = ReadRecorder(emit)
        self.pending = PendingTurn(history, enabled=answer_pending)
        self._started: Any = None

    def install(self) -> None:
        """Before the agent file loads: record reads, watch agent switches."""
        from . import framework

        self.reads.start()
        framework.tap_activity(self.agents.on_switch)

    def before_start(self, session: Any) -> None:
        """``AgentSession.start`` is about to run (console's session only)."""
        if self._started is not None:
            return
        self._started = session
        self.speech.attach(session)
        self.pending.before_start(session)

    def after_start(self, session: Any) -> None:
        """The session has started."""
        self.reads.flush()
        if session is not self._started:
            return
        self.pending.after_start(session)
