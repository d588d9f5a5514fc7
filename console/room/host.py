"""Room-connect mode's media route: the console's participant and the failure policy.

The supervisor uses one ``RoomHost`` (a :class:`agentconsole.media.MediaRoute`) when
``--room`` is given and reaches it only through that interface; the host asks the supervisor
for things only through :class:`agentconsole.media.RouteHost`. Policy:

* The console's participant joins first (in parallel with the job's framework import), so the
  agent finds the developer in the room, as with a real dispatch. If it cannot join, the
  console ends with one line and exit code 1: no code change can fix a URL or a credential.
* A job that cannot join the room (it never connected) ends the console the same way.
* A connection lost mid-session (the SDK gave up reconnecting): the agent is rejoined once
  (a reload: the new job carries the conversation), the console's participant likewise; a
  second loss within ``REJOIN_WINDOW`` seconds, or a failed rejoin, ends the console.
* Errors in the user's code keep the local-mode behaviour (shown; wait for a save).

Audio: the local devices are opened as in local mode, but the microphone goes to the room and
the agent's track from the room goes to the speaker; the job gets no audio over the wire.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from .. import protocol
from ..audio.route import open_engine
from ..events import Audio, Error, Log
from .errors import RoomConnectError
from .options import RoomConfig

if TYPE_CHECKING:
    from ..audio.config import AudioConfig
    from ..audio.engine import AudioEngine
    from ..jobs import Job
    from ..media import RouteHost
    from .participant import ConsoleParticipant

__all__ = ["EXIT_ROOM_FAILED", "REJOIN_WINDOW", "RoomHost"]

REJOIN_WINDOW = 30.0
EXIT_ROOM_FAILED = 1


class RoomHost:
    """Room mode's media route (runs on the io loop)."""

    def __init__(
        self, host: RouteHost, config: RoomConfig, audio: AudioConfig | None, env: dict[str, str]
    ) -> None:
        self._host = host
        self.config = config
        self._audio = audio
        self._env = env
        self._engine: AudioEngine | None = None
        self._participant: ConsoleParticipant | None = None
        self._connected_jobs: set[int] = set()
        self._room_errors: set[int] = set()
        self._last_rejoin = float("-inf")
        self._closing = False

    # -- MediaRoute -------------------------------------------------------------------------

    async def open(self) -> bool:
        """Open the devices, then join the room. False (after reporting) when joining failed."""
        self._engine = open_engine(self._host, self._audio, self.push_mic, lambda p, i: None)
        return await self.join()

    def start_entry(self) -> dict[str, Any] | None:
        """Name, url and the agent's identity; never the secret."""
        return dict(self.config.start_entry())

    def attach(self, job: Job | None) -> None:
        """The job talks to the room itself: nothing to route to it."""

    def on_job_event(self, job: Job, ev: protocol.Event) -> bool:
        """See every event of every job: which joined the room, which failed at it."""
        kind = ev.get("type")
        if kind == "room" and ev.get("state") == "connected":
            self._connected_jobs.add(job.pid)
        elif kind == "job_error" and ev.get("room"):
            self._room_errors.add(job.pid)
        return False

    def on_job_audio(self, job: Job, pcm: bytes) -> None:
        """The agent's audio comes from the room (see :meth:`_play`), not the wire."""

    def after_job_exit(self, job: Job, error: str | None) -> bool:
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
        self._host.request_reload("rejoin")
        return True

    def mute(self, on: bool) -> None:
        """Mute the microphone sent to the room."""
        if self._engine is not None:
            self._engine.set_muted(on)
        else:
            self._host.emit(Audio(muted=on))

    async def aclose(self) -> None:
        """Leave the room (the console's participant), close the devices."""
        self._closing = True
        participant, self._participant = self._participant, None
        if participant is not None:
            await participant.aclose()
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.close()

    # -- the console's participant ----------------------------------------------------------

    async def join(self) -> bool:
        """Join as the developer (if wanted). False, after reporting, when it failed."""
        if not self.config.local_participant:
            return True
        from .participant import ConsoleParticipant

        participant = ConsoleParticipant(
            self.config,
            self._env,
            emit=self._host.emit,
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
        message = (
            f"joined room {self.config.name!r} as {self.config.identity!r} "
            f"in {participant.connect_time} s"
        )
        self._host.emit(Log(level="info", logger="agentconsole.room", message=message))
        return True

    def _play(self, pcm: bytes) -> None:
        if self._engine is not None:
            self._engine.play(pcm)

    def push_mic(self, pcm: bytes) -> None:
        """A microphone frame: to the room (the job gets none)."""
        if self._participant is not None:
            self._participant.push_mic(pcm)

    def _on_participant_lost(self, message: str) -> None:
        self._host.emit(Error(level="error", message=message, source="room"))
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
        self._host.emit(Log(level="warning", logger="agentconsole.room", message="rejoining"))
        await self.join()

    # -- failure ----------------------------------------------------------------------------

    def _fatal(self, message: str, *, source: str) -> None:
        status = self.config.status
        if status.failure is None:
            status.failure = message
            status.source = source
            status.exit_code = EXIT_ROOM_FAILED
        if source == "console":
            self._host.emit(Error(level="error", message=message, source="room"))
        self._host.fail(EXIT_ROOM_FAILED)
