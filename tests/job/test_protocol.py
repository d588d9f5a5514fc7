"""The wire framing (pure Python, both processes use it)."""

from __future__ import annotations

import pytest

from agentconsole import protocol


def test_round_trip_in_arbitrary_chunks() -> None:
    pcm = bytes(range(256)) * 2
    stream = (
        protocol.encode_json({"type": "vad", "probability": 0.5, "speaking": False})
        + protocol.encode_audio(protocol.KIND_MIC, pcm[: protocol.AUDIO_FRAME_BYTES])
        + protocol.encode_json({"cmd": "say", "text": "héllo ✓"})
        + protocol.encode_audio(protocol.KIND_PLAY, b"")
    )
    for size in (1, 3, 7, 64, len(stream)):
        decoder = protocol.FrameDecoder()
        frames = []
        for i in range(0, len(stream), size):
            frames += decoder.feed(stream[i : i + size])
        assert [k for k, _ in frames] == [
            protocol.KIND_JSON,
            protocol.KIND_MIC,
            protocol.KIND_JSON,
            protocol.KIND_PLAY,
        ]
        assert protocol.decode_json(frames[0][1])["probability"] == 0.5
        assert frames[1][1] == pcm[: protocol.AUDIO_FRAME_BYTES]
        assert protocol.decode_json(frames[2][1])["text"] == "héllo ✓"
        assert frames[3][1] == b""


def test_frame_size_constants() -> None:
    assert protocol.AUDIO_FRAME_SAMPLES * 100 == protocol.SAMPLE_RATE
    assert protocol.AUDIO_FRAME_BYTES == 2 * protocol.AUDIO_FRAME_SAMPLES


@pytest.mark.parametrize(
    "data",
    [
        protocol.FRAME_HEADER.pack(protocol.MAX_FRAME + 1, protocol.KIND_JSON),
        protocol.FRAME_HEADER.pack(4, ord("Z")) + b"abcd",
    ],
)
def test_corrupt_headers_are_refused(data: bytes) -> None:
    with pytest.raises(protocol.ProtocolError):
        protocol.FrameDecoder().feed(data)


@pytest.mark.parametrize("payload", [b"\xff\xfe", b"[1, 2]", b"{"])
def test_bad_json_payloads(payload: bytes) -> None:
    with pytest.raises(protocol.ProtocolError):
        protocol.decode_json(payload)
