"""EspeakTTS and the espeak-ng engine: real synthesis through the bundled libespeak-ng."""

from __future__ import annotations

import asyncio
import itertools
import threading
import wave
from pathlib import Path

import numpy as np
import pytest

from agentconsole.offline import EspeakTTS, espeak, synthesize_wav


async def _synthesize(tts: EspeakTTS, text: str) -> list[bytes]:
    chunks: list[bytes] = []
    async with tts.synthesize(text) as stream:
        async for ev in stream:
            assert ev.frame.sample_rate == 22050 and ev.frame.num_channels == 1
            chunks.append(bytes(ev.frame.data))
    return chunks


def _rms(pcm: bytes) -> float:
    a = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    return float(np.sqrt(np.mean(a**2))) if a.size else 0.0


async def test_synthesize_streams_audible_frames() -> None:
    chunks = await _synthesize(EspeakTTS(), "Sure, I turned on the kitchen lights for you now.")
    seconds = sum(len(c) for c in chunks) / 2 / 22050
    assert 1.5 < seconds < 6.0  # ~10 words of speech
    assert len(chunks) > 1  # delivered as several frames, not one blob
    assert _rms(b"".join(chunks)) > 300  # speech, not silence


async def test_rate_changes_duration() -> None:
    text = "one two three four five six seven eight"
    slow = b"".join(await _synthesize(EspeakTTS(rate=120), text))
    fast = b"".join(await _synthesize(EspeakTTS(rate=300), text))
    assert len(slow) > 1.6 * len(fast)


async def test_concurrent_syntheses_all_complete() -> None:
    tts = EspeakTTS()
    texts = ["first sentence here", "second one, a little longer than the first", "third"]
    results = await asyncio.gather(*(_synthesize(tts, t) for t in texts))
    alone = [b"".join(await _synthesize(tts, t)) for t in texts]
    # espeak adds a little random jitter, so compare lengths (within 5 %), not bytes.
    for together, single in zip(results, alone, strict=True):
        assert abs(len(b"".join(together)) - len(single)) < 0.05 * len(single)


def test_engine_serialises_threads() -> None:
    order: list[int] = []

    def run(i: int) -> None:
        espeak.engine().synthesize(f"sentence number {i} is spoken", lambda _: order.append(i))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    # Each synthesis's chunks arrive as one uninterrupted run: never A, B, A.
    runs = [k for k, _ in itertools.groupby(order)]
    assert sorted(runs) == [0, 1, 2]


async def test_cancel_stops_synthesis_and_engine_stays_usable() -> None:
    tts = EspeakTTS()
    stream = tts.synthesize(" ".join(["this is a long sentence that keeps going"] * 40))
    first = await stream.__anext__()
    assert first.frame.samples_per_channel > 0
    await stream.aclose()
    after = await _synthesize(tts, "still working")
    assert _rms(b"".join(after)) > 300


def test_engine_abort_raises() -> None:
    calls = 0

    def sink(_: bytes) -> None:
        nonlocal calls
        calls += 1

    with pytest.raises(espeak.SynthesisAborted):
        espeak.engine().synthesize("abort me " * 50, sink, should_abort=lambda: calls >= 2)
    assert calls == 2


def test_unknown_voice_is_an_error() -> None:
    with pytest.raises(espeak.EspeakError):
        espeak.engine().synthesize_pcm("hello", voice="no-such-voice-xyz")
    assert espeak.engine().synthesize_pcm("hello")  # previous voice still works


def test_synthesize_wav_pads_silence(tmp_path: Path) -> None:
    path = synthesize_wav("hello there", tmp_path / "hello.wav", sample_rate=16000)
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16000)
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    pad = int(0.3 * 16000)
    assert np.abs(pcm[:pad]).max() == 0 and np.abs(pcm[-pad:]).max() == 0
    assert _rms(pcm[pad:-pad].tobytes()) > 300
