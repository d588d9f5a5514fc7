"""Minutes of agent speech with a flooded screen: the real TUI against the same agent headless.

    .venv/bin/python bench/bench_tui_soak.py [--minutes 5] [--baseline-minutes M]
        [--tokens 2000] [--reply 10] [--only tui|headless]

Needs the rig (``scripts/audio-rig.sh`` then ``. $AUDIO_RIG_DIR/env.sh``). Runs the real
``agentconsole`` CLI on ``_stream_agent.py`` with the rig's devices (``--input-device vmic
--output-device vspeaker``, real PortAudio streams, so underruns are real) and ``--record``,
twice in a row: in its TUI inside tmux (120x40), then headless (JSON lines to a file) for the
baseline. The agent replies again and again: its LLM streams ``--tokens`` tokens a second for
``--reply`` seconds per reply and its TTS turns them into as many seconds of a voice-like tone,
so it speaks for the whole run while the conversation pane is flooded. From ``job_ready`` for
``--minutes``, each run reports:

* underruns and overflows: the console's counts (the ``audio`` events in ``events.jsonl``:
  PortAudio output underflows, the speaker's, and input overflows, the mic's), and when each
  one came;
* speech: seconds the TTS pushed, seconds played by the console's own ``agent_speech`` count,
  seconds heard on the speaker's monitor (``parecord``, 10 ms blocks above -40 dBFS), and the
  silent gaps inside the speech there: under 0.25 s is a dropout, longer ones are the pauses
  between replies (one fewer than the replies);
* text: tokens a second the LLM streamed, that reached the console (``agent_text``), and that
  reached the screen (TUI: the highest ``§<n>`` marker in a ``capture-pane`` each second) with
  how far the screen ran behind the LLM;
* CPU (% of a core) of the console process, the job processes and the tmux server;
* TUI: bytes a second the console wrote to the terminal (the pane's output, ``pipe-pane``). No
  frame rate: tmux does not answer Textual's synchronized-output query, so frames are not
  delimited in that output;
* the audio ``problem`` the console reported, if any (e.g. a device it gave up on), and when.

Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).parent))
from _common import pct

ROOT = Path(__file__).resolve().parents[1]
AGENT = Path(__file__).with_name("_stream_agent.py")
CONSOLE = Path(sys.executable).parent / "agentconsole"
MONITOR_RATE = 24000
BLOCK = MONITOR_RATE // 100  # 10 ms
LOUD = 10 ** (-40 / 20) * 32768  # RMS of a block that counts as sound


@dataclass
class Run:
    """What one run measured."""

    mode: str
    seconds: float = 0.0
    underruns: int = 0
    overflows: int = 0
    underrun_times: list[float] = field(default_factory=list)
    overflow_times: list[float] = field(default_factory=list)
    pushed: float = 0.0
    played: float = 0.0
    replies: int = 0
    heard: float = 0.0
    gaps: list[float] = field(default_factory=list)
    tokens_llm: float = 0.0
    tokens_console: float = 0.0
    tokens_screen: float | None = None
    screen_behind: list[float] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)
    problems: list[tuple[float, str]] = field(default_factory=list)
    term_bytes: float | None = None


class Tmux:
    """A private tmux server with one 120x40 session."""

    def __init__(self, work: Path) -> None:
        self.cmd = ["tmux", "-S", str(work / "tmux.sock")]
        subprocess.run(
            [*self.cmd, "-f", "/dev/null", "new-session", "-d", "-s", "b", "-x", "120", "-y", "40"],
            check=True,
        )
        self.server = int(self.out("display", "-p", "-t", "b", "#{pid}"))
        self.shell = int(self.out("display", "-p", "-t", "b", "#{pane_pid}"))

    def out(self, *args: str) -> str:
        return subprocess.run([*self.cmd, *args], capture_output=True, text=True).stdout

    def run(self, *args: str) -> None:
        subprocess.run([*self.cmd, *args], capture_output=True)

    def close(self) -> None:
        self.run("kill-server")


def cpu_seconds(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def processes(console: psutil.Process, tmux_pid: int | None) -> dict[str, list[psutil.Process]]:
    """The console, its job processes (every descendant) and the tmux server."""
    try:
        jobs = console.children(recursive=True)
    except psutil.NoSuchProcess:
        jobs = []
    out = {"console": [console], "jobs": jobs}
    if tmux_pid is not None:
        out["tmux"] = [psutil.Process(tmux_pid)]
    return out


def read_events(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            pass  # the last line, still being written
    return events


def wait_ready(events: Path, deadline: float) -> float:
    """Seconds on the event log's clock (``t``) at ``job_ready``."""
    while time.monotonic() < deadline:
        if events.exists():
            with events.open(encoding="utf-8") as f:
                for line in f:
                    if '"job_ready"' in line:
                        return float(json.loads(line)["t"])
        time.sleep(0.2)
    raise SystemExit("the job never became ready")


def silent_runs(raw: Path) -> tuple[float, list[float]]:
    """Seconds of sound on the monitor, and the silent runs between the first and last sound."""
    pcm = np.frombuffer(raw.read_bytes(), dtype=np.int16)
    n = pcm.size // BLOCK
    blocks = pcm[: n * BLOCK].reshape(n, BLOCK).astype(np.float64)
    loud = np.sqrt(np.mean(blocks**2, axis=1)) > LOUD
    idx = np.flatnonzero(loud)
    if not idx.size:
        return 0.0, []
    inner = loud[idx[0] : idx[-1] + 1]
    runs: list[float] = []
    count = 0
    for is_loud in inner:
        if is_loud:
            if count:
                runs.append(count / 100)
            count = 0
        else:
            count += 1
    return float(loud.sum()) / 100, runs


def run_mode(mode: str, args: argparse.Namespace, minutes: float) -> Run:
    work = Path(tempfile.mkdtemp(prefix=f"tui-soak-{mode}-"))
    rec, stream_log, monitor = work / "rec", work / "stream.jsonl", work / "monitor.raw"
    env = {
        "STREAM_LOG": str(stream_log),
        "STREAM_TOKENS": str(args.tokens),
        "STREAM_REPLY_SECONDS": str(args.reply),
    }
    argv = [
        str(CONSOLE),
        str(AGENT),
        "--no-watch",
        "--input-device",
        "vmic",
        "--output-device",
        "vspeaker",
        "--record",
        str(rec),
    ]
    parecord = subprocess.Popen(
        [
            "parecord",
            "--device=vspeaker.monitor",
            "--raw",
            "--format=s16le",
            f"--rate={MONITOR_RATE}",
            "--channels=1",
            str(monitor),
        ]
    )
    tmux: Tmux | None = None
    headless: subprocess.Popen[bytes] | None = None
    pane_out = work / "pane.out"
    screen: list[tuple[float, int]] = []  # (monotonic, highest marker on screen)
    pane_size: list[tuple[float, int]] = []
    out = Run(mode=mode)
    try:
        if mode == "tui":
            tmux = Tmux(work)
            tmux.run("pipe-pane", "-t", "b", "-o", f"cat > {pane_out}")
            exports = " ".join(f"{k}={v}" for k, v in env.items())
            tmux.run("send-keys", "-t", "b", "-l", f"cd {ROOT} && {exports} exec {' '.join(argv)}")
            tmux.run("send-keys", "-t", "b", "Enter")
            console = psutil.Process(tmux.shell)  # the shell execs the console
        else:
            headless = subprocess.Popen(
                [*argv, "--headless"],
                cwd=ROOT,
                env={**os.environ, **env},
                stdin=subprocess.PIPE,
                stdout=(work / "stdout.jsonl").open("wb"),
                stderr=subprocess.DEVNULL,
            )
            console = psutil.Process(headless.pid)
        launched = time.monotonic()
        ready_t = wait_ready(rec / "events.jsonl", launched + 90)
        procs = processes(console, tmux.server if tmux else None)
        cpu0 = {k: cpu_seconds(v) for k, v in procs.items()}
        t0 = time.monotonic()
        end = t0 + minutes * 60
        marker = re.compile(r"§(\d+)")
        while time.monotonic() < end:
            time.sleep(1.0)
            now = time.monotonic()
            if tmux is not None:
                seen = [int(m) for m in marker.findall(tmux.out("capture-pane", "-p", "-t", "b"))]
                if seen:
                    screen.append((now, max(seen)))
                if pane_out.exists():
                    pane_size.append((now, pane_out.stat().st_size))
        procs = processes(console, tmux.server if tmux else None)  # jobs started since
        t1 = time.monotonic()
        out.seconds = t1 - t0
        out.cpu = {
            k: 100 * (cpu_seconds(v) - cpu0.get(k, 0.0)) / out.seconds for k, v in procs.items()
        }
        pids = [p.pid for ps in procs.values() for p in ps if p.pid != (tmux.server if tmux else 0)]
        if tmux is not None:
            tmux.run("send-keys", "-t", "b", "C-c")
        elif headless is not None:
            headless.send_signal(signal.SIGINT)
        stop = time.monotonic()
        while any(psutil.pid_exists(p) and psutil.Process(p).status() != "zombie" for p in pids):
            if time.monotonic() - stop > 20:
                break
            time.sleep(0.1)
    finally:
        if tmux is not None:
            tmux.close()
        if headless is not None and headless.poll() is None:
            headless.kill()
            headless.wait()
        parecord.terminate()
        parecord.wait()
    # -- the figures, on the event log's clock from job_ready for the measured seconds -------
    ready_mono = t0  # job_ready was seen within ~0.2 s of t0
    events = read_events(rec / "events.jsonl")
    lo, hi = ready_t, ready_t + out.seconds
    last = {"underruns": 0, "overflows": 0}
    times = {"underruns": out.underrun_times, "overflows": out.overflow_times}
    for ev in events:
        for key in ("underruns", "overflows") if ev.get("type") == "audio" else ():
            if isinstance(ev.get(key), int):
                n = int(ev[key])  # type: ignore[call-overload]
                if n > last[key]:
                    times[key].append(float(ev["t"]) - ready_t)  # type: ignore[arg-type]
                last[key] = max(last[key], n)
        problem = ev.get("problem") if ev.get("type") == "audio" else None
        if problem and not any(problem == p for _, p in out.problems):
            out.problems.append((float(ev["t"]) - ready_t, str(problem)))  # type: ignore[arg-type]
    out.underruns, out.overflows = last["underruns"], last["overflows"]
    for ev in events:
        t = float(ev.get("t", 0.0))  # type: ignore[arg-type]
        if not lo <= t <= hi:
            continue
        if ev.get("type") == "agent_text":
            out.tokens_console += 1
        elif ev.get("type") == "agent_speech" and ev.get("state") == "finished":
            out.played += float(ev.get("played") or 0.0)  # type: ignore[arg-type]
            out.replies += 1
    out.tokens_console /= out.seconds
    log = read_events(stream_log)
    in_window = [e for e in log if ready_mono <= float(e["t"]) <= t1]  # type: ignore[arg-type]
    tokens = [(float(e["t"]), float(e["tokens"])) for e in in_window if "tokens" in e]  # type: ignore[arg-type]
    audio = [float(e["audio"]) for e in log if "audio" in e and float(e["t"]) <= t1]  # type: ignore[arg-type]
    out.pushed = max(audio, default=0.0)
    if len(tokens) >= 2:
        out.tokens_llm = (tokens[-1][1] - tokens[0][1]) / (tokens[-1][0] - tokens[0][0])
    if len(screen) >= 2:
        out.tokens_screen = (screen[-1][1] - screen[0][1]) / (screen[-1][0] - screen[0][0])
        times = np.array([t for t, _ in tokens])
        counts = np.array([n for _, n in tokens])
        for t, n in screen:
            if times.size and times[0] <= t <= times[-1]:
                out.screen_behind.append(
                    max(0.0, float(np.interp(t, times, counts)) - n) / args.tokens
                )
    if len(pane_size) >= 2:
        a, b = pane_size[0][1], pane_size[-1][1]
        out.term_bytes = (b - a) / (pane_size[-1][0] - pane_size[0][0])
    out.heard, out.gaps = silent_runs(monitor)
    shutil.rmtree(work, ignore_errors=True)
    return out


def report(run: Run) -> None:
    name = f"{run.mode:<8}"
    print(f"{name} measured {run.seconds:.0f} s from job_ready")
    for what, count, times in (
        ("underruns (speaker, output underflows)", run.underruns, run.underrun_times),
        ("overflows (mic, input overflows)      ", run.overflows, run.overflow_times),
    ):
        when = ", ".join(f"{t:.0f}" for t in times[:10])
        print(f"{name} {what}   {count}" + (f"  at +{when} s" if when else ""))
    dropouts = [g for g in run.gaps if g < 0.25]
    pauses = [g for g in run.gaps if g >= 0.25]
    print(
        f"{name} speech: pushed {run.pushed:.1f} s, played {run.played:.1f} s "
        f"({run.replies} replies), heard on the monitor {run.heard:.1f} s"
    )
    print(
        f"{name} dropouts in speech (silent 10-250 ms): {len(dropouts)} "
        f"({sum(dropouts):.2f} s); pauses >= 0.25 s: {len(pauses)}"
        + (f" (p50 {pct(pauses, 50):.2f} s, max {max(pauses):.2f} s)" if pauses else "")
    )
    screen = "" if run.tokens_screen is None else f", on screen {run.tokens_screen:7.0f}"
    print(
        f"{name} tokens/s: LLM {run.tokens_llm:7.0f}, to the console {run.tokens_console:7.0f}"
        + screen
    )
    if run.screen_behind:
        behind = run.screen_behind
        print(
            f"{name} screen behind the LLM: p50 {pct(behind, 50):.2f} s, "
            f"p95 {pct(behind, 95):.2f} s, max {max(behind):.2f} s"
        )
    cpu = ", ".join(f"{k} {v:5.1f} %" for k, v in run.cpu.items())
    print(f"{name} CPU (% of a core): {cpu}")
    if run.term_bytes is not None:
        print(f"{name} terminal: {run.term_bytes / 1024:.0f} KiB/s written")
    for t, problem in run.problems:
        print(f"{name} audio problem at +{t:.1f} s: {problem}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--baseline-minutes", type=float, help="headless run (default: --minutes)")
    parser.add_argument("--tokens", type=float, default=2000.0, help="LLM tokens a second")
    parser.add_argument("--reply", type=float, default=10.0, help="seconds of each reply")
    parser.add_argument("--only", choices=["tui", "headless"])
    args = parser.parse_args()
    if not os.environ.get("PULSE_SERVER"):
        raise SystemExit("start the rig first: scripts/audio-rig.sh, then . $AUDIO_RIG_DIR/env.sh")
    modes = [args.only] if args.only else ["tui", "headless"]
    load0 = os.getloadavg()
    for mode in modes:
        minutes = args.minutes if mode == "tui" else (args.baseline_minutes or args.minutes)
        report(run_mode(mode, args, minutes))
    load1 = os.getloadavg()
    print(f"load average at start {load0[0]:.1f}, at end {load1[0]:.1f}")


if __name__ == "__main__":
    main()
