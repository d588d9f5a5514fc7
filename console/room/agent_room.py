"""The job side of room-connect mode: the agent's ``rtc.Room``.

The job builds a real ``rtc.Room`` and an agent token from the credentials in its environment,
and hands both to the ``JobContext``; the user's entrypoint (or ``AgentSession.start`` through
RoomIO) connects it as usual. This module wraps that connect: it is bounded
(``CONNECT_DEADLINE``), a failure becomes one line (``on_failed``) instead of the SDK's retry
log and a traceback, and the room's state and participants are reported as ``room`` events.
A connection lost mid-session (the SDK gave up reconnecting) is reported through ``on_lost``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from .errors import CONNECT_DEADLINE, describe_connect_error, install_sdk_log_filter
from .options import credentials
from .tokens import agent_token

__all__ = ["AgentRoom"]

Emit = Callable[..., None]

_DISCONNECT_TIMEOUT = 2.0


class AgentRoom:
    """The agent's room for one job. ``room``, ``url``, ``token`` and ``identity`` go to the
    ``JobContext``; ``aclose()`` leaves the room at the end of the job."""

    def __init__(
        self,
        entry: dict[str, Any],
        *,
        emit: Emit,
        on_failed: Callable[[str], None],
        on_lost: Callable[[str], None],
        env: dict[str, str] | None = None,
    ) -> None:
        from livekit import rtc

        install_sdk_log_filter()
        env_url, key, secret = credentials(env)
        self.name = str(entry["name"])
        self.url = str(entry.get("url") or env_url)
        self.identity = str(entry.get("identity") or "agentconsole-agent")
        if not (self.url and key and secret):
            raise RuntimeError(
                "room mode: LIVEKIT_URL, LIVEKIT_API_KEY or LIVEKIT_API_SECRET is missing "
                "from the job's environment"
            )
        self.token = agent_token(key, secret, room=self.name, identity=self.identity)
        self._emit = emit
        self._on_failed = on_failed
        self._on_lost = on_lost
        self.failure: str | None = None
        self.connected_once = False
        self.connect_time: float | None = None
        self._closing = False
        # looked up now, not at import: tests replace livekit.rtc.Room at this boundary
        self.room: Any = rtc.Room()
        self._wrap_connect()
        self._listen()

    # -- connect ----------------------------------------------------------------------------

    def _wrap_connect(self) -> None:
        from livekit import rtc

        room = self.room
        connect = room.connect

        async def bounded_connect(url: str, token: str, options: Any = None) -> None:
            self._report("connecting")
            started = time.monotonic()
            if options is None:
                options = rtc.RoomOptions()
            try:
                await asyncio.wait_for(connect(url, token, options), timeout=CONNECT_DEADLINE)
            except asyncio.TimeoutError:
                self._fail(describe_connect_error("timeout", self.url))
                raise rtc.ConnectError(self.failure or "timeout") from None
            except rtc.ConnectError as exc:
                self._fail(describe_connect_error(str(getattr(exc, "message", exc)), self.url))
                raise rtc.ConnectError(self.failure or "connect failed") from None
            self.connected_once = True
            self.connect_time = round(time.monotonic() - started, 4)
            self._report("connected")

        room.connect = bounded_connect

    def _fail(self, message: str) -> None:
        if self.failure is None:
            self.failure = message
            self._report("failed")
            self._on_failed(message)

    # -- room events ------------------------------------------------------------------------

    def _listen(self) -> None:
        room = self.room
        room.on("participant_connected", lambda *_: self._report())
        room.on("participant_disconnected", lambda *_: self._report())
        room.on("reconnecting", lambda *_: self._report("reconnecting"))
        room.on("reconnected", lambda *_: self._report("connected"))
        room.on("disconnected", self._on_disconnected)

    def _on_disconnected(self, reason: Any = None) -> None:
        self._report("disconnected")
        if self._closing or not self.connected_once:
            return
        from livekit import rtc

        name = _reason_name(rtc, reason)
        if name in ("CLIENT_INITIATED",):
            return
        self._on_lost(f"the agent lost its connection to the room {self.name!r} ({name.lower()})")

    def participants(self) -> list[str]:
        """Identities in the room, the agent first."""
        room = self.room
        names: list[str] = []
        with contextlib.suppress(Exception):
            local = room.local_participant.identity
            if local:
                names.append(str(local))
        with contextlib.suppress(Exception):
            names += sorted(str(p.identity) for p in room.remote_participants.values())
        return names

    def _report(self, state: str | None = None) -> None:
        if state is None:
            state = "connected" if self._isconnected() else "disconnected"
        self._emit(
            "room",
            state=state,
            room=self.name,
            participants=self.participants() if state != "failed" else [],
            who="agent",
            identity=self.identity,
        )

    def _isconnected(self) -> bool:
        try:
            return bool(self.room.isconnected())
        except Exception:
            return False

    async def aclose(self) -> None:
        """Leave the room (bounded)."""
        self._closing = True
        if not self._isconnected():
            return
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(self.room.disconnect(), timeout=_DISCONNECT_TIMEOUT)


def _reason_name(rtc: Any, reason: Any) -> str:
    if isinstance(reason, int):
        with contextlib.suppress(Exception):
            return str(rtc.DisconnectReason.Name(reason))
    return str(reason or "UNKNOWN_REASON")
