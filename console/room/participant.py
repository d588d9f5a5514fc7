"""The console's own participant in room-connect mode: the developer joins the room.

It publishes the local microphone (the audio engine's echo-cancelled 10 ms frames) as a
microphone track, subscribes to the agent's audio track and plays it through the audio engine,
so the developer hears the agent through the real media path. Runs on the supervisor's io
loop; ``livekit.rtc`` is imported only here and only in room mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from .. import protocol
from ..events import Event, Room
from .errors import (
    CONNECT_DEADLINE,
    RoomConnectError,
    describe_connect_error,
    install_sdk_log_filter,
)
from .options import RoomConfig, credentials
from .tokens import participant_token

__all__ = ["ConsoleParticipant", "RoomConnectError"]

Emit = Callable[[Event], None]

_MIC_QUEUE = 50  # frames (0.5 s) waiting for the SDK before the oldest are dropped
_DISCONNECT_TIMEOUT = 2.0

log = logging.getLogger("agentconsole.room")


class ConsoleParticipant:
    """The developer in the room: microphone out, the agent's audio in."""

    def __init__(
        self,
        config: RoomConfig,
        env: dict[str, str],
        *,
        emit: Emit,
        play: Callable[[bytes], None],
        on_lost: Callable[[str], None],
    ) -> None:
        self.config = config
        self._env = env
        self._emit = emit
        self._play = play
        self._on_lost = on_lost
        self._room: Any = None
        self._source: Any = None
        self._mic: asyncio.Queue[bytes] = asyncio.Queue()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._readers: dict[str, asyncio.Task[None]] = {}
        self._closing = False
        self.connected = False
        self.connect_time: float | None = None
        self.frames_sent = 0
        self.frames_played = 0

    # -- connect ----------------------------------------------------------------------------

    async def connect(self) -> None:
        """Join the room, publish the microphone. Raises ``RoomConnectError`` (one line)
        within ``CONNECT_DEADLINE`` seconds."""
        from livekit import rtc

        install_sdk_log_filter()
        _, key, secret = credentials(self._env)
        token = participant_token(key, secret, room=self.config.name, identity=self.config.identity)
        room = rtc.Room()
        self._room = room
        room.on("participant_connected", lambda *_: self._report())
        room.on("participant_disconnected", lambda *_: self._report())
        room.on("track_subscribed", self._on_track_subscribed)
        room.on("track_unsubscribed", self._on_track_unsubscribed)
        room.on("reconnecting", lambda *_: self._report("reconnecting"))
        room.on("reconnected", lambda *_: self._report("connected"))
        room.on("disconnected", self._on_disconnected)
        self._report("connecting")
        started = time.monotonic()
        url = self.config.url
        try:
            await asyncio.wait_for(
                room.connect(url, token, rtc.RoomOptions(auto_subscribe=True)),
                timeout=CONNECT_DEADLINE,
            )
        except asyncio.TimeoutError:
            self._report("failed")
            message = describe_connect_error("timeout", url, who="the console")
            raise RoomConnectError(message) from None
        except rtc.ConnectError as exc:
            self._report("failed")
            text = str(getattr(exc, "message", exc))
            raise RoomConnectError(describe_connect_error(text, url, who="the console")) from None
        self.connected = True
        self.connect_time = round(time.monotonic() - started, 4)
        self._source = rtc.AudioSource(protocol.SAMPLE_RATE, 1, queue_size_ms=200)
        track = rtc.LocalAudioTrack.create_audio_track("agentconsole-microphone", self._source)
        options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        await room.local_participant.publish_track(track, options)
        self._spawn(self._pump_mic(), "agentconsole-room-mic")
        # an agent already in the room (a reload in progress, or it joined first)
        for participant in list(room.remote_participants.values()):
            for publication in list(participant.track_publications.values()):
                if publication.track is not None:
                    self._on_track_subscribed(publication.track, publication, participant)
        self._report("connected")

    # -- microphone -------------------------------------------------------------------------

    def push_mic(self, pcm: bytes) -> None:
        """Queue one 10 ms PCM16 mono frame at ``protocol.SAMPLE_RATE`` (io loop)."""
        if not self.connected or self._closing:
            return
        if self._mic.qsize() >= _MIC_QUEUE:
            with contextlib.suppress(asyncio.QueueEmpty):
                self._mic.get_nowait()
        self._mic.put_nowait(pcm)

    async def _pump_mic(self) -> None:
        from livekit import rtc

        while True:
            pcm = await self._mic.get()
            frame = rtc.AudioFrame(pcm, protocol.SAMPLE_RATE, 1, len(pcm) // 2)
            try:
                await self._source.capture_frame(frame)
            except Exception as exc:  # the source is gone: the room is closing
                log.debug("microphone frame dropped: %s", exc)
                continue
            self.frames_sent += 1

    # -- the agent's audio ------------------------------------------------------------------

    def _is_agent(self, participant: Any) -> bool:
        from livekit import rtc

        if getattr(participant, "identity", None) == self.config.agent_identity:
            return True
        return getattr(participant, "kind", None) == rtc.ParticipantKind.PARTICIPANT_KIND_AGENT

    def _on_track_subscribed(self, track: Any, publication: Any, participant: Any) -> None:
        from livekit import rtc

        if track.kind != rtc.TrackKind.KIND_AUDIO or not self._is_agent(participant):
            return
        sid = str(getattr(publication, "sid", "") or id(track))
        if sid in self._readers:
            return
        task = self._spawn(self._play_track(track), f"agentconsole-room-play-{sid}")
        self._readers[sid] = task
        self._report()

    def _on_track_unsubscribed(self, track: Any, publication: Any, participant: Any) -> None:
        task = self._readers.pop(str(getattr(publication, "sid", "") or id(track)), None)
        if task is not None:
            task.cancel()

    async def _play_track(self, track: Any) -> None:
        from livekit import rtc

        stream = rtc.AudioStream.from_track(
            track=track, sample_rate=protocol.SAMPLE_RATE, num_channels=1
        )
        try:
            async for ev in stream:
                self._play(bytes(ev.frame.data))
                self.frames_played += 1
        finally:
            with contextlib.suppress(Exception):
                await stream.aclose()

    # -- state ------------------------------------------------------------------------------

    def participants(self) -> list[str]:
        """Identities in the room, the console's own first."""
        names = [self.config.identity]
        room = self._room
        if room is not None:
            with contextlib.suppress(Exception):
                names += sorted(str(p.identity) for p in room.remote_participants.values())
        return names

    def _report(self, state: str | None = None) -> None:
        if state is None:
            state = "connected" if self.connected else "disconnected"
        self._emit(
            Room(
                state=state,
                room=self.config.name,
                participants=self.participants() if state != "failed" else [],
                who="console",
                identity=self.config.identity,
            )
        )

    def _on_disconnected(self, reason: Any = None) -> None:
        was_connected, self.connected = self.connected, False
        self._report("disconnected")
        if self._closing or not was_connected:
            return
        from livekit import rtc

        name = str(reason)
        with contextlib.suppress(Exception):
            name = str(rtc.DisconnectReason.Name(reason))
        if name == "CLIENT_INITIATED":
            return
        self._on_lost(
            f"the console lost its connection to the room {self.config.name!r} ({name.lower()})"
        )

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def aclose(self) -> None:
        """Leave the room (bounded); idempotent."""
        if self._closing:
            return
        self._closing = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        room = self._room
        if room is not None and self.connected:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(room.disconnect(), timeout=_DISCONNECT_TIMEOUT)
        self.connected = False
        if self._source is not None:
            with contextlib.suppress(Exception):
                await self._source.aclose()
