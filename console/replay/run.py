"""``agentconsole replay DIR [AGENT]``: play a recording's user side into the agent, compare.

The agent runs in a job process exactly as in a live session (the supervisor, the wire, the
paced null speaker); the microphone is the recorded one, cut into the user's speech spans and
played by :class:`~agentconsole.replay.player.Player` when the live agent reaches the same
point. The replay is itself recorded (``--out``, default ``DIR-replay``), then its turns are
compared with the recording's (:mod:`agentconsole.replay.diff`).
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .session_file import SessionFile, write_session

__all__ = ["ReplayOptions", "load_mic_track", "run_replay"]


@dataclass
class ReplayOptions:
    """What ``agentconsole replay`` was asked to do."""

    session: SessionFile
    agent_file: Path
    out_dir: Path
    tui: bool = False
    events: bool = False
    """Print the replay's events as JSON lines on stdout (headless)."""
    max_latency_p95: float | None = None
    same_replies: bool = False
    mock_tools: dict[str, Any] = field(default_factory=dict)
    timeout: float = 30.0
    log_level: str = "info"


def load_mic_track(path: Path) -> Callable[[float, float], bytes]:
    """The recorded microphone (left channel of ``audio.wav``) as a ``(start, end) -> PCM16``
    cutter, seconds in the file's timeline."""
    import numpy as np

    try:
        with wave.open(str(path), "rb") as wav:
            channels, rate = wav.getnchannels(), wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except (OSError, EOFError, wave.Error) as exc:
        raise ValueError(f"{path}: not a readable recording ({exc})") from None
    data = np.frombuffer(frames, dtype="<i2").reshape(-1, channels)[:, 0].copy()

    def cut(start: float, end: float) -> bytes:
        a = max(0, int(start * rate))
        b = max(a, int(end * rate))
        return data[a:b].tobytes()

    return cut


def _end_listens(events: list[dict[str, Any]], user: list[dict[str, Any]]) -> int:
    """1 when the recorded agent went back to listening after the user's last action (the
    replay then waits for that too before it ends), else 0."""
    played = [u for u in user if u.get("kind") != "mute"]
    last = float(played[-1].get("t") or 0.0) if played else 0.0
    listening = True
    for ev in events:
        if ev.get("type") != "agent_state":
            continue
        now = ev.get("state") == "listening"
        if now and not listening and float(ev.get("t") or 0.0) > last:
            return 1
        listening = now
    return 0


def run_replay(opts: ReplayOptions) -> int:
    """Run the replay; print the diff; return the exit code (0 pass, 1 fail)."""
    from ..audio import AudioConfig
    from ..supervisor import HostConfig, Supervisor
    from .diff import compare, render
    from .player import MicSource, Player

    session = opts.session
    cut = load_mic_track(session.audio_path)
    finals = sum(1 for t in session.turns if t.get("user_text") is not None)

    out = opts.out_dir
    out.mkdir(parents=True, exist_ok=True)
    for name in ("events.jsonl", "audio.wav", "session.json"):
        with contextlib.suppress(FileNotFoundError):
            (out / name).unlink()  # a fresh recording, not appended to an older one

    mocks = dict((session.data.get("options") or {}).get("mock_tools") or {})
    mocks.update(opts.mock_tools)
    mic = MicSource()
    audio = AudioConfig(
        use_input_device=False,
        use_output_device=False,
        mic_source=mic,
        record_dir=out,
        status_hz=0.0,
    )
    config = HostConfig(
        agent_file=opts.agent_file,
        log_level=opts.log_level,
        audio=audio,
        record_dir=out,
        watch=False,
        mock_tools=mocks,
    )
    sinks: list[Callable[[dict[str, Any]], None]] = []
    lock = threading.Lock()
    failure: list[str] = []

    def on_event(ev: dict[str, Any]) -> None:
        if ev.get("type") == "job_exited" and ev.get("error"):
            failure.append(str(ev["error"]).strip().splitlines()[-1])
        player.on_event(ev)
        for sink in sinks:
            sink(ev)

    if opts.events:

        def print_event(ev: dict[str, Any]) -> None:
            line = json.dumps(ev, ensure_ascii=False, separators=(",", ":"))
            with lock, contextlib.suppress(BrokenPipeError, OSError, ValueError):
                sys.stdout.write(line + "\n")
                sys.stdout.flush()

        sinks.append(print_event)

    supervisor = Supervisor(config, on_event)
    player = Player(
        session.user,
        cut,
        mic,
        supervisor.command,
        supervisor.emit,
        final_count=finals,
        end_listens=_end_listens(session.events, session.user),
        timeout=opts.timeout,
    )

    def quit_when_done() -> None:
        player.done.wait()
        supervisor.command({"cmd": "quit"})

    threading.Thread(target=quit_when_done, name="agentconsole-replay-end", daemon=True).start()
    if opts.tui:
        code = _run_tui(config, supervisor, player, sinks)
    else:
        code = _run_headless(supervisor, player)
    player.stop()
    if code and not player.done.is_set():
        reason = failure[-1] if failure else f"exit code {code}"
        print(f"agentconsole: the replay stopped: {reason}", file=sys.stderr)
        return 1 if code != 130 else code
    options = {
        "replay_of": str(session.dir),
        "mock_tools": mocks or None,
        "input": "replay",
    }
    replayed = write_session(out, opts.agent_file, options)
    diff = compare(
        session.turns,
        replayed.turns,
        max_latency_p95=opts.max_latency_p95,
        same_replies=opts.same_replies,
    )
    stream = sys.stderr if opts.events else sys.stdout
    print(render(diff), file=stream)
    if not player.done.is_set():
        print("FAIL: the replay stopped before the agent answered every turn", file=stream)
        return 1
    if player.timeouts:
        print(f"note: {player.timeouts} step(s) waited longer than {opts.timeout:g} s", file=stream)
    print(f"replay recorded to {out}", file=stream)
    return diff.exit_code


def _run_headless(supervisor: Any, player: Any) -> int:
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        supervisor.start()
        player.start()
        while not (stop.is_set() or supervisor.finished.is_set()):
            stop.wait(0.1)
    finally:
        supervisor.stop()
        for sig, handler in previous.items():
            with contextlib.suppress(ValueError):
                signal.signal(sig, handler)
    if stop.is_set() and not player.done.is_set():
        return 130
    return int(supervisor.exit_code)


def _run_tui(
    config: Any, supervisor: Any, player: Any, sinks: list[Callable[[dict[str, Any]], None]]
) -> int:
    from ..app import AgentConsoleApp, ConsoleInfo
    from ..cli import _stderr_to_log

    info = ConsoleInfo(
        agent_file=str(config.agent_file),
        mode="local",
        room=None,
        input_device="replay",
        output_device="none",
        livekit_agents_version=None,
        record_dir=str(config.record_dir),
    )
    with _stderr_to_log():
        app = AgentConsoleApp(supervisor, info)
        sinks.append(app.feed_event)
        supervisor.start()
        player.start()

        def close_with_supervisor() -> None:
            supervisor.finished.wait()
            with contextlib.suppress(Exception):
                app.call_from_thread(app.exit, supervisor.exit_code)

        threading.Thread(target=close_with_supervisor, daemon=True).start()
        try:
            code = app.run()
        finally:
            supervisor.stop()
    return int(code or 0) or int(supervisor.exit_code)


def default_out_dir(dir: Path) -> Path:
    """``DIR-replay`` beside the recording (never inside it: the recording stays as it was)."""
    return dir.parent / f"{dir.name}-replay"
