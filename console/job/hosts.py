"""Where the job's agent session lives: the console's audio over the wire, or a LiveKit room.

The runner picks one :class:`SessionHost` from the ``start`` command (:func:`choose_host`)
and runs the same path for both; only the host knows which room the entrypoint gets, whether
the console bridge carries the session's audio, and what to leave at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from . import framework

__all__ = ["LocalHost", "RoomHostError", "RoomSessionHost", "SessionHost", "choose_host"]

Emit = Callable[..., None]


class RoomHostError(Exception):
    """The room could not be set up (bad entry, missing credentials): one line for the user."""


class SessionHost(Protocol):
    """One mode's part of running the agent session in the job."""

    bridge_io: bool
    """True when the console bridge is the session's audio and text IO."""

    def before_start(self, bridge: Any, session: Any) -> None:
        """Called as ``AgentSession.start`` begins."""

    def after_start(self, bridge: Any, session: Any) -> None:
        """Called once ``AgentSession.start`` has returned."""

    def make_context(self, proc: Any, on_shutdown: Callable[[str], None]) -> Any:
        """The ``JobContext`` for the entrypoint. Raises :class:`RoomHostError`."""

    @property
    def failed(self) -> bool:
        """True when the host already reported why the session ended."""

    async def aclose(self) -> None:
        """Leave whatever the host joined."""


class LocalHost:
    """The console's microphone and speaker, over the wire; the entrypoint gets a mock room."""

    bridge_io = True

    def __init__(self, deployment: dict[str, Any] | None = None) -> None:
        self._deployment = deployment or {}
        """What a deployment hands the agent (``--job-metadata``, ``--participant-*``)."""

    def before_start(self, bridge: Any, session: Any) -> None:
        """Nothing: the bridge is the session's IO."""

    def after_start(self, bridge: Any, session: Any) -> None:
        """Nothing: the bridge is the session's IO."""

    def make_context(self, proc: Any, on_shutdown: Callable[[str], None]) -> Any:
        """A context around the framework's mock room."""
        room = framework.create_mock_room()
        deployment = self._deployment
        framework.configure_participant(
            room,
            identity=deployment.get("participant_identity"),
            attributes=deployment.get("participant_attributes"),
        )
        return framework.make_job_context(
            room=room,
            proc=proc,
            on_shutdown=on_shutdown,
            metadata=str(deployment.get("job_metadata") or ""),
        )

    @property
    def failed(self) -> bool:
        """Never."""
        return False

    async def aclose(self) -> None:
        """Nothing to leave."""


class RoomSessionHost:
    """Room-connect mode: the agent joins a real room; RoomIO carries the audio."""

    bridge_io = False

    def __init__(self, entry: dict[str, Any], emit: Emit, on_failed: Callable[[str], None]):
        self._entry = entry
        self._emit = emit
        self._on_failed = on_failed
        self._room: Any = None  # agentconsole.room.agent_room.AgentRoom

    def before_start(self, bridge: Any, session: Any) -> None:
        """The bridge only listens to the session (for the console's events)."""
        bridge.observe(session)

    def after_start(self, bridge: Any, session: Any) -> None:
        """The transcript comes from RoomIO's text outputs."""
        bridge.tap_room_text(session)

    def make_context(self, proc: Any, on_shutdown: Callable[[str], None]) -> Any:
        """A real context around the agent's ``rtc.Room`` (connected by the entrypoint)."""
        try:
            from ..room.agent_room import AgentRoom

            room = AgentRoom(
                self._entry, emit=self._emit, on_failed=self._on_failed, on_lost=self._on_failed
            )
        except Exception as exc:
            raise RoomHostError(f"room mode: {exc}") from exc
        self._room = room
        return framework.make_job_context(
            room=room.room,
            proc=proc,
            on_shutdown=on_shutdown,
            fake=False,
            url=room.url,
            token=room.token,
            identity=room.identity,
        )

    @property
    def failed(self) -> bool:
        """True when joining failed or the room was lost (already reported in one line)."""
        return self._room is not None and bool(self._room.failure)

    async def aclose(self) -> None:
        """Leave the room."""
        if self._room is not None:
            await self._room.aclose()


def choose_host(
    room_entry: dict[str, Any] | None,
    emit: Emit,
    on_room_failed: Callable[[str], None],
    deployment: dict[str, Any] | None = None,
) -> SessionHost:
    """The host for a ``start`` command's ``room`` entry (None: local, given the
    ``deployment`` entry: job metadata and the participant)."""
    if room_entry:
        return RoomSessionHost(room_entry, emit, on_room_failed)
    return LocalHost(deployment)
