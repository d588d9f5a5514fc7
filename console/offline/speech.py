"""Speech audio without a TTS service: espeak-ng PCM and WAV files (fixtures, demos)."""

from __future__ import annotations

import wave
from pathlib import Path

from . import espeak

PAD_SECONDS = 0.3
"""Silence added at both ends of `synthesize_wav` output."""


def synthesize_pcm(
    text: str,
    *,
    rate: int = espeak.DEFAULT_RATE,
    voice: str = espeak.DEFAULT_VOICE,
    sample_rate: int = espeak.SAMPLE_RATE,
    pad_seconds: float = 0.0,
) -> bytes:
    """Speak `text` with espeak-ng; PCM16 mono at `sample_rate` with `pad_seconds` of silence
    at both ends (resampled with livekit's resampler when `sample_rate` is not 22050)."""
    pcm = espeak.engine().synthesize_pcm(text, voice=voice, rate=rate)
    if sample_rate != espeak.SAMPLE_RATE:
        pcm = _resample(pcm, espeak.SAMPLE_RATE, sample_rate)
    pad = b"\x00\x00" * int(pad_seconds * sample_rate)
    return pad + pcm + pad


def synthesize_wav(
    text: str,
    path: str | Path,
    *,
    rate: int = espeak.DEFAULT_RATE,
    voice: str = espeak.DEFAULT_VOICE,
    sample_rate: int = espeak.SAMPLE_RATE,
) -> Path:
    """Write `text` spoken by espeak-ng to a 16-bit mono WAV file, with 0.3 s of silence at
    both ends; returns the path. No system packages needed (uses `espeakng-loader`)."""
    pcm = synthesize_pcm(
        text, rate=rate, voice=voice, sample_rate=sample_rate, pad_seconds=PAD_SECONDS
    )
    out = Path(path)
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm)
    return out


def _resample(pcm: bytes, src: int, dst: int) -> bytes:
    from livekit import rtc

    resampler = rtc.AudioResampler(src, dst, num_channels=1)
    frame = rtc.AudioFrame(
        data=pcm, sample_rate=src, num_channels=1, samples_per_channel=len(pcm) // 2
    )
    return b"".join(bytes(f.data) for f in [*resampler.push(frame), *resampler.flush()])
