"""The audio engine on the real PulseAudio virtual rig (scripts/audio-rig.sh)."""

from __future__ import annotations

import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from audio_helpers import (
    RATE,
    MonitorRecorder,
    from_pcm16,
    paplay,
    pcm16,
    peak_hz,
    rms,
    span,
    tone,
    write_wav,
)

from agentconsole.audio import AudioConfig, AudioError
from agentconsole.audio.engine import MIC_BLOCK

pytestmark = [pytest.mark.audio, pytest.mark.usefixtures("audio_rig")]

DEVICES = {"input_device": "vmic", "output_device": "vspeaker"}


def wait_for(cond: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return bool(cond())


def wait_flowing(c: Any, seconds: float = 0.5) -> None:
    """Wait until the mic has delivered ``seconds`` of frames (streams may stall at start)."""
    need = int(seconds * RATE) * 2  # bytes of PCM16
    assert wait_for(lambda: sum(map(len, c.frames)) >= need, 8.0), "mic never started"


def test_wav_into_virtual_mic_reaches_on_mic_frame(make_engine: Any, tmp_path: Path) -> None:
    wav = tmp_path / "mic.wav"
    pad = np.zeros(int(0.3 * 48000))
    write_wav(wav, np.concatenate([pad, tone(440, 1.0, 0.4, 48000), pad]), 48000)
    engine, c = make_engine(AudioConfig(aec=False, **DEVICES))
    engine.start()
    wait_flowing(c)
    paplay(wav)
    time.sleep(0.3)
    engine.close()
    # the device's 60 ms block, as one piece of PCM16 mono at 24 kHz (six 10 ms frames)
    assert {len(f) for f in c.frames} == {2 * MIC_BLOCK} == {2880}
    s = span(from_pcm16(c.mic()))
    assert abs(peak_hz(s) - 440) < 2
    assert abs(len(s) / RATE - 1.0) < 0.02
    assert 0.37 < np.abs(s).max() < 0.43
    levels = [ev["level"] for ev in c.statuses]
    assert max(levels) > -15 and min(levels) < -60  # tone RMS 0.28 = -11 dBFS; silence


def test_play_tone_comes_out_of_speaker_without_gaps(make_engine: Any) -> None:
    engine, c = make_engine(AudioConfig(use_input_device=False, output_device="vspeaker"))
    engine.start()
    with MonitorRecorder() as rec:
        # pushed in 20 ms chunks like the job's frames, at a bit faster than real time
        sig = tone(1000, 1.0, 0.5)
        for i in range(0, sig.size, 480):
            engine.play(pcm16(sig[i : i + 480]))
            time.sleep(0.015)
        engine.end_segment()
        assert wait_for(lambda: c.playouts, 5.0)
        time.sleep(0.3)
    assert [p[1:] for p in c.playouts] == [(1.0, False)]
    s = span(rec.signal())
    assert abs(peak_hz(s) - 1000) < 2
    assert abs(len(s) / RATE - 1.0) < 0.01
    # continuity: every 5 ms window of the played tone carries the tone (RMS 0.354)
    win = [rms(s[i : i + 120]) for i in range(0, s.size - 120, 120)]
    assert min(win) > 0.3, f"gap in playback: min 5 ms RMS {min(win):.3f}"


def test_clear_stops_sound_at_once_and_reports_position(make_engine: Any) -> None:
    engine, c = make_engine(AudioConfig(use_input_device=False, output_device="vspeaker"))
    engine.start()
    with MonitorRecorder() as rec:
        engine.play(pcm16(tone(700, 3.0, 0.5)))
        engine.end_segment()
        assert wait_for(lambda: rms(rec.signal()[-1200:]) > 0.3, 5.0), "tone never started"
        n_at_start = sum(ch.size for ch in rec.chunks)
        time.sleep(1.0)
        engine.clear()
        n_at_clear = sum(ch.size for ch in rec.chunks)
        assert wait_for(lambda: c.playouts, 1.0)
        time.sleep(0.5)
    (_, pos, interrupted) = c.playouts[0]
    assert interrupted and len(c.playouts) == 1
    assert 0.8 < pos < 1.4
    x = rec.signal()
    after = x[n_at_clear + int(0.15 * RATE) :]  # monitor + engine latencies: 0.1 s of tail
    assert rms(after) < 0.01, "sound continued after clear()"
    heard = span(x[n_at_start - int(0.5 * RATE) :]).size / RATE
    assert abs(heard - pos) < 0.15  # the reported position matches what came out


def _echo_level(make_engine: Any, speech: bytes, aec: bool) -> tuple[float, float]:
    """Play speech to the speaker and capture the speaker monitor as the mic (a pure echo)."""
    engine, c = make_engine(
        AudioConfig(input_device="vspeaker_monitor", output_device="vspeaker", aec=aec)
    )
    engine.start()
    wait_flowing(c)
    start = len(c.frames)
    engine.play(speech)
    engine.end_segment()
    assert wait_for(lambda: c.playouts, 30.0)
    frames = c.frames[start:]
    engine.close()
    mic = from_pcm16(b"".join(frames))
    tail = mic[mic.size // 2 :]  # after the canceller has converged
    return rms(tail), rms(from_pcm16(speech)[len(speech) // 4 :])


def test_aec_attenuates_speaker_echo(make_engine: Any, tmp_path: Path) -> None:
    import shutil
    import subprocess

    from agentconsole.audio import load_wav

    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng not installed (needed for a speech test signal)")
    wav = tmp_path / "speech.wav"
    text = "Turn on the kitchen lights, and set a timer for ten minutes please."
    subprocess.run(["espeak-ng", "-w", str(wav), text], check=True, timeout=60)
    speech = load_wav(wav)
    off, ref = _echo_level(make_engine, speech, aec=False)
    on, _ = _echo_level(make_engine, speech, aec=True)
    erle = 20 * np.log10(off / max(on, 1e-6))
    print(f"echo RMS without AEC {off:.4f}, with AEC {on:.5f}: {erle:.1f} dB attenuation")
    assert off > 0.3 * ref  # without AEC the echo arrives nearly unchanged
    assert erle > 15

    # ...and the processing does not eat the user's own voice (near-end speech, no echo)
    levels = []
    for aec in (False, True):
        engine, c = make_engine(AudioConfig(aec=aec, **DEVICES))
        engine.start()
        wait_flowing(c)
        start = len(c.frames)
        paplay(wav)
        engine.close()
        levels.append(rms(from_pcm16(b"".join(c.frames[start:]))))
    print(f"near-end speech RMS without AEC {levels[0]:.4f}, with AEC {levels[1]:.4f}")
    assert levels[1] > 0.5 * levels[0]


def test_recording_has_mic_left_and_agent_right(make_engine: Any, tmp_path: Path) -> None:
    wav = tmp_path / "mic.wav"
    pad = np.zeros(int(0.2 * 48000))
    write_wav(wav, np.concatenate([pad, tone(440, 1.0, 0.4, 48000), pad]), 48000)
    engine, c = make_engine(AudioConfig(aec=False, record_dir=tmp_path / "rec", **DEVICES))
    t0 = time.monotonic()
    engine.start()
    wait_flowing(c)
    paplay(wav)
    engine.play(pcm16(tone(1000, 1.0, 0.5)))
    engine.end_segment()
    assert wait_for(lambda: c.playouts, 5.0)
    time.sleep(0.2)
    engine.close()
    wall = time.monotonic() - t0
    engine.close()  # idempotent
    with wave.open(str(tmp_path / "rec" / "audio.wav")) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (2, 2, RATE)
        data = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, 2) / 32768.0
    assert abs(data.shape[0] / RATE - wall) < 0.5
    left, right = data[:, 0], data[:, 1]
    assert abs(peak_hz(span(left)) - 440) < 2 and abs(span(left).size / RATE - 1.0) < 0.03
    assert abs(peak_hz(span(right)) - 1000) < 2 and abs(span(right).size / RATE - 1.0) < 0.01
    # on one clock: the agent tone starts after the mic tone has ended (we played it after)
    assert onset(right) > onset(left) + int(0.9 * RATE)


def onset(x: Any) -> int:
    """Index of the first sample above 0.05."""
    return int(np.nonzero(np.abs(x) > 0.05)[0][0])


def test_mute_sends_silence(make_engine: Any, tmp_path: Path) -> None:
    wav = tmp_path / "mic.wav"
    write_wav(wav, tone(440, 0.6, 0.4, 48000), 48000)
    engine, c = make_engine(AudioConfig(aec=False, **DEVICES))
    engine.start()
    wait_flowing(c)
    engine.set_muted(True)
    start = len(c.frames)
    paplay(wav)
    assert max(np.abs(from_pcm16(b"".join(c.frames[start:])))) == 0
    assert wait_for(lambda: any(ev["muted"] for ev in c.statuses), 1.0)


def test_bad_device_names_are_one_line_errors(make_engine: Any) -> None:
    engine, _ = make_engine(AudioConfig(input_device="no such mic", output_device="vspeaker"))
    with pytest.raises(AudioError, match="no input device matches 'no such mic'") as ei:
        engine.start()
    assert "\n" not in str(ei.value)
    engine, _ = make_engine(AudioConfig(use_input_device=False, output_device="SPEAKER"))
    with pytest.raises(
        AudioError, match="matches several devices: 1 'vspeaker', 2 'vspeaker_monitor'"
    ):
        engine.start()
    engine, _ = make_engine(AudioConfig(use_input_device=False, output_device=99))
    with pytest.raises(AudioError, match="no audio device with index 99"):
        engine.start()


def test_device_table_lists_rig_devices() -> None:
    from agentconsole.audio import format_device_table, list_devices, resolve_device

    names = [d.name for d in list_devices()]
    assert {"vmic", "vspeaker", "vspeaker_monitor", "default"} <= set(names)
    table = format_device_table()
    assert "vspeaker_monitor" in table and "input,output" in table
    assert resolve_device("VMIC", "input").name == "vmic"
    assert resolve_device(None, "output").name == "default"


def test_default_devices_are_named_by_the_sound_server(make_engine: Any) -> None:
    """ALSA's ``default`` stands for the sound server's default device: the ``audio`` event (and
    so the header) names that device, not ``default``."""
    engine, c = make_engine(AudioConfig(aec=False))
    engine.start()
    assert wait_for(lambda: bool(c.statuses), 2.0)
    status = c.statuses[-1]
    assert status["input"] == "VirtualMic" and status["output"] == "VirtualSpeaker", status
    # a device named outright keeps its own name
    engine, c = make_engine(AudioConfig(aec=False, input_device="vmic", use_output_device=False))
    engine.start()
    assert wait_for(lambda: bool(c.statuses), 2.0)
    assert c.statuses[-1]["input"] == "vmic"
