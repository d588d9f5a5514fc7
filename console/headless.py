"""The headless front end: events as JSON lines on stdout, commands as JSON lines on stdin.

Contract (docs/protocol.md): one JSON object per line, each with ``type`` and ``t``. Commands:
``{"cmd": "say", "text": ...}``, ``user_text``, ``interrupt``, ``reload``, ``mute`` (``on``),
``quit``. End of stdin does not stop the console (scripts may close it early); ``quit``,
SIGINT or SIGTERM do.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
from typing import IO, Any

from . import protocol
from .supervisor import HostConfig, Supervisor

__all__ = ["run_headless"]


class _JsonLinesOut:
    """Writes events to a stream, one line each, from any thread."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self.broken = threading.Event()
        self.last_error: str | None = None

    def __call__(self, ev: protocol.Event) -> None:
        if ev.get("type") == "job_exited" and ev.get("error"):
            self.last_error = str(ev["error"])
        line = json.dumps(ev, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            if self.broken.is_set():
                return
            try:
                self._stream.write(line + "\n")
                self._stream.flush()
            except (BrokenPipeError, OSError, ValueError):
                self.broken.set()


def _read_commands(stream: IO[str], supervisor: Supervisor, out: _JsonLinesOut) -> None:
    for raw in stream:
        line = raw.strip()
        if not line:
            continue
        try:
            cmd: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            supervisor.emit("error", level="warning", message=f"bad command line: {exc}")
            continue
        if not isinstance(cmd, dict) or cmd.get("cmd") not in protocol.COMMANDS:
            supervisor.emit("error", level="warning", message=f"unknown command: {line[:200]}")
            continue
        supervisor.command(cmd)


def run_headless(
    config: HostConfig, stdin: IO[str] | None = None, stdout: IO[str] | None = None
) -> int:
    """Run the console without a TUI until ``quit`` or a signal. Returns the exit code."""
    out = _JsonLinesOut(stdout or sys.stdout)
    supervisor = Supervisor(config, out)
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        supervisor.start()
        reader = threading.Thread(
            target=_read_commands,
            args=(stdin or sys.stdin, supervisor, out),
            name="agentconsole-stdin",
            daemon=True,
        )
        reader.start()
        while not (stop.is_set() or supervisor.finished.is_set() or out.broken.is_set()):
            stop.wait(0.1)
    finally:
        supervisor.stop()
        for sig, handler in previous.items():
            with contextlib.suppress(ValueError):
                signal.signal(sig, handler)
    if supervisor.exit_code and out.last_error:
        last = out.last_error.strip().splitlines()[-1]
        print(f"agentconsole: the agent failed: {last}", file=sys.stderr)
    return supervisor.exit_code
