"""How the TUI keeps up with a fast event stream. Prints numbers; asserts nothing.

Drives ``AgentConsoleApp`` headless (``run_test``) and feeds synthetic events from a separate
thread, as the supervisor's io thread does: ``--tokens`` agent_text deltas a second (an agent
turn is committed every second, so the conversation grows) and ``--vad`` VAD inferences a
second, for ``--seconds``. Reports:

* UI loop lag: lateness of a 5 ms sleep on the app's loop (p50 / p99 / worst), idle and streaming;
* CPU of the process (all threads) and of the UI alone (the producer thread's CPU subtracted);
* VAD latency: time from ``feed_event`` of a vad event to the graph rendering that sample
  (p50 / p95 / worst); headless, so the terminal write itself is not included;
* frames (inbox drains) per second and graph paints per second.

Usage: ``python bench/bench_tui.py [--seconds 10] [--tokens 2000] [--vad 30]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
from typing import Any

import psutil

from agentconsole import gcpolicy
from agentconsole.app import AgentConsoleApp, ConsoleInfo
from agentconsole.state import percentile
from agentconsole.widgets import VadGraph

INFO = ConsoleInfo(agent_file="bench_agent.py", input_device="bench", output_device="bench")


class NullHost:
    """Accepts commands and drops them."""

    def command(self, cmd: dict[str, Any]) -> None:
        pass


class VadProbe:
    """Wraps ``VadGraph.render`` to see when each fed VAD sample reaches the screen."""

    def __init__(self) -> None:
        self.fed_at: dict[float, float] = {}
        self.latencies: list[float] = []
        self._lock = threading.Lock()
        self._seen: set[float] = set()
        original = VadGraph.render
        probe = self

        def render(graph: VadGraph) -> Any:
            result = original(graph)
            samples = graph._samples
            if samples:
                t = samples[-1].t
                with probe._lock:
                    fed = probe.fed_at.get(t)
                if fed is not None and t not in probe._seen:
                    probe._seen.add(t)
                    probe.latencies.append(time.perf_counter() - fed)
            return result

        VadGraph.render = render  # type: ignore[method-assign,assignment,unused-ignore]

    def fed(self, t: float) -> None:
        with self._lock:
            self.fed_at[t] = time.perf_counter()


class LagMeter:
    """Measures how late a short sleep on the event loop wakes up."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(0.005)
            self.lags.append(time.perf_counter() - start - 0.005)

    def start(self) -> None:
        self.lags = []
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> list[float]:
        if self._task is not None:
            self._task.cancel()
        return self.lags


def produce(
    app: AgentConsoleApp,
    probe: VadProbe,
    seconds: float,
    token_rate: float,
    vad_rate: float,
    cpu_out: list[float],
    turn_seconds: float = 1.0,
) -> None:
    """Feed tokens and VAD events in real time from this thread."""
    cpu0 = time.thread_time()
    start = time.perf_counter()
    sent_tokens = 0
    sent_vad = 0
    turns = 0
    t0 = 100.0  # event time base
    while True:
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            break
        while sent_tokens < elapsed * token_rate:
            app.feed_event({"type": "agent_text", "t": t0 + elapsed, "delta": f"tok{sent_tokens} "})
            sent_tokens += 1
        while sent_vad < elapsed * vad_rate:
            t = round(t0 + sent_vad / vad_rate, 6)
            probe.fed(t)
            p = 0.9 if (sent_vad // 40) % 2 else 0.1
            app.feed_event({"type": "vad", "t": t, "probability": p, "speaking": p > 0.5})
            sent_vad += 1
        if elapsed >= (turns + 1) * turn_seconds:
            turns += 1
            app.feed_event(
                {"type": "agent_turn", "t": t0 + elapsed, "text": "(turn)", "interrupted": False}
            )
            app.feed_event(
                {"type": "user_transcript", "t": t0 + elapsed, "text": "next", "final": True}
            )
        time.sleep(0.001)
    cpu_out.append(time.thread_time() - cpu0)


def cpu_percent(proc: psutil.Process, seconds: float, before: Any) -> float:
    after = proc.cpu_times()
    used: float = (after.user - before.user) + (after.system - before.system)
    return 100.0 * used / seconds


def fmt_ms(values: list[float]) -> str:
    if not values:
        return "n/a"
    p50 = percentile(values, 50) or 0.0
    p95 = percentile(values, 95) or 0.0
    p99 = percentile(values, 99) or 0.0
    return (
        f"p50 {p50 * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms  p99 {p99 * 1000:6.1f} ms  "
        f"worst {max(values) * 1000:6.1f} ms  (n={len(values)})"
    )


async def run(
    seconds: float, token_rate: float, vad_rate: float, idle: float, turn_tokens: int = 2000
) -> None:
    probe = VadProbe()
    app = AgentConsoleApp(NullHost(), INFO)
    proc = psutil.Process()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        gcpolicy.apply()  # as the console does once it has started (console/gcpolicy.py)
        meter = LagMeter()

        # Idle: nothing fed.
        meter.start()
        before = proc.cpu_times()
        await asyncio.sleep(idle)
        idle_cpu = cpu_percent(proc, idle, before)
        idle_lags = meter.stop()

        # Streaming.
        graph = app.query_one(VadGraph)
        paints0, drains0 = graph.paints, app.drains
        producer_cpu: list[float] = []
        thread = threading.Thread(
            target=produce,
            args=(
                app,
                probe,
                seconds,
                token_rate,
                vad_rate,
                producer_cpu,
                turn_tokens / max(token_rate, 1.0),
            ),
        )
        meter.start()
        before = proc.cpu_times()
        wall0 = time.perf_counter()
        thread.start()
        while thread.is_alive():
            await asyncio.sleep(0.05)
        wall = time.perf_counter() - wall0
        stream_cpu = cpu_percent(proc, wall, before)
        stream_lags = meter.stop()
        await pilot.pause(0.2)
        paints = graph.paints - paints0
        drains = app.drains - drains0
        tokens = sum(len(getattr(i, "streamed", "").split()) for i in app.state.items)

    ui_cpu = stream_cpu - 100.0 * (producer_cpu[0] if producer_cpu else 0.0) / wall
    print(
        f"stream: {token_rate:.0f} tokens/s + {vad_rate:.0f} vad/s for {seconds:.0f} s, "
        f"an agent message every {turn_tokens} tokens (headless)"
    )
    print(f"  tokens shown        {tokens} (fed {int(token_rate * seconds)})")
    print(f"  frames (drains)     {drains / wall:6.1f} /s")
    print(f"  VAD graph paints    {paints / wall:6.1f} /s")
    print(f"  VAD fed -> painted  {fmt_ms(probe.latencies)}")
    print(f"  loop lag, idle      {fmt_ms(idle_lags)}")
    print(f"  loop lag, stream    {fmt_ms(stream_lags)}")
    print(f"  CPU idle            {idle_cpu:6.1f} % of one core")
    print(
        f"  CPU streaming       {stream_cpu:6.1f} % (process)  "
        f"{ui_cpu:6.1f} % (UI, producer excluded)"
    )
    if stream_lags:
        print(f"  mean loop lag       {statistics.mean(stream_lags) * 1000:6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--tokens", type=float, default=2000.0)
    parser.add_argument("--vad", type=float, default=30.0)
    parser.add_argument("--idle", type=float, default=3.0)
    parser.add_argument("--turn-tokens", type=int, default=2000, help="tokens per agent message")
    args = parser.parse_args()
    asyncio.run(run(args.seconds, args.tokens, args.vad, args.idle, args.turn_tokens))


if __name__ == "__main__":
    main()
