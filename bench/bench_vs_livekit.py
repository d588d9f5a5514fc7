"""agentconsole vs LiveKit's own console, side by side, same agent, same audio rig.

    .venv/bin/python bench/bench_vs_livekit.py [--runs 3] [--idle 20]

Method (as in shared/research/pyc-baseline.md): each console runs in tmux (120x40) against
the PulseAudio virtual mic and speaker (scripts/audio-rig.sh), on examples/offline_agent.py:
  * start: launch -> the console's microphone capture stream opens (pactl source-outputs);
  * idle CPU: user+sys of the console's process tree over --idle seconds of silence, after
    the greeting (100 % = one core);
  * turn: "turn on the kitchen lights" (espeak-ng) is played into the mic; the bench records
    the mic and the speaker monitor with two sounddevice streams on one clock; heard e2e =
    end of the user's speech -> first agent audio on the speaker; CPU over that turn window;
  * peak RSS of the process tree; Ctrl+C -> every process gone.
LiveKit's console is ``python agent.py console`` (livekit-agents' deprecated in-process
console). Runs alternate between the two. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).parent))
from _common import pct, row

ROOT = Path(__file__).resolve().parents[1]
AGENT = ROOT / "examples" / "offline_agent.py"
LOUD = 0.01  # RMS of a 10 ms block that counts as sound


class Recorder:
    """Two capture streams (mic, speaker monitor), each block stamped with time.monotonic()."""

    def __init__(self) -> None:
        import sounddevice as sd

        self.blocks: dict[str, list[tuple[float, float]]] = {"mic": [], "speaker": []}
        self._lock = threading.Lock()
        self._streams = [
            sd.InputStream(
                device=device,
                samplerate=24000,
                channels=1,
                blocksize=240,
                latency=0.02,
                callback=self._callback(name),
            )
            for name, device in (("mic", "vmic"), ("speaker", "vspeaker_monitor"))
        ]
        for stream in self._streams:
            stream.start()

    def _callback(self, name: str) -> Any:
        def callback(indata: Any, frames: int, t: Any, status: Any) -> None:
            level = float(np.sqrt(np.mean(np.square(indata[:, 0].astype(np.float64)))))
            with self._lock:
                self.blocks[name].append((time.monotonic(), level))

        return callback

    def loud(self, name: str, after: float, before: float = float("inf")) -> list[float]:
        with self._lock:
            return [t for t, level in self.blocks[name] if after <= t < before and level > LOUD]

    def close(self) -> None:
        for stream in self._streams:
            stream.stop()
            stream.close()


def tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def cpu_of(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.NoSuchProcess:
            pass
    return total


def source_outputs() -> int:
    out = subprocess.run(["pactl", "list", "short", "source-outputs"], capture_output=True)
    return len(out.stdout.splitlines())


@contextlib.contextmanager
def tmux_pane() -> Iterator[tuple[list[str], int]]:
    """A private tmux server with one 120x40 pane: (the tmux command, the pane's shell pid).
    The server is killed on exit."""
    sock = Path(tempfile.mkdtemp()) / "tmux.sock"
    tmux = ["tmux", "-S", str(sock)]
    subprocess.run(
        [*tmux, "-f", "/dev/null", "new-session", "-d", "-s", "b", "-x", "120", "-y", "40"],
        check=True,
    )
    time.sleep(0.3)
    shell = int(
        subprocess.run(
            [*tmux, "display", "-p", "-t", "b", "#{pane_pid}"], capture_output=True, text=True
        ).stdout
    )
    try:
        yield tmux, shell
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
        shutil.rmtree(sock.parent, ignore_errors=True)


def launch(tmux: list[str], command: str) -> float:
    """Run ``command`` in the pane (``exec``, from the project's root); its launch time."""
    launched = time.monotonic()
    subprocess.run([*tmux, "send-keys", "-t", "b", "-l", f"cd {ROOT} && exec {command}"])
    subprocess.run([*tmux, "send-keys", "-t", "b", "Enter"])
    return launched


def wait_for_greeting(rec: Recorder, launched: float, timeout: float = 40.0) -> None:
    """Until the greeting has played and ended (1.5 s of quiet after sound), ``timeout`` s at
    most."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        heard = rec.loud("speaker", launched)
        if heard and time.monotonic() - heard[-1] > 1.5:
            break
        time.sleep(0.1)


def run_once(name: str, command: str, wav: Path, idle: float, rec: Recorder) -> dict[str, float]:
    out: dict[str, float] = {}
    peak_rss = 0.0
    with tmux_pane() as (tmux, shell):
        baseline = source_outputs()
        launched = launch(tmux, command)
        while source_outputs() <= baseline:
            if time.monotonic() - launched > 60:
                raise RuntimeError(f"{name}: the microphone never opened")
            time.sleep(0.02)
        out["start"] = time.monotonic() - launched
        wait_for_greeting(rec, launched)
        procs = tree(shell)
        c0, t0 = cpu_of(procs), time.monotonic()
        time.sleep(idle)
        procs = tree(shell)
        out["idle_cpu"] = 100 * (cpu_of(procs) - c0) / (time.monotonic() - t0)
        peak_rss = max(peak_rss, sum(p.memory_info().rss for p in procs) / 2**20)
        # one turn
        c0, t0 = cpu_of(procs), time.monotonic()
        subprocess.run(["paplay", "--device=vmic_feed", str(wav)], check=True)
        user_end = rec.loud("mic", t0)[-1]
        deadline = time.monotonic() + 30
        while not rec.loud("speaker", user_end + 0.05) and time.monotonic() < deadline:
            time.sleep(0.05)
        first = rec.loud("speaker", user_end + 0.05)
        out["heard_e2e"] = (first[0] - user_end) if first else float("nan")
        time.sleep(max(0.0, t0 + 12 - time.monotonic()))
        procs = tree(shell)
        out["turn_cpu"] = 100 * (cpu_of(procs) - c0) / (time.monotonic() - t0)
        peak_rss = max(peak_rss, sum(p.memory_info().rss for p in procs) / 2**20)
        out["rss_mib"] = peak_rss
        # Ctrl+C -> every process of the tree gone
        pids = [p.pid for p in procs]
        stop = time.monotonic()
        subprocess.run([*tmux, "send-keys", "-t", "b", "C-c"])
        while any(psutil.pid_exists(p) and psutil.Process(p).status() != "zombie" for p in pids):
            if time.monotonic() - stop > 20:
                break
            time.sleep(0.02)
        out["exit"] = time.monotonic() - stop
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--idle", type=float, default=20.0)
    parser.add_argument(
        "--only", choices=["agentconsole", "livekit console"], help="run one console only"
    )
    args = parser.parse_args()
    if not os.environ.get("PULSE_SERVER"):
        raise SystemExit("start the rig first: scripts/audio-rig.sh, then . $AUDIO_RIG_DIR/env.sh")
    python = sys.executable
    consoles = {
        "agentconsole": f"{Path(python).parent / 'agentconsole'} {AGENT} --no-watch",
        "livekit console": f"{python} {AGENT} console",
    }
    if args.only:
        consoles = {args.only: consoles[args.only]}
    work = Path(tempfile.mkdtemp())
    wav = work / "kitchen.wav"
    subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(wav), "turn on the kitchen lights"],
        check=True,
    )
    rec = Recorder()
    results: dict[str, list[dict[str, float]]] = {name: [] for name in consoles}
    try:
        for i in range(args.runs):
            for name, command in consoles.items():
                results[name].append(run_once(name, command, wav, args.idle, rec))
                print(
                    f"run {i + 1} {name}: "
                    + ", ".join(f"{k}={v:.3f}" for k, v in results[name][-1].items()),
                    flush=True,
                )
    finally:
        rec.close()
        shutil.rmtree(work, ignore_errors=True)
    labels = {
        "start": ("launch -> mic open", "s"),
        "idle_cpu": ("idle CPU, process tree", "%"),
        "turn_cpu": ("CPU over a 12 s window with one turn", "%"),
        "heard_e2e": ("heard e2e: end of speech -> agent audio", "s"),
        "rss_mib": ("peak RSS, process tree", "MiB"),
        "exit": ("Ctrl+C -> all processes gone", "s"),
    }
    for key, (label, unit) in labels.items():
        for name in consoles:
            print(row(f"{name:<16} {label}", [r[key] for r in results[name]], unit))
    if len(consoles) == 2:
        # one line per figure, for scripts: agentconsole's p50 over LiveKit's p50 (same run);
        # heard e2e also as a difference, as its target is stated in seconds
        ours, theirs = results["agentconsole"], results["livekit console"]
        for key in labels:
            a, b = pct([r[key] for r in ours], 50), pct([r[key] for r in theirs], 50)
            print(f"ratio {key} {a / b:.2f}" if b else f"ratio {key} nan")
        a = pct([r["heard_e2e"] for r in ours], 50)
        b = pct([r["heard_e2e"] for r in theirs], 50)
        print(f"diff heard_e2e {a - b:+.3f}")


if __name__ == "__main__":
    main()
