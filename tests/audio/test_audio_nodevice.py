"""The engine without any audio device or sound server (run in subprocesses)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
from audio_helpers import tone, write_wav
from rig_support import no_audio_env

WAV_MODE = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from agentconsole.audio import AudioConfig, AudioEngine
    frames, plays, stats = [], [], []
    cfg = AudioConfig(input_wav=Path(sys.argv[1]), use_output_device=False,
                      record_dir=Path(sys.argv[2]))
    e = AudioEngine(cfg, frames.append, lambda s, i: plays.append([s, i]), stats.append)
    e.start()
    t0 = time.monotonic()
    e.play(b"\\x10\\x00" * 12000)  # 0.5 s of agent audio into the null speaker
    e.end_segment()
    while not plays and time.monotonic() - t0 < 5:
        time.sleep(0.01)
    t_play = time.monotonic() - t0
    time.sleep(1.0)
    e.close()
    print(json.dumps({"frames": len(frames), "sizes": sorted({len(f) for f in frames}),
                      "pcm": b"".join(frames).hex(), "plays": plays, "t_play": t_play,
                      "wall": time.monotonic() - t0, "status": stats[0],
                      "sounddevice": "sounddevice" in sys.modules}))
    """
)

DEVICE_MODE = textwrap.dedent(
    """
    from agentconsole.audio import AudioConfig, AudioEngine, AudioError, format_device_table
    print(format_device_table().splitlines()[0])
    try:
        AudioEngine(AudioConfig(), print, print, print).start()
    except AudioError as exc:
        print("AudioError:", exc)
    """
)


def test_input_wav_with_null_speaker_needs_no_audio_system(tmp_path: Path) -> None:
    wav = tmp_path / "in.wav"
    write_wav(wav, tone(440, 0.5, 0.5, 16000), 16000)  # 16 kHz: resampled to 24 kHz
    res = subprocess.run(
        [sys.executable, "-c", WAV_MODE, str(wav), str(tmp_path / "rec")],
        env=no_audio_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["sounddevice"] is False  # PortAudio was never needed
    assert out["sizes"] == [480]
    # real-time pacing: about 100 frames per second of wall time (not a burst)
    assert 0.75 * out["wall"] * 100 < out["frames"] < 1.25 * out["wall"] * 100
    x = np.frombuffer(bytes.fromhex(out["pcm"]), "<i2") / 32768.0
    loud = np.nonzero(np.abs(x) > 0.05)[0]
    assert abs((loud[-1] - loud[0]) / 24000 - 0.5) < 0.01  # the WAV, then silence
    assert np.abs(x[loud[-1] + 10 :]).max() == 0
    assert out["plays"] == [[0.5, False]]
    assert 0.45 < out["t_play"] < 1.5  # consumed at real-time pace, not instantly
    assert out["status"]["input"] == "in.wav (WAV)" and out["status"]["output"] is None
    assert (tmp_path / "rec" / "audio.wav").stat().st_size > 44


def test_no_devices_gives_one_line_error(tmp_path: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-c", DEVICE_MODE],
        env=no_audio_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].startswith("No audio devices found")
    assert lines[-1].startswith("AudioError: no speaker found: PortAudio sees no output device")
