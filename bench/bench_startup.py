"""Start-up time: the command to ``job_ready``, beside a bare ``import livekit.agents``.

    .venv/bin/python bench/bench_startup.py [--runs 5] [--agent examples/offline_agent.py]

Both are measured in the same run, alternating, on the same machine: the ratio matters more
than the absolute numbers on a shared 2-core box. ``job_ready`` means the agent's session is
running (its prewarm and entrypoint done), so it includes the user's imports and model loads.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import row

ROOT = Path(__file__).resolve().parents[1]


def console_start(agent: Path) -> tuple[float, float]:
    """Seconds from launch to ``hello`` (framework imported) and to ``job_ready``."""
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentconsole", str(agent), "--headless", "--no-watch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stdin is not None
    hello = ready = float("nan")
    for line in proc.stdout:
        ev = json.loads(line)
        if ev["type"] == "hello":
            hello = time.monotonic() - start
        elif ev["type"] == "job_ready":
            ready = time.monotonic() - start
            break
        elif ev["type"] == "job_exited":
            raise SystemExit(f"the agent failed: {ev.get('error')}")
    proc.stdin.write('{"cmd":"quit"}\n')
    proc.stdin.flush()
    proc.wait(30)
    return hello, ready


def bare_import() -> float:
    start = time.monotonic()
    subprocess.run([sys.executable, "-c", "import livekit.agents"], check=True)
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--agent", type=Path, default=ROOT / "examples" / "offline_agent.py")
    args = parser.parse_args()
    hellos: list[float] = []
    readies: list[float] = []
    imports: list[float] = []
    bare_import()  # warm the page cache for both sides
    for _ in range(args.runs):
        hello, ready = console_start(args.agent)
        hellos.append(hello)
        readies.append(ready)
        imports.append(bare_import())
    print(f"agent: {args.agent}")
    print(row("agentconsole: command -> job hello", hellos))
    print(row("agentconsole: command -> job_ready", readies))
    print(row('baseline: python -c "import livekit.agents"', imports))
    overhead = sorted(r - i for r, i in zip(readies, imports, strict=True))
    print(f"job_ready minus bare import, median: {overhead[len(overhead) // 2]:.3f}s")
    print("reference (pyc-baseline.md): LiveKit console launch -> mic open, median 4.13 s")


if __name__ == "__main__":
    main()
