"""Room-connect mode inside the supervisor: the console's participant and the failure policy.

The supervisor owns one ``RoomHost`` when ``--room`` is given and calls it at a few points
(start, microphone frames, job events, a job's exit, shutdown). Policy:

* The console's participant joins first (in parallel with the job's framework import), so the
  agent finds the developer in the room, as with a real dispatch. If it cannot join, the
  console ends with one line and exit code 1: no code change can fix a URL or a credential.
* A job that cannot join the room (it never connected) ends the console the same way.
* A connection lost mid-session (the SDK gave up reconnecting): the agent is rejoined once
  (a reload: the new job carries the conversation), the console's participant likewise; a
  second loss within ``REJOIN_WINDOW`` seconds, or a failed rejoin, ends the console.
* Errors in the user's code keep the local-mode behaviour (shown; wait for a save).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from .errors import RoomConnectError
from .options import RoomConfig

__all__ = ["REJOIN_WINDOW", "RoomHost"]

REJOIN_WINDOW = 30.0
EXIT_ROOM_FAILED = 1


class RoomHost:
    """Room mode's part of the supervisor (runs on the io loop)."""

    def __init__(self, supervisor: Any) -> None:
        self._sup = supervisor
        self.config: RoomConfig = supervisor.config.room
        self._participant: Any = None
        self._connected_jobs: set[int] = set()
        self._room_errors: set[int] = set()
        self._last_rejoin = float("-inf")
        self._closing = False

    # -- the console's participant ----------------------------------------------------------

    async def join(self) -> bool:
        """Join as the developer (if wanted). False, after reporting, when it failed."""
        if not self.config.local_participant:
            return True
        from .participant import ConsoleParticipant

        participant = ConsoleParticipant(
            self.config,
            self._sup.config.env,
            emit=self._sup.emit,
            play=self._play,
            on_lost=self._on_participant_lost,
        )
        try:
            await participant.connect()
        except RoomConnectError as exc:
            await participant.aclose()
            self._fatal(str(exc), source="console")
            return False
        self._participant = participant
        self._sup.emit(
            "log",
            level="info",
            logger="agentconsole.room",
            message=f"joined room {self.config.name!r} as {self.config.identity!r} "
            f"in {participant.connect_time} s",
        )
        return True

    def _play(self, pcm: bytes) -> None:
        engine = self._sup._engine
        if engine is not None:
            engine.play(pcm)

    def push_mic(self, pcm: bytes) -> bool:
        """Route a microphone frame to the room. True when consumed (the job gets none)."""
        if self._participant is not None:
            self._participant.push_mic(pcm)
        return True

    def _on_participant_lost(self, message: str) -> None:
        self._sup.emit("error", level="error", message=message, source="room")
        if self._closing:
            return
        asyncio.get_running_loop().create_task(self._rejoin_participant(message))

    async def _rejoin_participant(self, message: str) -> None:
        old, self._participant = self._participant, None
        if old is not None:
            await old.aclose()
        now = time.monotonic()
        if now - self._last_rejoin < REJOIN_WINDOW:
            self._fatal(message, source="console")
            return
        self._last_rejoin = now
        self._sup.emit("log", level="warning", logger="agentconsole.room", message="rejoining")
        await self.join()

    # -- jobs -------------------------------------------------------------------------------

    def on_job_event(self, job: Any, ev: dict[str, Any]) -> None:
        """See every event of every job: which joined the room, which failed at it."""
        kind = ev.get("type")
        if kind == "room" and ev.get("state") == "connected":
            self._connected_jobs.add(job.pid)
        elif kind == "job_error" and ev.get("room"):
            self._room_errors.add(job.pid)

    def after_job_exit(self, job: Any, error: str | None) -> bool:
        """The active job ended. True when room mode handled it (fatal, or a rejoin)."""
        if error is None or job.pid not in self._room_errors or self._closing:
            return False
        first_line = error.strip().splitlines()[0] if error.strip() else "room error"
        if job.pid not in self._connected_jobs:
            self._fatal(first_line, source="job")
            return True
        now = time.monotonic()
        if now - self._last_rejoin < REJOIN_WINDOW:
            self._fatal(first_line, source="job")
            return True
        self._last_rejoin = now
        asyncio.get_running_loop().create_task(self._sup.reload([], "rejoin"))
        return True

    # -- failure and shutdown ---------------------------------------------------------------

    def _fatal(self, message: str, *, source: str) -> None:
        status = self.config.status
        if status.failure is None:
            status.failure = message
            status.source = source
            status.exit_code = EXIT_ROOM_FAILED
        if source == "console":
            self._sup.emit("error", level="error", message=message, source="room")
        self._sup.exit_code = EXIT_ROOM_FAILED
        # a job that was never told to start has no session to close: no grace needed
        for job in list(self._sup._jobs):
            if not job.started:
                with contextlib.suppress(ProcessLookupError):
                    job.proc.terminate()
        self._sup._begin_shutdown()

    async def aclose(self) -> None:
        """Leave the room (the console's participant)."""
        self._closing = True
        participant, self._participant = self._participant, None
        if participant is not None:
            await participant.aclose()
