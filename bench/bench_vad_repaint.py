"""What one repaint of the VAD graph costs the TUI, after a real turn. Prints numbers; asserts
nothing.

    .venv/bin/python bench/bench_vad_repaint.py [--samples 300]

First records a real turn's events: the offline example, headless, with no audio devices and
"turn on the kitchen lights" (espeak-ng) as the microphone, until its ``turn`` line. Those
events are fed to ``AgentConsoleApp`` headless (``run_test``, 120x40), so the conversation,
the panels and the graph hold what they hold after a turn; then ``--samples`` VAD inferences
are fed 34 ms apart (speech and silence in turn), each a repaint of the graph alone. Reports
the time of each compositor update (Textual's ``Compositor.render_update``: the widgets it
renders and the lines it cuts up) and, per widget, the time its ``render_lines`` took per
update. Over a turn the graph repaints 100-150 times (speech, then 8 s of it scrolling away),
about 80 % of the TUI's frames.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from textual._compositor import Compositor
from textual.widget import Widget

from agentconsole.app import AgentConsoleApp, ConsoleInfo
from agentconsole.widgets import VadGraph

ROOT = Path(__file__).resolve().parents[1]
INFO = ConsoleInfo(agent_file="offline_agent.py", input_device="bench", output_device="bench")


class NullHost:
    """Accepts commands and drops them."""

    def command(self, cmd: dict[str, Any]) -> None:
        pass


def record_turn(work: Path, after: float = 0.0) -> list[dict[str, Any]]:
    """The events of the offline example answering one spoken request, headless, and of
    ``after`` more seconds."""
    wav = work / "kitchen.wav"
    subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(wav), "turn on the kitchen lights"],
        check=True,
    )
    agentconsole = Path(sys.executable).parent / "agentconsole"
    proc = subprocess.Popen(
        [str(agentconsole), str(ROOT / "examples" / "offline_agent.py"), "--headless"]
        + ["--no-watch", "--no-audio", "--input-wav", str(wav)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        event = json.loads(line)
        events.append(event)
        if event["type"] == "turn":
            deadline = min(deadline, time.monotonic() + after)
        if time.monotonic() > deadline:
            break
    proc.stdin.write('{"cmd": "quit"}\n')
    proc.stdin.close()
    proc.wait(timeout=30)
    if not any(e["type"] == "turn" for e in events):
        raise SystemExit("the offline example answered no turn")
    return events


async def measure(events: list[dict[str, Any]], samples: int) -> None:
    updates: list[float] = []
    per_widget: collections.Counter[str] = collections.Counter()
    render_update = Compositor.render_update
    render_lines = Widget.render_lines

    def timed_update(self: Compositor, *args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        result = render_update(self, *args, **kwargs)
        updates.append(time.perf_counter() - t)
        return result

    def timed_lines(self: Widget, crop: Any) -> Any:
        t = time.perf_counter()
        result = render_lines(self, crop)
        per_widget[f"{type(self).__name__}#{self.id}" if self.id else type(self).__name__] += (
            time.perf_counter() - t
        )
        return result

    Compositor.render_update = timed_update  # type: ignore[method-assign]
    Widget.render_lines = timed_lines  # type: ignore[method-assign]
    app = AgentConsoleApp(NullHost(), INFO)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        app.feed_events(events)
        await pilot.pause(0.5)
        updates.clear()
        per_widget.clear()
        t0 = max(e.get("t", 0.0) for e in events)
        for i in range(samples):
            p = (0.9 if (i // 20) % 2 else 0.02) + (i % 7) * 0.01
            app.feed_event(
                {"type": "vad", "probability": p, "speaking": p > 0.5, "t": t0 + i * 0.034}
            )
            await asyncio.sleep(0.034)
        await pilot.pause(0.2)
    n = max(len(updates), 1)
    print(f"compositor updates  {len(updates)} for {samples} VAD samples")
    print(
        f"per update          median {1000 * statistics.median(updates):.2f} ms, "
        f"mean {1000 * statistics.fmean(updates):.2f} ms"
    )
    print("render_lines per update, by widget:")
    for name, seconds in per_widget.most_common(12):
        print(f"  {1000 * seconds / n:6.3f} ms  {name}")


async def replay(events: list[dict[str, Any]]) -> None:
    """Feed the recorded session to the app at its own pace; report the UI thread's CPU."""
    updates = 0
    render_update = Compositor.render_update

    def counted_update(self: Compositor, *args: Any, **kwargs: Any) -> Any:
        nonlocal updates
        updates += 1
        return render_update(self, *args, **kwargs)

    Compositor.render_update = counted_update  # type: ignore[method-assign]
    app = AgentConsoleApp(NullHost(), INFO)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.5)
            graph = app.query_one(VadGraph)
            updates, paints = 0, graph.paints
            cpu, start = time.thread_time(), time.monotonic()
            t0 = float(events[0].get("t", 0.0))
            for event in events:
                due = start + float(event.get("t", t0)) - t0
                if due > time.monotonic():
                    await asyncio.sleep(due - time.monotonic())
                app.feed_event(event)
            await pilot.pause(0.3)
            cpu, wall = time.thread_time() - cpu, time.monotonic() - start
            paints = graph.paints - paints
    finally:
        # unwrapped, so that a second replay (--runs) counts its own updates once
        Compositor.render_update = render_update  # type: ignore[method-assign]
    vads = sum(1 for e in events if e["type"] == "vad")
    print(f"replayed            {len(events)} events ({vads} vad) over {wall:.1f} s")
    print(f"compositor updates  {updates}, VAD graph paints {paints}")
    print(f"UI thread CPU       {cpu:.2f} s, {100 * cpu / wall:.1f} % of a core")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument(
        "--replay",
        action="store_true",
        help="instead: replay the session (the turn and 9 s after it) at its pace, report "
        "the compositor's updates, the graph's paints and the UI thread's CPU",
    )
    parser.add_argument("--runs", type=int, default=1, help="--replay: replays of one recording")
    parser.add_argument(
        "--events",
        type=Path,
        default=None,
        help="the recorded session's events: read from this file if it exists, else saved to it "
        "(to replay one recording with two versions of the code)",
    )
    args = parser.parse_args()
    if args.events is not None and args.events.exists():
        events = [json.loads(line) for line in args.events.read_text().splitlines()]
    else:
        with tempfile.TemporaryDirectory() as work:
            events = record_turn(Path(work), after=9.0 if args.replay else 0.0)
        if args.events is not None:
            args.events.write_text("".join(json.dumps(e) + "\n" for e in events))
    if args.replay:
        for _ in range(args.runs):
            asyncio.run(replay(events))
    else:
        asyncio.run(measure(events, args.samples))


if __name__ == "__main__":
    main()
