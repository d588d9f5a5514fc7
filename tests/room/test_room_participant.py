"""The console's own participant, with the LiveKit server faked at the ``livekit.rtc``
boundary (``fake_rtc``; no server can run here): it joins with a microphone-only token,
publishes the microphone, sends exactly the frames it is given, plays only the agent's audio,
reports the room, and reports a lost connection."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import fake_rtc
import jwt
import numpy as np
import pytest
from livekit import rtc
from room_support import KEY, SECRET

from agentconsole import protocol
from agentconsole.room.options import AGENT_IDENTITY, RoomConfig
from agentconsole.room.participant import ConsoleParticipant


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(rtc, "Room", fake_rtc.FakeRoom)
    monkeypatch.setattr(rtc, "AudioSource", fake_rtc.FakeAudioSource)
    monkeypatch.setattr(rtc.LocalAudioTrack, "create_audio_track", staticmethod(fake_rtc.FakeTrack))
    monkeypatch.setattr(rtc.AudioStream, "from_track", staticmethod(fake_rtc._from_track))
    monkeypatch.delenv(fake_rtc.REPORT_ENV, raising=False)
    monkeypatch.delenv(fake_rtc.CALLER_ENV, raising=False)
    fake_rtc.FakeRoom.instances.clear()
    fake_rtc.FakeAudioSource.instances.clear()
    yield


def _tone(n: int) -> bytes:
    t = np.arange(protocol.SAMPLE_RATE // 100) + n * 240
    return (np.sin(t / 9.0) * 8000).astype(np.int16).tobytes()


async def _until(check: Any, timeout: float = 2.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met")


async def test_participant_publishes_the_microphone_and_plays_the_agent(fakes: None) -> None:
    events: list[dict[str, Any]] = []
    played: list[bytes] = []
    lost: list[str] = []
    config = RoomConfig(name="kitchen", url="ws://fake.invalid", identity="dev")
    participant = ConsoleParticipant(
        config,
        {"LIVEKIT_URL": config.url, "LIVEKIT_API_KEY": KEY, "LIVEKIT_API_SECRET": SECRET},
        emit=lambda ev: events.append(ev.to_dict()),
        play=played.append,
        on_lost=lost.append,
    )
    await participant.connect()
    (room,) = fake_rtc.FakeRoom.instances
    claims = jwt.decode(room.token, SECRET, algorithms=["HS256"])
    assert claims["sub"] == "dev" and claims["kind"] == "standard"
    assert claims["video"]["canPublishSources"] == ["microphone"]

    # publishes one microphone track, fed by its own audio source
    ((track, options),) = room.published
    assert options.source == rtc.TrackSource.SOURCE_MICROPHONE
    (source,) = fake_rtc.FakeAudioSource.instances
    assert track.source is source and source.sample_rate == protocol.SAMPLE_RATE

    # microphone frames reach the room unchanged, in order
    frames = [_tone(i) for i in range(20)]
    for pcm in frames:
        participant.push_mic(pcm)
    await _until(lambda: source.frames == 20)
    assert bytes(source.pcm) == b"".join(frames)

    # subscribes: the agent's audio is played, another participant's is not
    agent = room.join(AGENT_IDENTITY, kind=rtc.ParticipantKind.PARTICIPANT_KIND_AGENT)
    other = room.join("browser")
    agent_track = fake_rtc.FakeTrack("agent-audio", None)
    other_track = fake_rtc.FakeTrack("browser-mic", None)
    fake_rtc.FakeAudioStream.queued[id(agent_track)] = [_tone(100 + i) for i in range(5)]
    fake_rtc.FakeAudioStream.queued[id(other_track)] = [_tone(200)]
    room.emit("track_subscribed", other_track, type("P", (), {"sid": "TR_o"})(), other)
    room.emit("track_subscribed", agent_track, type("P", (), {"sid": "TR_a"})(), agent)
    await _until(lambda: len(played) == 5)
    await asyncio.sleep(0.05)
    assert played == [_tone(100 + i) for i in range(5)]

    rooms = [e for e in events if e["type"] == "room"]
    assert [e["state"] for e in rooms[:2]] == ["connecting", "connected"]
    assert rooms[-1]["participants"] == ["dev", AGENT_IDENTITY, "browser"]
    assert all(e["who"] == "console" and e["room"] == "kitchen" for e in rooms)

    # the server drops us: reported once, as one line
    room.drop()
    assert lost == ["the console lost its connection to the room 'kitchen' (signal_close)"]
    await participant.aclose()
    assert source.closed


async def test_participant_leaves_the_room_on_close(fakes: None) -> None:
    lost: list[str] = []
    config = RoomConfig(name="r", url="ws://fake.invalid", identity="dev")
    participant = ConsoleParticipant(
        config,
        {"LIVEKIT_API_KEY": KEY, "LIVEKIT_API_SECRET": SECRET},
        emit=lambda ev: None,
        play=lambda pcm: None,
        on_lost=lost.append,
    )
    await participant.connect()
    (room,) = fake_rtc.FakeRoom.instances
    await participant.aclose()
    assert room.disconnect_calls == 1 and not room.connected
    assert lost == []  # leaving is not losing
    participant.push_mic(_tone(0))  # after close: ignored, no error
