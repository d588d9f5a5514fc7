"""A soak: minutes of turns through the real supervisor, engine, devices and job.

    .venv/bin/python bench/bench_soak.py [--minutes 5] [--every 20] [--block 0.05]

Needs the rig (``scripts/audio-rig.sh`` then ``. $AUDIO_RIG_DIR/env.sh``): the console's mic
is the rig's ``vmic`` and its speaker ``vspeaker`` (real PortAudio streams, so underruns are
real). Every ``--every`` seconds a phrase is played into the mic by paplay ("tell me a story"
every third turn, so the agent also speaks for long stretches). The job is the real job with
two probes (``_mic_probe_job.py``): each non-silent mic frame is stamped when the engine hands
it over and when the job's ``WireAudioInput.push`` receives it; and a loop-lag probe (a 10 ms
sleep) records each wake-up of the job's event loop more than ``--block`` seconds late.
Reports, from ``job_ready`` on: loop blocks over the threshold, mic frame -> job input
p50/p99/max, underruns (the ``audio`` event's count) and turns answered. The TUI is not part of
this run (the supervisor's events go nowhere). Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _common import mic_probe_python, pct, row

from agentconsole.audio import AudioConfig
from agentconsole.supervisor import HostConfig, Supervisor

ROOT = Path(__file__).resolve().parents[1]
PHRASES = ["turn on the kitchen lights", "what is the weather in paris", "tell me a story"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--every", type=float, default=20.0)
    parser.add_argument("--block", type=float, default=0.05)
    args = parser.parse_args()
    if not os.environ.get("PULSE_SERVER"):
        raise SystemExit("start the rig first: scripts/audio-rig.sh, then . $AUDIO_RIG_DIR/env.sh")
    work = Path(tempfile.mkdtemp())
    wavs = []
    for i, text in enumerate(PHRASES):
        wav = work / f"p{i}.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(wav), text], check=True)
        wavs.append(wav)
    probe_out = work / "probe.jsonl"
    # a phrase played again can repeat a frame exactly: keep every stamp, match the latest
    sent: dict[str, list[float]] = {}
    ready: list[float] = []
    underruns = [0, 0]  # speaker underflows, mic overflows
    turns: list[str] = []

    def on_event(ev: dict[str, Any]) -> None:
        kind = ev["type"]
        if kind == "job_ready":
            ready.append(time.monotonic())
        elif kind == "audio" and ev.get("underruns") is not None:
            underruns[0] = max(underruns[0], int(ev["underruns"]))
            underruns[1] = max(underruns[1], int(ev.get("overflows") or 0))
        elif kind == "agent_turn":
            turns.append(str(ev.get("text", ""))[:40])

    audio = AudioConfig(input_device="vmic", output_device="vspeaker")
    config = HostConfig(
        agent_file=ROOT / "examples" / "offline_agent.py",
        audio=audio,
        watch=False,
        env={"AGENTCONSOLE_PROBE_OUT": str(probe_out), "AGENTCONSOLE_PROBE_LAG": str(args.block)},
    )
    import agentconsole.audio.engine as engine_module

    engine_init = engine_module.AudioEngine.__init__

    def init(self: Any, config: Any, on_mic_frame: Any, *rest: Any, **kw: Any) -> None:
        def stamped(pcm: bytes) -> None:
            if any(pcm):
                key = hashlib.blake2b(pcm, digest_size=8).hexdigest()
                sent.setdefault(key, []).append(time.monotonic())
            on_mic_frame(pcm)

        engine_init(self, config, stamped, *rest, **kw)

    engine_module.AudioEngine.__init__ = init  # type: ignore[method-assign]
    config.python = mic_probe_python(work)
    supervisor = Supervisor(config, on_event)
    supervisor.start()
    load0 = os.getloadavg()
    try:
        deadline = time.monotonic() + 90
        while not ready and time.monotonic() < deadline:
            time.sleep(0.1)
        if not ready:
            raise SystemExit("the job never became ready")
        time.sleep(5)  # the greeting
        end = time.monotonic() + args.minutes * 60
        i = 0
        while time.monotonic() < end:
            subprocess.run(["paplay", "--device=vmic_feed", str(wavs[i % len(wavs)])], check=True)
            i += 1
            time.sleep(max(0.0, min(args.every, end - time.monotonic())))
    finally:
        supervisor.stop()
    load1 = os.getloadavg()
    lines = [json.loads(line) for line in probe_out.read_text().splitlines()]
    shutil.rmtree(work, ignore_errors=True)
    after = ready[0]
    blocks = [x for x in lines if "lag" in x and x["t"] >= after]
    arrivals = [x for x in lines if "h" in x and x["t"] >= after]
    delays = []
    for a in arrivals:
        stamps = [t for t in sent.get(a["h"], []) if t <= a["t"]]
        if stamps:
            delays.append((a["t"] - stamps[-1]) * 1000)
    print(f"soak: {args.minutes:g} min, {i} phrases played, {len(turns)} agent turns")
    print(f"load average at start {load0[0]:.1f}, at end {load1[0]:.1f}")
    worst = max((b["lag"] for b in blocks), default=0.0)
    print(
        f"job loop blocks > {args.block * 1000:.0f} ms after job_ready: {len(blocks)} "
        f"(worst {worst * 1000:.0f} ms)"
    )
    for b in sorted(blocks, key=lambda b: -b["lag"])[:8]:
        where = " <- ".join(reversed(b.get("where", [])[-3:])) or "(no stack: CPU starved?)"
        print(f"  {b['lag'] * 1000:5.0f} ms at +{b['t'] - after:6.1f} s  {where}")
    print(row("mic frame -> job audio input", delays, "ms"))
    print(f"mic p99 {pct(delays, 99):.2f} ms")
    print(f"underruns {underruns[0]} (speaker), overflows {underruns[1]} (mic)")


if __name__ == "__main__":
    main()
