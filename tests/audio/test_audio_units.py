"""Pure parts of the audio engine: WAV loading, the playout queue, the recorder file."""

from __future__ import annotations

import struct
import time
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from audio_helpers import peak_hz, tone

from agentconsole.audio import AudioError, load_wav
from agentconsole.audio.playout import PlayoutBuffer
from agentconsole.audio.recorder import AGENT, MIC, StereoRecorder


@pytest.mark.parametrize(
    ("subtype", "rate", "channels"),
    [
        ("PCM_16", 48000, 2),
        ("PCM_24", 44100, 1),
        ("PCM_32", 16000, 1),
        ("PCM_U8", 8000, 1),
        ("FLOAT", 24000, 2),
        ("DOUBLE", 22050, 1),
    ],
)
def test_load_wav_any_format(tmp_path: Path, subtype: str, rate: int, channels: int) -> None:
    x = tone(440, 1.0, 0.5, rate)
    data = np.stack([x] * channels, axis=1) if channels > 1 else x
    path = tmp_path / "in.wav"
    sf.write(path, data, rate, subtype=subtype)  # soundfile writes EXTENSIBLE for some
    y = np.frombuffer(load_wav(path), "<i2") / 32768.0
    assert abs(y.size / 24000 - 1.0) < 0.01
    assert abs(peak_hz(y[1000:-1000]) - 440) < 2
    assert 0.47 < np.abs(y).max() < 0.53


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello, not audio", "not a WAV file"),
        (b"RIFF\x04\x00\x00\x00WAVE", "no valid 'fmt ' chunk"),
        (
            b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00"
            + struct.pack("<HHIIHH", 2, 1, 8000, 4000, 1, 4)
            + b"data\x00\x00\x00\x00",
            "unsupported WAV encoding",
        ),
    ],
)
def test_load_wav_bad_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioError, match=message) as ei:
        load_wav(path)
    assert "\n" not in str(ei.value)
    with pytest.raises(AudioError, match="cannot read WAV file"):
        load_wav(tmp_path / "missing.wav")


def test_playout_prebuffer_segments_and_clear() -> None:
    buf = PlayoutBuffer(24000, prebuffer=0.05, max_wait=10.0)
    buf.push(b"\x01\x00" * 600)  # 25 ms: below the 50 ms prebuffer, segment still open
    assert not buf.read(240).any()  # priming: silence
    buf.push(b"\x01\x00" * 600)
    assert buf.read(240).all()  # 50 ms queued: plays
    buf.end_segment()
    buf.push(b"\x02\x00" * 2400)  # a second segment, already queued
    buf.end_segment()
    out = np.concatenate([buf.read(240) for _ in range(4)])
    assert out[:960].tolist() == [1] * 960  # rest of segment 1, gapless
    fin = buf.pop_finished()
    assert [(f.seconds, f.interrupted) for f in fin] == [(0.05, False)]
    buf.read(480)  # 20 ms of segment 2
    dropped = buf.clear()
    assert [(round(f.seconds, 3), f.interrupted) for f in dropped] == [(0.02, True)]
    tail = buf.read(240)
    assert 0 < np.abs(tail[:10]).max() <= 2 and not tail[100:].any()  # a short fade, then silence
    assert not buf.busy


def test_playout_starvation_fades_and_is_counted() -> None:
    buf = PlayoutBuffer(24000, prebuffer=0.01, max_wait=10.0)
    buf.push(b"\x00\x40" * 480)
    out = buf.read(960)
    assert out[0] == 0x4000 and out[479] < 0x4000 // 10 and not out[480:].any()
    assert buf.starved == 1 and buf.busy  # open segment waits for more
    buf.push(b"\x00\x40" * 480)
    again = buf.read(480)
    assert again[0] < 0x4000 // 10 and again[200] == 0x4000  # faded back in


def test_playout_hold_pauses_in_place_and_resumes() -> None:
    """Held, the playing segment fades out at once, keeps its place and its queue; resumed,
    it fades back in where it stopped; a clear while held drops it as an interrupt."""
    buf = PlayoutBuffer(24000, prebuffer=0.01, max_wait=10.0)
    ramp = np.arange(2400, dtype="<i2") + 1000  # each sample says where it came from
    buf.push(ramp.tobytes())
    assert buf.read(240)[0] == 1000
    buf.hold(True)
    faded = buf.read(240)
    assert faded[0] == 1240 and 0 < faded[94] < 100 and not faded[95:].any()  # 4 ms fade
    assert not np.concatenate([buf.read(240) for _ in range(5)]).any()  # held: nothing read
    buf.push((np.arange(240, dtype="<i2") + 5000).tobytes())  # the agent keeps sending
    assert buf.busy and buf.held
    buf.hold(False)
    resumed = buf.read(240)
    assert resumed[0] < resumed[200] == 1240 + 96 + 200  # fades in where the fade-out stopped
    buf.end_segment()
    rest = np.concatenate([buf.read(240) for _ in range(12)])
    assert rest[-240:].tolist() == [0] * 240 and 5239 in rest  # everything queued is played
    assert [f.interrupted for f in buf.pop_finished()] == [False]

    buf.push(ramp.tobytes())
    buf.read(480)
    buf.hold(True)
    buf.read(240)
    dropped = buf.clear()
    assert [(round(f.seconds, 3), f.interrupted) for f in dropped] == [(0.024, True)]
    buf.hold(False)
    assert not buf.read(240).any() and not buf.busy


def test_recorder_file_is_valid_while_writing_and_aligned(tmp_path: Path) -> None:
    path = tmp_path / "audio.wav"
    rec = StereoRecorder(path, 24000)
    t0 = time.monotonic()
    rec.write(MIC, np.full(2400, 1000, np.int16), t0)
    rec.write(AGENT, np.full(2400, -1000, np.int16), t0 + 0.5)  # starts 0.5 s later
    time.sleep(1.3)  # a periodic flush happened; not closed (as if the process was killed)
    with wave.open(str(path)) as w:  # the header already describes the data on disk
        assert w.getnchannels() == 2 and w.getnframes() > 0
        assert w.getnframes() * 4 + 44 == path.stat().st_size
    rec.close()
    rec.close()
    data, rate = sf.read(path, dtype="int16")
    left, right = data[:, 0], data[:, 1]
    assert np.nonzero(left)[0][0] < 240  # mic at t0
    assert abs(np.nonzero(right)[0][0] - 12000) < 240  # agent 0.5 s later, same clock


def test_hold_policy_of_the_engine() -> None:
    """When the engine holds and resumes the agent, given the echo path's verdict.

    The verdict (``talking_over``, and the frame of the last talk) is set directly on a real
    ``EchoPath``; ``test_audio_echo.py`` derives it from audio, ``test_audio_hold.py`` runs it
    all on the rig. No devices are opened."""
    from agentconsole.audio import AudioConfig, AudioEngine
    from agentconsole.audio.aec import EchoCanceller

    engine = AudioEngine(
        AudioConfig(use_input_device=False, use_output_device=False),
        on_mic_frame=lambda pcm: None,
        on_playout=lambda seconds, interrupted: None,
        on_status=lambda status: None,
    )
    engine._apm = EchoCanceller(24000)
    path = engine._apm.path
    assert path is not None and engine._apm.cancelling

    def tick(talking: bool, n: int = 1) -> None:
        for _ in range(n):
            path.frames += 1
            path.talking_over = talking
            if talking:
                path.last_talk = path.frames
            engine._hold_for_talker(path)

    tick(True)
    assert not engine._playout.held, "nothing playing: nothing to hold"
    engine.play(b"\x01\x00" * 24000 * 10)
    tick(True)
    assert engine._playout.held and engine.status()["held"] is True
    tick(False, 49)
    assert engine._playout.held  # under 0.5 s of quiet
    tick(False)
    assert not engine._playout.held and engine.holds == 1

    engine.set_muted(True)
    tick(True, 5)
    assert not engine._playout.held, "muted: the user is not talking to the agent"
    engine.set_muted(False)

    tick(True, 310)  # someone talks on and no interrupt comes: resumed after 3 s
    assert not engine._playout.held and engine.holds == 2
    tick(True, 20)
    assert not engine._playout.held, "no new hold until the mic has been quiet"
    tick(False, 50)
    tick(True)
    assert engine._playout.held and engine.holds == 3
    engine.clear()  # the framework interrupts: nothing left to hold
    tick(True)
    assert not engine._playout.held and engine.status()["held"] is False
    engine.close()


def test_echo_history_keeps_the_last_samples_in_order() -> None:
    from agentconsole.audio.echo import _History

    rng = np.random.default_rng(3)
    history, naive = _History(1000), np.zeros(1000, dtype=np.float32)
    pushed = 0
    # 10 ms frames as the callbacks give them, odd sizes now and then, one longer than the
    # history: every push must leave the newest 1,000 samples, oldest first
    for size in [80] * 40 + [7, 93, 80, 1, 999, 1000, 1500, 80] * 5 + [80] * 40:
        x = rng.standard_normal(size).astype(np.float32)
        history.push(x)
        naive = np.concatenate([naive, x])[-1000:]
        pushed += size
        assert np.array_equal(history.view, naive), f"after {pushed} samples"
