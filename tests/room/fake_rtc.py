"""A stand-in for the LiveKit server at the ``livekit.rtc`` boundary (no server can run here).

``install()`` replaces ``rtc.Room``, ``rtc.AudioSource``, ``rtc.LocalAudioTrack.create_audio_track``
and ``rtc.AudioStream.from_track`` with Python fakes. Everything above that boundary is real:
agentconsole's room code, livekit-agents' RoomIO and AgentSession, the offline models.

In a job process (``install(report=path)``, called from a test's agent file) the fake room
records what the agent did (token, published tracks, audio frames and their level) in a JSON
report, and can drop the connection once (``FAKE_RTC_DROP_AFTER`` seconds after connecting).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, MagicMock, create_autospec

import numpy as np
from livekit import rtc
from livekit.rtc.event_emitter import EventEmitter

REPORT_ENV = "FAKE_RTC_REPORT"
DROP_ENV = "FAKE_RTC_DROP_AFTER"
CALLER_ENV = "FAKE_RTC_CALLER"


def jwt_claims(token: str) -> dict[str, Any]:
    """Decode a token without checking its signature (the fake is not the server)."""
    import jwt

    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


class FakeAudioSource:
    """``rtc.AudioSource`` that plays out in real time to nowhere, and keeps what it got."""

    instances: list[FakeAudioSource] = []

    def __init__(self, sample_rate: int, num_channels: int = 1, queue_size_ms: int = 1000) -> None:
        self.sample_rate = sample_rate
        self.num_channels = num_channels
        self._end = 0.0
        self.frames = 0
        self.seconds = 0.0
        self.peak = 0
        self.pcm = bytearray()
        self.closed = False
        FakeAudioSource.instances.append(self)

    @property
    def queued_duration(self) -> float:
        return max(0.0, self._end - time.monotonic())

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        data = np.frombuffer(bytes(frame.data), dtype=np.int16)
        self.frames += 1
        self.seconds += frame.duration
        if data.size:
            self.peak = max(self.peak, int(np.abs(data.astype(np.int32)).max()))
        if len(self.pcm) < 10_000_000:
            self.pcm += bytes(frame.data)
        now = time.monotonic()
        self._end = max(self._end, now) + frame.duration
        # like the native source: accept up to ~200 ms ahead, then wait
        ahead = self._end - now - 0.2
        if ahead > 0:
            await asyncio.sleep(ahead)
        if self.frames % 10 == 0:
            _write_report()

    def clear_queue(self) -> None:
        self._end = time.monotonic()

    async def wait_for_playout(self) -> None:
        while self.queued_duration > 0:
            await asyncio.sleep(min(self.queued_duration, 0.05))

    async def aclose(self) -> None:
        self.closed = True


class FakeTrack:
    def __init__(self, name: str, source: Any) -> None:
        self.name = name
        self.source = source
        self.sid = f"TR_{name}"
        self.kind = rtc.TrackKind.KIND_AUDIO


class FakeRoom(EventEmitter[Any]):
    """``rtc.Room``: connect records the token; the server's side is played by the test."""

    instances: list[FakeRoom] = []

    def __init__(self, loop: Any = None) -> None:
        super().__init__()
        self.url = ""
        self.token = ""
        self.options: Any = None
        self.connected = False
        self.disconnect_calls = 0
        self.published: list[tuple[Any, Any]] = []
        self.remote_participants: dict[str, Any] = {}
        self.name = ""
        self.metadata = ""
        self.local_participant = create_autospec(rtc.LocalParticipant, instance=True)
        self.local_participant.sid = "PA_local"
        self.local_participant.identity = ""
        self.local_participant.track_publications = {}
        self.local_participant.publish_track = AsyncMock(side_effect=self._publish)
        self.local_participant.set_attributes = AsyncMock(return_value=None)
        self.local_participant.publish_transcription = AsyncMock(return_value=None)
        writer = MagicMock()
        writer.write = AsyncMock(return_value=None)
        writer.aclose = AsyncMock(return_value=None)
        writer.info = MagicMock(stream_id="ST_fake")
        self.local_participant.stream_text = AsyncMock(return_value=writer)
        self._info = MagicMock(sid="RM_fake")
        FakeRoom.instances.append(self)

    # the SDK's surface that RoomIO and JobContext use
    async def connect(self, url: str, token: str, options: Any = None) -> None:
        self.url, self.token, self.options = url, token, options
        claims = jwt_claims(token)
        self.name = claims["video"]["room"]
        self.local_participant.identity = claims["sub"]
        self.connected = True
        _write_report()
        self.emit("connection_state_changed", rtc.ConnectionState.CONN_CONNECTED)
        self.emit("connected")
        caller = os.environ.get(CALLER_ENV)
        if caller:
            asyncio.get_running_loop().call_later(0.05, self.join, caller)
        drop = os.environ.get(DROP_ENV)
        report = os.environ.get(REPORT_ENV)
        marker = Path(report + ".dropped") if report else None
        if drop and marker is not None and not marker.exists():
            marker.write_text(str(os.getpid()))
            asyncio.get_running_loop().call_later(float(drop), self.drop)

    def isconnected(self) -> bool:
        return self.connected

    @property
    def connection_state(self) -> int:
        return rtc.ConnectionState.CONN_CONNECTED if self.connected else 0

    async def sid(self) -> str:
        return "RM_fake"

    async def disconnect(self, *, reason: Any = None) -> None:
        self.disconnect_calls += 1
        if self.connected:
            self.connected = False
            _write_report()
            self.emit("disconnected", rtc.DisconnectReason.CLIENT_INITIATED)

    def register_text_stream_handler(self, topic: str, handler: Any) -> None:
        pass

    def unregister_text_stream_handler(self, topic: str) -> None:
        pass

    def register_byte_stream_handler(self, topic: str, handler: Any) -> None:
        pass

    def unregister_byte_stream_handler(self, topic: str) -> None:
        pass

    async def _publish(self, track: Any, options: Any = None) -> Any:
        self.published.append((track, options))
        publication = MagicMock(sid=f"TR_pub{len(self.published)}", track=track)
        publication.wait_for_subscription = AsyncMock(return_value=None)
        _write_report()
        return publication

    # the server's side, played by tests
    def join(self, identity: str, kind: int = rtc.ParticipantKind.PARTICIPANT_KIND_STANDARD) -> Any:
        participant = create_autospec(rtc.RemoteParticipant, instance=True)
        participant.identity = identity
        participant.sid = f"PA_{identity}"
        participant.kind = kind
        participant.attributes = {}
        participant.track_publications = {}
        participant.state = rtc.ParticipantState.PARTICIPANT_STATE_ACTIVE
        self.remote_participants[identity] = participant
        self.emit("participant_connected", participant)
        return participant

    def drop(self, reason: int = rtc.DisconnectReason.SIGNAL_CLOSE) -> None:
        """The server went away and the SDK gave up reconnecting."""
        self.connected = False
        _write_report()
        self.emit("connection_state_changed", 0)
        self.emit("disconnected", reason)


class FakeAudioStream:
    """``rtc.AudioStream.from_track``: yields the frames a test queued for that track."""

    queued: dict[int, list[bytes]] = {}

    def __init__(self, track: Any, sample_rate: int, num_channels: int) -> None:
        self.track = track
        self.sample_rate = sample_rate
        self.closed = False

    def __aiter__(self) -> FakeAudioStream:
        return self

    async def __anext__(self) -> Any:
        frames = FakeAudioStream.queued.get(id(self.track), [])
        if not frames:
            await asyncio.sleep(3600)
            raise StopAsyncIteration
        pcm = frames.pop(0)
        await asyncio.sleep(0)
        frame = rtc.AudioFrame(pcm, self.sample_rate, 1, len(pcm) // 2)
        return MagicMock(frame=frame)

    async def aclose(self) -> None:
        self.closed = True


def _from_track(*, track: Any, sample_rate: int = 48000, num_channels: int = 1, **_: Any) -> Any:
    return FakeAudioStream(track, sample_rate, num_channels)


def install() -> None:
    """Replace the SDK's media and room classes with the fakes (this process)."""
    rtc.Room = FakeRoom  # type: ignore[misc]
    rtc.AudioSource = FakeAudioSource  # type: ignore[misc]
    rtc.LocalAudioTrack.create_audio_track = staticmethod(FakeTrack)  # type: ignore[method-assign]
    rtc.AudioStream.from_track = staticmethod(_from_track)  # type: ignore[method-assign]


def _write_report() -> None:
    path = os.environ.get(REPORT_ENV)
    if not path:
        return
    rooms = [
        {
            "url": r.url,
            "token": r.token,
            "connected": r.connected,
            "disconnect_calls": r.disconnect_calls,
            "published": [getattr(t, "name", "") for t, _ in r.published],
        }
        for r in FakeRoom.instances
    ]
    sources = [
        {"frames": s.frames, "seconds": round(s.seconds, 3), "peak": s.peak}
        for s in FakeAudioSource.instances
    ]
    target = Path(f"{path}.{os.getpid()}.json")
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), "rooms": rooms, "sources": sources}))
    tmp.replace(target)
