"""Reload time: save a file -> ``job_ready`` of the new job, warm spare vs cold start.

    .venv/bin/python bench/bench_reload.py [--reloads 20] [--cold 5]

Runs the real supervisor on a copy of the offline example in a temp folder, edits the agent
file (a reply text), and times from the write to the ``job_ready`` event. "spare" is the
console's path (a pre-warmed job takes over); "cold" is the same reload with no spare, i.e.
spawning a fresh ``python`` job with the same agent, measured in the same run for the ratio.
"""

from __future__ import annotations

import argparse
import queue
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _common import pct, row

from agentconsole.audio import AudioConfig
from agentconsole.supervisor import HostConfig, Supervisor

ROOT = Path(__file__).resolve().parents[1]
REPLY = "Hello! How can I help you today?"


def _wait(events: queue.Queue[dict[str, Any]], type_: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        ev = events.get(timeout=max(0.01, deadline - time.monotonic()))
        if ev["type"] == type_:
            return ev
        if ev["type"] == "job_exited" and ev.get("error"):
            raise SystemExit(f"the agent failed: {ev['error']}")


def measure(folder: Path, reloads: int, spare: bool) -> list[float]:
    agent = folder / "agent.py"
    events: queue.Queue[dict[str, Any]] = queue.Queue()
    config = HostConfig(
        agent_file=agent,
        audio=AudioConfig(use_input_device=False, use_output_device=False, status_hz=0.0),
        watch=True,
        spare=spare,
    )
    supervisor = Supervisor(config, events.put)
    supervisor.start()
    times: list[float] = []
    try:
        _wait(events, "job_ready")
        for i in range(reloads):
            if spare:  # a reload right after another would find no warm spare yet
                deadline = time.monotonic() + 60
                while not supervisor.spare_warm and time.monotonic() < deadline:
                    time.sleep(0.05)
            time.sleep(0.5)
            while not events.empty():
                events.get_nowait()
            text = agent.read_text()
            agent.write_text(text.replace(REPLY if i == 0 else f"Reply {i - 1}.", f"Reply {i}."))
            saved = time.monotonic()
            _wait(events, "job_ready")
            times.append(time.monotonic() - saved)
    finally:
        supervisor.stop()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reloads", type=int, default=20)
    parser.add_argument("--cold", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copy(ROOT / "examples" / "offline_agent.py", folder / "agent.py")
        shutil.copy(ROOT / "examples" / "prompt.md", folder / "prompt.md")
        warm = measure(folder, args.reloads, spare=True)
        shutil.copy(ROOT / "examples" / "offline_agent.py", folder / "agent.py")
        cold = measure(folder, args.cold, spare=False)
    print("save -> job_ready of the new job (offline example)")
    print(row("agentconsole reload (warm spare)", warm))
    print(row("cold reload (fresh python job, no spare)", cold))
    print(f"speed-up (p50 cold / p50 warm): {pct(cold, 50) / pct(warm, 50):.1f}x")


if __name__ == "__main__":
    main()
