"""Read any PCM/float WAV file into PCM16 mono at the wire rate.

The stdlib ``wave`` module of Python 3.10/3.11 rejects float and WAVE_FORMAT_EXTENSIBLE files,
which are common (Audacity, soundfile, sox), so this parses the RIFF chunks itself (a few lines)
and converts with numpy. Resampling uses ``livekit.rtc.AudioResampler`` (soxr), the framework's
own resampler.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..protocol import SAMPLE_RATE
from .errors import AudioError

__all__ = ["load_wav", "to_pcm16_mono"]

_PCM = 1
_FLOAT = 3
_EXTENSIBLE = 0xFFFE


def load_wav(path: str | Path, rate: int = SAMPLE_RATE) -> bytes:
    """Return the file's audio as PCM16 mono bytes at ``rate``.

    Accepts 8/16/24/32-bit integer and 32/64-bit float WAV, any channel count (mixed down) and
    any sample rate. Raises :class:`AudioError` with a one-line message for anything else.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise AudioError(f"cannot read WAV file {p}: {exc.strerror or exc}") from None
    try:
        fmt, channels, src_rate, bits, data = _parse(raw)
        samples = _decode(fmt, bits, channels, data)
    except AudioError as exc:
        raise AudioError(f"{p}: {exc}") from None
    return to_pcm16_mono(samples, src_rate, rate)


def to_pcm16_mono(samples: npt.NDArray[np.float32], src_rate: int, rate: int) -> bytes:
    """Mono float samples in [-1, 1] at ``src_rate`` -> PCM16 bytes at ``rate``."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2")
    if src_rate == rate or pcm.size == 0:
        return pcm.tobytes()
    from livekit import rtc  # lazy: keeps `agentconsole --help` fast

    resampler = rtc.AudioResampler(src_rate, rate, quality=rtc.AudioResamplerQuality.HIGH)
    out = bytearray()
    step = src_rate  # one second per push keeps each FFI buffer small
    for i in range(0, pcm.size, step):
        for frame in resampler.push(bytearray(pcm[i : i + step].tobytes())):
            out += frame.data.cast("B")
    for frame in resampler.flush():
        out += frame.data.cast("B")
    return bytes(out)


def _parse(raw: bytes) -> tuple[int, int, int, int, bytes]:
    if len(raw) < 12 or raw[:4] not in (b"RIFF", b"RIFX") or raw[8:12] != b"WAVE":
        raise AudioError("not a WAV file (no RIFF/WAVE header)")
    if raw[:4] == b"RIFX":
        raise AudioError("big-endian (RIFX) WAV is not supported")
    pos = 12
    fmt_chunk: bytes | None = None
    data: bytes | None = None
    while pos + 8 <= len(raw):
        cid, size = raw[pos : pos + 4], struct.unpack_from("<I", raw, pos + 4)[0]
        body = raw[pos + 8 : pos + 8 + size]
        if cid == b"fmt ":
            fmt_chunk = body
        elif cid == b"data":
            data = body  # a truncated file keeps what it has
            if fmt_chunk is not None:
                break
        pos += 8 + size + (size & 1)
    if fmt_chunk is None or len(fmt_chunk) < 16:
        raise AudioError("WAV file has no valid 'fmt ' chunk")
    if data is None:
        raise AudioError("WAV file has no 'data' chunk")
    fmt, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", fmt_chunk)
    if fmt == _EXTENSIBLE and len(fmt_chunk) >= 26:
        fmt = struct.unpack_from("<H", fmt_chunk, 24)[0]  # first two bytes of the subformat GUID
    if channels < 1 or rate < 1000:
        raise AudioError(f"WAV file has a bad format ({channels} channels at {rate} Hz)")
    return fmt, channels, rate, bits, data


def _decode(fmt: int, bits: int, channels: int, data: bytes) -> npt.NDArray[np.float32]:
    width = bits // 8
    usable = len(data) - len(data) % (width * channels) if width else 0
    buf = data[:usable]
    x: npt.NDArray[np.float32]
    if fmt == _PCM and bits == 8:
        x = (np.frombuffer(buf, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif fmt == _PCM and bits == 16:
        x = np.frombuffer(buf, "<i2").astype(np.float32) / 32768.0
    elif fmt == _PCM and bits == 24:
        b = np.frombuffer(buf, np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = np.where(v & 0x800000, v - 0x1000000, v)
        x = v.astype(np.float32) / 8388608.0
    elif fmt == _PCM and bits == 32:
        x = (np.frombuffer(buf, "<i4").astype(np.float64) / 2147483648.0).astype(np.float32)
    elif fmt == _FLOAT and bits == 32:
        x = np.frombuffer(buf, "<f4").astype(np.float32)
    elif fmt == _FLOAT and bits == 64:
        x = np.frombuffer(buf, "<f8").astype(np.float32)
    else:
        kind = {_PCM: "integer", _FLOAT: "float"}.get(fmt, f"format tag {fmt}")
        raise AudioError(f"unsupported WAV encoding ({bits}-bit {kind}); use 16-bit PCM or float")
    x = np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=-1.0)
    if channels > 1:
        x = x.reshape(-1, channels).mean(axis=1, dtype=np.float32)
    return x
