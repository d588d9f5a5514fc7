"""Where the CPU goes, per process and per function: py-spy on the real console, in tmux, on
the audio rig, at idle and over one turn. Prints the top lines; asserts nothing.

    .venv/bin/python bench/profile_live.py [--idle 15] [--top 12] [--watch]

The console runs ``agentconsole examples/offline_agent.py`` (``--no-watch`` unless ``--watch``:
with watching a spare job runs too, and is profiled as ``spare``). After the greeting, each
process is sampled by ``py-spy record --idle --native`` for ``--idle`` seconds, then over a
12 s window while "turn on the kitchen lights" is played into the mic. Each function's share is
the fraction of its process's samples with that function on top of a Python stack ("self"), so
the figures are relative and comparable on a loaded machine; the per-process CPU (psutil)
over the same window is printed as well. Needs py-spy (``pip install py-spy``) and the rig
(``scripts/audio-rig.sh`` then ``. $AUDIO_RIG_DIR/env.sh``).
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).parent))
from bench_vs_livekit import ROOT, Recorder, launch, tmux_pane, wait_for_greeting

AGENT = ROOT / "examples" / "offline_agent.py"


def classify(proc: psutil.Process) -> str:
    cmd = " ".join(proc.cmdline())
    if "agentconsole.job" in cmd:
        return "job"
    return "console"


NATIVE: list[str] = []


def sample(pids: dict[str, int], seconds: float, out: Path, tag: str) -> dict[str, Path]:
    """Run py-spy on each pid at once; return the raw (collapsed) stack files."""
    py_spy = Path(sys.executable).parent / "py-spy"
    runs, files = [], {}
    for name, pid in pids.items():
        f = out / f"{tag}-{name}.txt"
        files[name] = f
        runs.append(
            subprocess.Popen(
                [
                    str(py_spy),
                    "record",
                    "--pid",
                    str(pid),
                    "--duration",
                    str(int(seconds)),
                    "--rate",
                    "100",
                    "--idle",
                    "--format",
                    "raw",
                    "--output",
                    str(f),
                    "--threads",
                    "--nonblocking",
                    *NATIVE,
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    for r in runs:
        r.wait()
    return files


IDLE_FRAMES = (
    "select ",
    "epoll",
    "wait (threading",
    "_worker (concurrent",
    "sleep",
    "poll (",
    "recv_into",
    "_wait_for_tstate_lock",
    "read (",
    "_do_waitpid",
    "pthread_cond",
    "futex",
    "__GI___poll",
    "nanosleep",
    "epoll_wait",
    "clock_nanosleep",
    "syscall",
    "__libc_recv",
    "__select",
)


def summarise(path: Path, top: int, seconds: float) -> list[str]:
    """Top functions by self samples as % of one core (100 samples/s), idle waits excluded."""
    self_counts: collections.Counter[str] = collections.Counter()
    total = busy = 0
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        count = int(n)
        frames = stack.split(";")
        total += count
        leaf = frames[-1]
        if any(w in leaf for w in IDLE_FRAMES):
            continue
        busy += count
        # name the Python frame nearest the top (native frames show as a library path)
        self_counts[leaf.split(" (")[0] + " (" + leaf.split(" (")[-1][:60]] += count
    core = 100 * seconds  # samples a fully busy thread gives
    lines = [f"  samples {total}, on-CPU per py-spy {100 * busy / core:.1f} % of a core"]
    for name, c in self_counts.most_common(top):
        lines.append(f"  {100 * c / core:5.1f} %  {name}")
    return lines


def profile(shell: int, wav: Path, out: Path, args: argparse.Namespace) -> None:
    """Sample each process of the console's tree at idle, then over a turn, and print them."""
    root = psutil.Process(shell)
    procs = [root, *root.children(recursive=True)]
    pids: dict[str, int] = {}
    for p in procs:
        name = classify(p)
        if name == "job" and "job" in pids:
            name = "spare"
        pids.setdefault(name, p.pid)
    # the first job started is the active one (lower pid); a spare comes later
    print(f"processes: {pids}")
    for tag in ("idle", "turn"):
        cpu0 = {n: psutil.Process(p).cpu_times() for n, p in pids.items()}
        t0 = time.monotonic()
        if tag == "turn":
            player = subprocess.Popen(["paplay", "--device=vmic_feed", str(wav)])
            files = sample(pids, 12, out, tag)
            player.wait()
        else:
            files = sample(pids, args.idle, out, tag)
        dt = time.monotonic() - t0
        for name, f in files.items():
            c0, c1 = cpu0[name], psutil.Process(pids[name]).cpu_times()
            cpu = 100 * (c1.user + c1.system - c0.user - c0.system) / dt
            rss = psutil.Process(pids[name]).memory_info().rss / 2**20
            print(f"\n[{tag}] {name} pid {pids[name]}: CPU {cpu:.1f} %, RSS {rss:.0f} MiB")
            if f.exists():
                print("\n".join(summarise(f, args.top, 12 if tag == "turn" else args.idle)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=15.0)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--watch", action="store_true")
    parser.add_argument("--keep", type=Path, default=None, help="keep raw stacks here")
    parser.add_argument("--native", action="store_true", help="py-spy --native (slower)")
    args = parser.parse_args()
    if args.native:
        NATIVE.append("--native")
    if not (Path(sys.executable).parent / "py-spy").exists():
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy")
    if not os.environ.get("PULSE_SERVER"):
        raise SystemExit("start the rig first: scripts/audio-rig.sh, then . $AUDIO_RIG_DIR/env.sh")
    out = args.keep or Path(tempfile.mkdtemp())
    out.mkdir(parents=True, exist_ok=True)
    wav = out / "kitchen.wav"
    subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(wav), "turn on the kitchen lights"],
        check=True,
    )
    rec = Recorder()
    try:
        with tmux_pane() as (tmux, shell):
            exe = Path(sys.executable).parent / "agentconsole"
            watch = "" if args.watch else " --no-watch"
            wait_for_greeting(rec, launch(tmux, f"{exe} {AGENT}{watch}"), timeout=60)
            profile(shell, wav, out, args)
            subprocess.run([*tmux, "send-keys", "-t", "b", "C-c"], capture_output=True)
            time.sleep(1.5)
    finally:
        rec.close()
        if args.keep is None:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
