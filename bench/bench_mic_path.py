"""Microphone path latency: a captured frame -> the job's AudioInput, across both processes.

    .venv/bin/python bench/bench_mic_path.py [--seconds 20] [--device]

Runs the real supervisor, audio engine and job on the offline example. The microphone is a
WAV of speech (or, with --device, the rig's virtual mic fed with that WAV by paplay). Each
non-silent 10 ms frame is stamped where the engine hands it over (``on_mic_frame``, after AEC)
and again where the job's ``WireAudioInput.push`` receives it; frames are matched by content.
Both stamps are ``time.monotonic()``, one clock for every process on the machine. The job is
wrapped by ``_mic_probe_job.py`` (the real job, with ``push`` observed), so no product code
changes for the measurement. Prints p50/p99; asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _common import mic_probe_python, row

from agentconsole.audio import AudioConfig
from agentconsole.supervisor import HostConfig, Supervisor

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--device", action="store_true", help="the rig's vmic instead of a WAV")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    wav = work / "speech.wav"
    text = "turn on the kitchen lights and tell me the weather in paris please " * 3
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(wav), text], check=True)
    probe_out = work / "job_arrivals.jsonl"
    sent: dict[str, float] = {}
    ready = []

    def on_event(ev: dict[str, Any]) -> None:
        if ev["type"] == "job_ready":
            ready.append(ev)

    audio = AudioConfig(
        input_wav=None if args.device else wav,
        use_input_device=args.device,
        use_output_device=False,
        input_device="vmic" if args.device else None,
        status_hz=0.0,
    )
    config = HostConfig(
        agent_file=ROOT / "examples" / "offline_agent.py",
        audio=audio,
        watch=False,
        env={"AGENTCONSOLE_PROBE_OUT": str(probe_out)},
    )
    # stamp where the engine hands each frame over (on_mic_frame, on the audio thread)
    import agentconsole.audio.engine as engine_module

    engine_init = engine_module.AudioEngine.__init__

    def init(self: Any, config: Any, on_mic_frame: Any, *rest: Any, **kw: Any) -> None:
        def stamped(pcm: bytes) -> None:
            if any(pcm):
                sent.setdefault(hashlib.blake2b(pcm, digest_size=8).hexdigest(), time.monotonic())
            on_mic_frame(pcm)

        engine_init(self, config, stamped, *rest, **kw)

    engine_module.AudioEngine.__init__ = init  # type: ignore[method-assign]
    config.python = mic_probe_python(work)
    supervisor = Supervisor(config, on_event)
    supervisor.start()
    try:
        deadline = time.monotonic() + 90
        while not ready and time.monotonic() < deadline:
            time.sleep(0.1)
        if args.device:
            subprocess.Popen(["paplay", "--device=vmic_feed", str(wav)])
        time.sleep(args.seconds)
    finally:
        supervisor.stop()
    arrivals = [json.loads(line) for line in probe_out.read_text().splitlines()]
    shutil.rmtree(work, ignore_errors=True)
    delays = [(a["t"] - sent[a["h"]]) * 1000 for a in arrivals if a["h"] in sent]
    print(f"frames matched: {len(delays)} of {len(arrivals)} pushed in the job")
    print(row("on_mic_frame -> job WireAudioInput.push", delays, "ms"))
    if arrivals:
        start = arrivals[0]["t"]
        worst = sorted(
            ((a["t"] - sent[a["h"]]) * 1000, a["t"] - start) for a in arrivals if a["h"] in sent
        )[-3:]
        print("worst: " + ", ".join(f"{d:.0f} ms at +{t:.1f} s" for d, t in worst))


if __name__ == "__main__":
    main()
