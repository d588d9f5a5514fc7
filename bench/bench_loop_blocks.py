"""The job's event-loop stalls after ``job_ready``, as its own watchdog sees them.

    .venv/bin/python bench/bench_loop_blocks.py [--threshold 0.05] [--runs 1]
        [--agent examples/offline_agent.py] [--text "what is the weather in paris"]

Runs the real console headless on the agent with a spoken WAV turn (espeak-ng), the watchdog
at a low threshold, and prints every ``loop_blocked`` reported after ``job_ready``: its length
and where it was (the agent's line, or the innermost frame when the stall is the framework's
or the console's). An agent that blocks nothing should show only what the framework does.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "job"))
from _common import row
from conftest_speech import speak

ROOT = Path(__file__).resolve().parents[1]


def _place(ev: dict[str, Any]) -> str:
    where = ev.get("where")
    if where:
        return f"{where['file']}:{where['line']} in {where['function']}: {where['code']}"
    stack = ev.get("stack") or []
    if not stack:
        return "(no stack sampled)"
    inner = stack[-1]
    path = str(inner["path"]).split("site-packages/")[-1]
    return f"[framework] {path}:{inner['line']} in {inner['function']}: {inner['code']}"


def one_run(agent: Path, wav: Path, threshold: float) -> list[dict[str, Any]]:
    """Blocks reported after ``job_ready`` in one session (the WAV turn and its reply)."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agentconsole",
            str(agent),
            "--headless",
            "--no-watch",
            "--input-wav",
            str(wav),
            f"--block-threshold={threshold}",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stdin is not None
    ready = False
    heard = False
    blocks: list[dict[str, Any]] = []
    deadline = time.monotonic() + 180
    try:
        for line in proc.stdout:
            ev = json.loads(line)
            kind = ev["type"]
            if kind == "job_ready":
                ready = True
            elif kind == "loop_blocked" and ready and not ev.get("ongoing"):
                blocks.append(ev)
            elif kind == "log" and ev.get("message") == "input WAV started":
                heard = True
            elif kind == "agent_turn" and heard:
                break  # the reply to the spoken turn is committed: the turn is over
            if time.monotonic() > deadline:
                print("timed out", file=sys.stderr)
                break
    finally:
        proc.stdin.write('{"cmd":"quit"}\n')
        proc.stdin.flush()
        proc.wait(30)
    return blocks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agent", type=Path, default=ROOT / "examples" / "offline_agent.py")
    parser.add_argument("--threshold", type=float, default=0.05)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--text", default="what is the weather in paris")
    parser.add_argument("--stacks", action="store_true", help="print each block's stack")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wav = speak(args.text, Path(tmp) / "turn.wav")
        durations: list[float] = []
        for run in range(args.runs):
            blocks = one_run(args.agent, wav, args.threshold)
            print(f"run {run + 1}: {len(blocks)} blocks >= {args.threshold:g}s after job_ready")
            for ev in blocks:
                print(f"  t={ev['t']:8.3f}  {ev['duration']:6.3f}s  {_place(ev)}")
                if args.stacks:
                    for f in ev.get("stack") or []:
                        print(f"      {f['file']}:{f['line']} in {f['function']}: {f['code']}")
                durations.append(float(ev["duration"]))
    print(row("blocked after job_ready", durations))


if __name__ == "__main__":
    main()
