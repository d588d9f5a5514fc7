"""CPU per process and per thread of a console on the audio rig: at idle, then over one turn.

    .venv/bin/python bench/cpu_threads.py [--console agentconsole|livekit] [--idle 15] [--rounds 1]

The console runs in tmux (120x40) on examples/offline_agent.py as in bench_vs_livekit.py
(``--no-watch`` for agentconsole; ``python agent.py console`` for LiveKit's). After the
greeting has played, each thread's user+sys time (``/proc``, via psutil) is read over
``--idle`` seconds of silence, then over a 12 s window while "turn on the kitchen lights" is
played into the mic. Prints each process's total (``job``: agentconsole's job process) and
its busiest threads, by name where the thread has one (PortAudio's callback threads have
none). 100 % = one core. Threads that ended inside a window are not counted, which the
process totals of bench_vs_livekit.py do count. Asserts nothing.

To compare two versions of the code, run it on each in turn (``--rounds``, and a second
checkout on ``PYTHONPATH``): the machine's load moves these figures by a point or two
between runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).parent))
from bench_vs_livekit import AGENT, Recorder, launch, tmux_pane, tree, wait_for_greeting

Key = tuple[int, str, int, str]  # pid, process, thread id, thread name


def thread_times(procs: list[psutil.Process]) -> dict[Key, float]:
    """CPU seconds so far of every thread of ``procs``."""
    out: dict[Key, float] = {}
    for p in procs:
        try:
            name = "job" if "agentconsole.job" in " ".join(p.cmdline()) else "console"
            for t in p.threads():
                try:
                    comm = Path(f"/proc/{p.pid}/task/{t.id}/comm").read_text().strip()
                except OSError:
                    comm = "?"
                if t.id == p.pid:
                    comm = "main thread"  # Textual's loop in the console, the job's loop
                out[(p.pid, name, t.id, comm)] = t.user_time + t.system_time
        except psutil.NoSuchProcess:
            pass
    return out


def report(title: str, before: dict[Key, float], after: dict[Key, float], dt: float) -> None:
    rows = sorted(
        ((100 * (v - before.get(k, 0.0)) / dt, k) for k, v in after.items()), reverse=True
    )
    totals: dict[str, float] = {}
    for share, key in rows:
        totals[key[1]] = totals.get(key[1], 0.0) + share
    print(f"[{title}, {dt:.0f} s] " + ", ".join(f"{k} {v:.1f} %" for k, v in totals.items()))
    for share, key in rows[:8]:
        if share >= 0.2:
            print(f"  {share:5.1f} %  {key[1]:8s} {key[3]} ({key[2]})")


def run(command: str, idle: float, wav: Path, rec: Recorder) -> None:
    with tmux_pane() as (tmux, shell):
        wait_for_greeting(rec, launch(tmux, command))
        before, t0 = thread_times(tree(shell)), time.monotonic()
        time.sleep(idle)
        report("idle", before, thread_times(tree(shell)), time.monotonic() - t0)
        before, t0 = thread_times(tree(shell)), time.monotonic()
        subprocess.run(["paplay", "--device=vmic_feed", str(wav)], check=True)
        time.sleep(max(0.0, t0 + 12 - time.monotonic()))
        report("turn", before, thread_times(tree(shell)), time.monotonic() - t0)
        subprocess.run([*tmux, "send-keys", "-t", "b", "C-c"])
        time.sleep(1.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--console", choices=["agentconsole", "livekit"], default="agentconsole")
    parser.add_argument("--idle", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    if not os.environ.get("PULSE_SERVER"):
        raise SystemExit("start the rig first: scripts/audio-rig.sh, then . $AUDIO_RIG_DIR/env.sh")
    python = Path(sys.executable)
    command = {
        "agentconsole": f"{python.parent / 'agentconsole'} {AGENT} --no-watch",
        "livekit": f"{python} {AGENT} console",
    }[args.console]
    work = Path(tempfile.mkdtemp())
    wav = work / "kitchen.wav"
    subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(wav), "turn on the kitchen lights"],
        check=True,
    )
    rec = Recorder()
    try:
        for _ in range(args.rounds):
            run(command, args.idle, wav, rec)
    finally:
        rec.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
