"""The sound server dies under open streams: reported once, no runaway, playout still ends."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from rig_support import start_rig, stop_rig

pytestmark = pytest.mark.audio

CHILD = textwrap.dedent(
    """
    import json, sys, time
    from agentconsole.audio import AudioConfig, AudioEngine
    problems, plays = [], []
    e = AudioEngine(AudioConfig(input_device="vmic", output_device="vspeaker"),
                    lambda b: None, lambda s, i: plays.append([s, i]),
                    lambda ev: problems.append(ev["problem"]) if ev["problem"] else None)
    e.start()
    time.sleep(2.5)                     # streams flowing (they may stall at start)
    e.play(b"\\x01\\x00" * 48000)       # 2 s of agent audio
    e.end_segment()
    print("READY", flush=True)
    sys.stdin.readline()                # the test kills the server now
    t = time.monotonic()
    while not plays and time.monotonic() - t < 10:
        time.sleep(0.05)
    time.sleep(1.0)
    e.close()
    print(json.dumps({"problems": problems, "plays": plays}), flush=True)
    """
)


def test_server_loss_is_reported_once_and_contained(tmp_path: Path) -> None:
    if not shutil.which("pulseaudio"):
        pytest.skip("pulseaudio not installed")
    rig = tmp_path / "rig"
    env = {**os.environ, **start_rig(rig)}
    err = tmp_path / "stderr.txt"
    with open(err, "wb") as ferr:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=ferr,
            text=True,
        )
        try:
            assert child.stdout is not None and child.stdin is not None
            assert child.stdout.readline().strip() == "READY"
            stop_rig(rig)  # the server goes away under two open streams
            child.stdin.write("\n")
            child.stdin.flush()
            out, _ = child.communicate(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            stop_rig(rig)
    time.sleep(0.1)
    result = json.loads(out.strip().splitlines()[-1])
    assert len(result["problems"]) >= 1 and len(set(result["problems"])) == 1  # reported once
    assert "stopped responding" in result["problems"][0]
    assert result["plays"] == [[2.0, False]]  # the null speaker took over and finished it
    assert err.stat().st_size < 1_000_000, "PortAudio flooded stderr"
