"""Media routes: where the microphone goes and where the agent's audio comes from, per mode.

The supervisor picks one route at start (:func:`choose_route`) and talks to it only through
:class:`MediaRoute`; a route asks the supervisor for things only through :class:`RouteHost`.

* Local audio (:class:`agentconsole.audio.route.LocalAudioRoute`): the audio engine's mic
  frames go to the active job over the wire, the job's agent audio goes to the engine, and
  the playout handshake tells the job what was heard. ``--input-wav`` is held back until the
  agent listens.
* Room (:class:`agentconsole.room.host.RoomHost`): the console joins the room as the
  developer; the mic goes to the room, the agent's track comes back from it. The job runs
  the agent in the room itself; the route watches its room events for the failure policy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from . import protocol
from .events import Event

if TYPE_CHECKING:
    from .jobs import Job

__all__ = ["MediaRoute", "RouteHost", "choose_route"]


class RouteHost(Protocol):
    """What a media route may ask of the supervisor."""

    def emit(self, ev: Event) -> None:
        """Stamp and deliver one event (any thread)."""

    def request_reload(self, reason: str) -> None:
        """Replace the active job with one running the current code (io loop)."""

    def fail(self, exit_code: int) -> None:
        """End the console with ``exit_code`` (io loop). Jobs never started stop at once."""


class MediaRoute(Protocol):
    """One mode's audio path and its part of the session policy (io loop only)."""

    async def open(self) -> bool:
        """Open devices (and join, in room mode). False when the console cannot go on.

        Anything done before the first ``await`` runs before the first job is spawned."""

    def start_entry(self) -> dict[str, Any] | None:
        """The ``room`` entry of the job's ``start`` command, or None."""

    def attach(self, job: Job | None) -> None:
        """``job`` is now the active job (None: there is none)."""

    def on_job_event(self, job: Job, ev: protocol.Event) -> bool:
        """See every event of every job. True when the route consumed it (not delivered)."""

    def on_job_audio(self, job: Job, pcm: bytes) -> None:
        """Agent audio from the active job."""

    def after_job_exit(self, job: Job, error: str | None) -> bool:
        """The active job ended. True when the route handled it (the usual policy is skipped)."""

    def mute(self, on: bool) -> None:
        """Mute the microphone (or not)."""

    async def aclose(self) -> None:
        """Close devices, leave the room."""


def choose_route(host: RouteHost, audio: Any, room: Any, env: dict[str, str]) -> MediaRoute:
    """The route for this run: room mode when ``room`` is given, else local audio.

    ``audio`` is an ``AudioConfig`` or None (text only); ``env`` carries room credentials.
    """
    if room is not None:
        from .room.host import RoomHost

        return RoomHost(host, room, audio, env)
    from .audio.route import LocalAudioRoute

    return LocalAudioRoute(host, audio)
