"""Pure parts of the audio engine: WAV loading, the playout queue, the recorder file."""

from __future__ import annotations

import struct
import time
import wave
from pathlib import Path
from typing import Any

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


class _Status:
    input_overflow = False


def _engine_without_devices() -> Any:
    """An engine that opens nothing (not started), its capture callback driven by hand."""
    from agentconsole.audio import AudioConfig, AudioEngine

    engine = AudioEngine(
        AudioConfig(use_input_device=False, use_output_device=False),
        on_mic_frame=lambda pcm: None,
        on_playout=lambda seconds, interrupted: None,
        on_status=lambda status: None,
    )
    engine._virtual_in = False
    return engine


def test_mic_frames_are_timed_by_a_sample_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Capture times come from counting samples, not from when each callback ran: callbacks
    held up by up to a block keep their frames 10 ms apart; a block far later than the count
    (samples lost) or earlier than it (the count ran late) sets the clock again."""
    from agentconsole.audio import engine as engine_module

    engine = _engine_without_devices()
    times: list[float] = []
    real = engine._mic_frame

    def mic_frame(frame: Any, t_capture: float, arrived: float, device: bool) -> bytes:
        times.append(t_capture)
        return real(frame, t_capture, arrived, device)

    engine._mic_frame = mic_frame
    now = [100.0]
    monkeypatch.setattr(engine_module.time, "monotonic", lambda: now[0])
    block = np.zeros((960, 1), np.int16)
    rng = np.random.default_rng(4)
    for i in range(50):  # 40 ms blocks, the first callback on time, the others 0-40 ms late
        now[0] = 100.04 + i * 0.04 + (float(rng.uniform(0, 0.04)) if i else 0.0)
        engine._in_cb(block, 960, None, _Status())
    steps = np.diff(times)
    assert np.allclose(steps, 0.01), "frames 10 ms apart whatever the callbacks' lateness"
    assert times[0] == pytest.approx(100.0, abs=0.041)
    # 200 ms of samples lost: the next block is far later than the count says
    last = times[-1]
    now[0] += 0.04 + 0.2
    engine._in_cb(block, 960, None, _Status())
    assert times[-4] - last == pytest.approx(0.25, abs=0.041)
    # a block on time after late ones: the clock follows the earliest estimate
    now[0] += 0.04 - 0.03
    engine._in_cb(block, 960, None, _Status())
    assert times[-4] < times[-5] + 0.01
    engine.close()


def test_recorded_mic_is_copied_out_of_the_callback_buffer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PortAudio reuses the buffer it hands to the capture callback; the recording, which
    writes frames up to half a second later, must hold what the mic captured."""
    from agentconsole.audio import engine as engine_module

    engine = _engine_without_devices()
    engine._recorder = StereoRecorder(tmp_path / "audio.wav", 24000)  # as start() makes it
    start = time.monotonic()
    buffer = np.zeros((960, 1), np.int16)
    for i, value in enumerate((1, 2, 3)):
        buffer[:] = value  # the same buffer, refilled for each block
        monkeypatch.setattr(engine_module.time, "monotonic", lambda i=i: start + 0.04 * (i + 1))
        engine._in_cb(buffer, 960, None, _Status())
    monkeypatch.undo()
    buffer[:] = 9
    engine.close()
    data, _ = sf.read(tmp_path / "audio.wav", dtype="int16")
    mic = data[:, 0]
    mic = mic[np.nonzero(mic)[0][0] :][: 3 * 960]
    assert mic.tolist() == [1] * 960 + [2] * 960 + [3] * 960
