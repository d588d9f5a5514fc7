"""End of speech -> final transcript, and the transcript's accuracy, for the offline STT set-ups.

    .venv/bin/python bench/bench_stt_latency.py [--runs 3] [--min-silence 0.55 0.4]

Real Silero VAD and Moonshine. Each test phrase (espeak-ng, the phrases of tests/offline) is
pushed as 24 kHz 10 ms frames at real-time pace, followed by silence; the figure is the time
from the last frame of speech to the FINAL_TRANSCRIPT, and the word error rate of that
transcript. The set-ups alternate within each run, so they share the machine's load:

* ``adapter``: ``MoonshineSTT`` behind the framework's ``StreamAdapter`` (the example until now);
* ``speculative``: ``MoonshineStreamingSTT(interim_interval=None)``, final decoded speculatively
  once the VAD hears 0.1 s of silence.

Each is run with every ``--min-silence`` value (Silero's ``min_silence_duration``).
Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from livekit import rtc
from livekit.agents import stt

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "offline"))
from _common import row
from offline_helpers import word_error_rate

from agentconsole.offline import MoonshineStreamingSTT, MoonshineSTT, moonshine
from agentconsole.offline.speech import synthesize_pcm

PHRASES = [
    "turn on the kitchen lights",
    "what is the weather in paris",
    "please turn on the kitchen lights and then tell me the weather in paris",
    "hello",
    "tell me a story",
]
RATE = 24000
FRAME = RATE // 100


def frames_of(pcm: bytes) -> list[rtc.AudioFrame]:
    out = []
    for i in range(0, len(pcm) // 2, FRAME):
        chunk = pcm[i * 2 : (i + FRAME) * 2]
        chunk += b"\x00\x00" * (FRAME - len(chunk) // 2)
        out.append(
            rtc.AudioFrame(data=chunk, sample_rate=RATE, num_channels=1, samples_per_channel=FRAME)
        )
    return out


def speech_end(pcm: bytes) -> float:
    """Seconds into `pcm` of the last sample above a small level (the end of speech)."""
    a = np.abs(np.frombuffer(pcm, dtype=np.int16))
    loud = np.nonzero(a > 300)[0]
    return float(loud[-1]) / RATE if loud.size else 0.0


async def one(model: Any, pcm: bytes) -> tuple[float, str]:
    """Push `pcm` + 1.5 s of silence in real time; seconds from speech end to the final."""
    stream = model.stream()
    frames = frames_of(pcm + b"\x00\x00" * int(1.5 * RATE))
    end_at: list[float] = []
    final: list[tuple[float, str]] = []

    async def read() -> None:
        async for ev in stream:
            if ev.type == stt.SpeechEventType.FINAL_TRANSCRIPT and not final:
                final.append((time.monotonic(), ev.alternatives[0].text))

    reader = asyncio.create_task(read())
    t0 = time.monotonic()
    end = speech_end(pcm)
    for i, frame in enumerate(frames):
        await asyncio.sleep(max(0.0, t0 + i * 0.01 - time.monotonic()))
        stream.push_frame(frame)
        if not end_at and (i + 1) * 0.01 >= end:
            end_at.append(t0 + end)
        if final and time.monotonic() - final[0][0] > 0.1:
            break
    stream.end_input()
    await asyncio.wait_for(reader, 30)
    await stream.aclose()
    if not final:
        return float("nan"), ""
    return final[0][0] - end_at[0], final[0][1]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--min-silence", type=float, nargs="+", default=[0.55, 0.4])
    args = parser.parse_args()
    from livekit.plugins import silero

    moonshine.load_model()
    pcms = {p: synthesize_pcm(p, sample_rate=RATE, pad_seconds=0.3) for p in PHRASES}
    setups: dict[str, Any] = {}
    for ms in args.min_silence:
        v = silero.VAD.load(min_silence_duration=ms)
        setups[f"adapter     min_silence={ms}"] = stt.StreamAdapter(stt=MoonshineSTT(), vad=v)
        setups[f"speculative min_silence={ms}"] = MoonshineStreamingSTT(
            vad=v, interim_interval=None
        )
    lat: dict[str, list[float]] = {k: [] for k in setups}
    wer: dict[str, list[float]] = {k: [] for k in setups}
    texts: dict[str, set[str]] = {k: set() for k in setups}
    for _ in range(args.runs):
        for phrase, pcm in pcms.items():
            for name, model in setups.items():
                seconds, text = await one(model, pcm)
                lat[name].append(seconds)
                wer[name].append(word_error_rate(text, phrase))
                texts[name].add(f"{phrase!r} -> {text!r}")
    for name in setups:
        print(row(f"{name} end of speech -> final", lat[name]))
    for name in setups:
        print(f"{name} WER mean {np.mean(wer[name]):.3f} max {max(wer[name]):.3f}")
    for name in setups:
        print(name)
        for t in sorted(texts[name]):
            print("   ", t)


if __name__ == "__main__":
    asyncio.run(main())
