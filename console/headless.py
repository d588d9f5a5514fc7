"""The headless front end: events as JSON lines on stdout, commands as JSON lines on stdin.

Contract (docs/protocol.md): one JSON object per line, each with ``type`` and ``t``. Commands:
``{"cmd": "say", "text": ...}``, ``user_text``, ``interrupt``, ``reload``, ``mute`` (``on``),
``quit``. End of stdin does not stop the console (scripts may close it early); ``quit``,
SIGINT or SIGTERM do.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import signal
import sys
import threading
import time
from typing import IO, Any

from . import events, protocol
from .supervisor import HostConfig, Supervisor

__all__ = ["run_headless"]


class _JsonLinesOut:
    """Writes events to a stream, one line each, from any thread."""

    def __init__(self, stream: IO[str], turns_only: bool = False) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._turns_only = turns_only
        self.broken = threading.Event()
        self.last_error: str | None = None
        self.last_turn = time.monotonic()
        """When the last ``turn`` was written (or the start): the ``--timeout`` clock."""

    def __call__(self, ev: protocol.Event) -> None:
        kind = ev.get("type")
        if kind == events.JobExited.TYPE and ev.get("error"):
            self.last_error = str(ev["error"])
        if kind == events.Turn.TYPE:
            self.last_turn = time.monotonic()
        elif self._turns_only:
            return
        line = json.dumps(ev, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            if self.broken.is_set():
                return
            try:
                self._stream.write(line + "\n")
                self._stream.flush()
            except (BrokenPipeError, OSError, ValueError):
                self.broken.set()


def _warn(supervisor: Supervisor, message: str) -> None:
    """Report a rejected command line as an ``error`` event."""
    error = events.Error(level="warning", message=message)
    fields = error.to_dict()
    del fields["type"]
    supervisor.emit(error.TYPE, **fields)


def parse_command_line(line: str) -> events.Command | str:
    """The command a stdin line holds, or the one-line reason it is refused. Internal commands
    (console -> job only) are refused like unknown ones."""
    try:
        obj: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"bad command line: {exc}"
    try:
        cmd = events.parse_command(obj) if isinstance(obj, dict) else None
    except TypeError:
        cls = events.COMMANDS[str(obj["cmd"])]
        fields = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        return f"command {obj['cmd']!r} needs: {', '.join(fields)}"
    if cmd is None or cmd.INTERNAL:
        return f"unknown command: {line[:200]}"
    return cmd


def _read_commands(stream: IO[str], supervisor: Supervisor, out: _JsonLinesOut) -> None:
    for raw in stream:
        line = raw.strip()
        if not line:
            continue
        cmd = parse_command_line(line)
        if isinstance(cmd, str):
            _warn(supervisor, cmd)
            continue
        supervisor.command(cmd.to_dict())


EXIT_NO_TURN = 3
"""Exit code when ``--timeout`` passes with no turn completed."""


def run_headless(
    config: HostConfig,
    stdin: IO[str] | None = None,
    stdout: IO[str] | None = None,
    *,
    turns_only: bool = False,
    turn_timeout: float | None = None,
) -> int:
    """Run the console without a TUI until ``quit`` or a signal. Returns the exit code.

    ``turns_only``: print only ``turn`` events. ``turn_timeout``: exit
    :data:`EXIT_NO_TURN` when that many seconds pass without a turn completing.
    """
    out = _JsonLinesOut(stdout or sys.stdout, turns_only=turns_only)
    timed_out = False
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
            if turn_timeout is not None and time.monotonic() - out.last_turn > turn_timeout:
                timed_out = True
                break
    finally:
        supervisor.stop()
        for sig, handler in previous.items():
            with contextlib.suppress(ValueError):
                signal.signal(sig, handler)
    if timed_out:
        print(f"agentconsole: no turn completed within {turn_timeout:g} s", file=sys.stderr)
        return EXIT_NO_TURN
    if supervisor.exit_code and out.last_error:
        last = out.last_error.strip().splitlines()[-1]
        print(f"agentconsole: the agent failed: {last}", file=sys.stderr)
    return supervisor.exit_code
