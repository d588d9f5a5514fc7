"""What the turn timeline (issue 10) costs under a fast stream. Prints numbers; asserts nothing.

Two places pay for it, each measured against a baseline in the same run:

* **Job**: ``TurnTimeline`` sees every LLM text delta, every user audio frame (100/s), every VAD
  inference and each turn's items. An asyncio loop runs the job's per-event hooks at
  ``--tokens`` deltas/s, 100 frames/s and 31 VAD/s, with a complete turn (user item, a tool,
  reply, playback, ``turn`` sent as JSON as on the wire) every second; the baseline runs the
  same loop with the hooks replaced by no-ops. Reported: CPU of the loop's thread and the lag
  of a 5 ms sleep on that loop.
* **TUI**: the ``bench_tui`` stream (``--tokens`` agent_text/s + 30 VAD/s, an agent message
  every second) with and without the timeline's events (a ``turn`` with nine segments and its
  LLM input, ``usage`` and two end-of-turn predictions every second; then also a
  discarded-speech span and a false interruption every second, two conversation notes, far
  more than a real session has), through the real ``AgentConsoleApp`` headless. Reported: UI
  loop lag and CPU.

Usage: ``python bench/bench_timeline.py [--seconds 8] [--tokens 2000]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).parent))
from bench_tui import INFO, LagMeter, NullHost, VadProbe, cpu_percent, fmt_ms, produce

from agentconsole.app import AgentConsoleApp
from agentconsole.job.timeline import TurnTimeline


class _Item:
    """A stand-in for a committed ChatMessage (what the framework hands the bridge)."""

    def __init__(self, role: str, text: str, metrics: dict[str, float]) -> None:
        self.role = role
        self.text_content = text
        self.metrics = metrics
        self.created_at = time.time()
        self.interrupted = False


class _Metrics:
    def __init__(self, kind: str, **fields: Any) -> None:
        self.type = kind
        self.__dict__.update(fields)


# -- job side ----------------------------------------------------------------------------------


async def job_side(seconds: float, token_rate: float, hooks: bool) -> tuple[float, list[float]]:
    """Drive the job-side hooks in real time; return (CPU % of the thread, loop lags)."""
    sent: list[str] = []

    def send(ev: Any) -> None:  # as the wire does: one JSON encoding per event
        sent.append(json.dumps(ev.to_dict()))

    timeline = TurnTimeline(send)
    noop = lambda *a, **k: None  # noqa: E731
    text = timeline.on_agent_text if hooks else noop
    frame = timeline.on_user_frame if hooks else noop
    vad = timeline.on_vad if hooks else noop
    meter = LagMeter()
    meter.start()
    cpu0 = time.thread_time()
    start = time.perf_counter()
    tokens = frames = vads = turns = 0
    while (elapsed := time.perf_counter() - start) < seconds:
        while tokens < elapsed * token_rate:
            text()
            tokens += 1
        while frames < elapsed * 100:
            frame(None)
            frames += 1
        while vads < elapsed * 31:
            vad(vads % 40 < 20)
            vads += 1
        if elapsed >= turns + 1:
            turns += 1
            if hooks:
                now = time.time()
                timeline.on_user_item(
                    _Item(
                        "user",
                        "turn on the kitchen lights",
                        {
                            "stopped_speaking_at": now - 1.2,
                            "transcription_delay": 0.9,
                            "end_of_turn_delay": 1.0,
                            "on_user_turn_completed_delay": 0.001,
                        },
                    )
                )
                timeline.on_tools([("turn_on_lights", now - 0.1, now - 0.09)])
                timeline.on_agent_text()
                timeline.on_playback_start(turns)
                timeline.on_metrics(_Metrics("llm_metrics", prompt_tokens=120, completion_tokens=9))
                timeline.on_agent_item("The kitchen lights are on.", False)
                timeline.on_agent_state("listening")
        await asyncio.sleep(0.001)
    cpu = 100.0 * (time.thread_time() - cpu0) / seconds
    return cpu, meter.stop()


# -- TUI side ----------------------------------------------------------------------------------


def _timeline_events(t: float, n: int, notes: bool) -> list[dict[str, Any]]:
    names = ["vad_silence", "stt_final", "end_of_turn", "on_user_turn_completed", "llm_ttft"]
    names += ["tools", "llm_ttft", "tts_ttfb", "playout"]
    segments = []
    s = t - 1.3
    for i, name in enumerate(names):
        e = s + 0.05 + 0.1 * (i % 3)
        segments.append({"name": name, "start": s, "end": e, "setting": f"setting of {name}"})
        s = e
    turn = {
        "type": "turn",
        "t": t,
        "id": n,
        "user_text": "next",
        "reply": "(turn)",
        "interrupted": False,
        "heard_latency": s - (t - 1.3),
        "segments": segments,
        "tools": [{"name": "turn_on_lights", "start": t - 0.5, "end": t - 0.4}],
        "usage": {"llm_prompt_tokens": 120, "llm_completion_tokens": 9, "tts_characters": 30},
        "start": t - 1.3,
        "source": "stt",
        "llm_input": {
            "messages": [{"role": "user", "text": "turn on the kitchen lights"}] * 20,
            "tools": [{"name": "turn_on_lights", "description": "Turn on the lights."}],
        },
    }
    events: list[dict[str, Any]] = [
        turn,
        {"type": "usage", "t": t, "llm_prompt_tokens": 120 * n, "tts_characters": 30 * n},
        {"type": "eot_prediction", "t": t, "probability": 0.3, "threshold": 0.5},
        {"type": "eot_prediction", "t": t + 0.3, "probability": 0.8, "threshold": 0.5},
    ]
    if not notes:
        return events
    return events + [
        {
            "type": "user_audio_discarded",
            "t": t,
            "reason": "aec_warmup",
            "start": t - 0.8,
            "end": t - 0.2,
            "setting": "aec_warmup_duration=3s",
        },
        {"type": "false_interruption", "t": t, "resumed": True},
    ]


def _with_timeline(app: AgentConsoleApp, notes: bool) -> None:
    """Feed the timeline's events along with each agent message of the bench stream (an
    instance attribute: a subclass defined here would look for the app's CSS here)."""
    feed = app.feed_event
    count = [0]

    def feed_event(ev: dict[str, Any]) -> None:
        feed(ev)
        if ev.get("type") == "agent_turn":
            count[0] += 1
            for extra in _timeline_events(float(ev["t"]), count[0], notes):
                feed(extra)

    app.feed_event = feed_event  # type: ignore[method-assign]


async def tui_side(
    seconds: float, token_rate: float, timeline: bool, notes: bool = False
) -> tuple[float, list[float]]:
    """The bench_tui stream through the real app; return (UI CPU %, loop lags)."""
    app = AgentConsoleApp(NullHost(), INFO)
    if timeline:
        _with_timeline(app, notes)
    proc = psutil.Process()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        meter = LagMeter()
        producer_cpu: list[float] = []
        thread = threading.Thread(
            target=produce,
            args=(app, VadProbe(), seconds, token_rate, 30.0, producer_cpu, 1.0),
        )
        meter.start()
        before = proc.cpu_times()
        wall0 = time.perf_counter()
        thread.start()
        while thread.is_alive():
            await asyncio.sleep(0.05)
        wall = time.perf_counter() - wall0
        cpu = cpu_percent(proc, wall, before)
        lags = meter.stop()
        await pilot.pause(0.2)
        if timeline:
            assert app.state.turns.turns, "the timeline events were not applied"
    ui_cpu = cpu - 100.0 * (producer_cpu[0] if producer_cpu else 0.0) / wall
    return ui_cpu, lags


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--tokens", type=float, default=2000.0)
    args = parser.parse_args()
    print(f"job side: {args.tokens:.0f} text deltas/s + 100 user frames/s + 31 VAD/s, a turn/s")
    for hooks in (False, True):
        cpu, lags = asyncio.run(job_side(args.seconds, args.tokens, hooks))
        name = "with the timeline" if hooks else "baseline (no-op) "
        print(f"  {name}  CPU {cpu:5.1f} % of a core  loop lag {fmt_ms(lags)}")
    print(f"TUI: {args.tokens:.0f} tokens/s + 30 VAD/s, an agent message (and turn) every second")
    runs = (
        ("baseline                     ", False, False),
        ("with the timeline            ", True, False),
        ("timeline + 2 notes/s (worst) ", True, True),
    )
    for name, timeline, notes in runs:
        cpu, lags = asyncio.run(tui_side(args.seconds, args.tokens, timeline, notes))
        print(f"  {name}  UI CPU {cpu:5.1f} %  loop lag {fmt_ms(lags)}")


if __name__ == "__main__":
    main()
