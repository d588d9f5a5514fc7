"""Drive the real ``agentconsole --headless`` command as a subprocess and read its events."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

Event = dict[str, Any]


class Headless:
    """One headless console process; events are collected on a reader thread."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
        self.args = [sys.executable, "-m", "agentconsole", *args, "--headless"]
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            self.args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=full_env,
            cwd=str(cwd or ROOT),
        )
        self.events: list[Event] = []
        self._new: queue.Queue[Event | None] = queue.Queue()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            ev = json.loads(line)
            with self._lock:
                self.events.append(ev)
            self._new.put(ev)
        self._new.put(None)

    def send(self, **cmd: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def of_type(self, *types: str) -> list[Event]:
        with self._lock:
            return [e for e in self.events if e["type"] in types]

    def wait_for(
        self, predicate: Callable[[Event], bool], timeout: float = 60.0, what: str = ""
    ) -> Event:
        """Return the first event (past or future) matching ``predicate``."""
        with self._lock:
            for ev in self.events:
                if predicate(ev):
                    return ev
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {what or predicate}: {self.tail()}")
            try:
                ev = self._new.get(timeout=remaining)
            except queue.Empty:
                continue
            if ev is None:
                raise AssertionError(f"console exited waiting for {what}: {self.tail()}")
            if predicate(ev):
                return ev

    def wait_after(
        self,
        mark: Event,
        predicate: Callable[[Event], bool],
        timeout: float = 60.0,
        what: str = "",
    ) -> Event:
        """Return the first event matching ``predicate`` that arrived after ``mark``.

        Arrival order, not the ``t`` stamp: two events sent in one step (a reply's
        ``agent_turn`` and the ``agent_state`` that follows it) can carry the same ``t``.
        """
        with self._lock:
            position = next(i for i, ev in enumerate(self.events) if ev is mark)
            before = {id(ev) for ev in self.events[: position + 1]}

        def arrived_later(ev: Event) -> bool:
            return id(ev) not in before and predicate(ev)

        return self.wait_for(arrived_later, timeout, what)

    def wait_type(self, type_: str, timeout: float = 60.0, **fields: Any) -> Event:
        def match(ev: Event) -> bool:
            return ev["type"] == type_ and all(ev.get(k) == v for k, v in fields.items())

        return self.wait_for(match, timeout, what=f"{type_} {fields}")

    def after(self, t: float, *types: str) -> list[Event]:
        return [e for e in self.of_type(*types) if e["t"] > t]

    def since(self, mark: Event, *types: str) -> list[Event]:
        """Events of ``types`` that arrived after ``mark`` (arrival order: events sent in one
        step can carry the same ``t``)."""
        with self._lock:
            position = next(i for i, ev in enumerate(self.events) if ev is mark)
            return [e for e in self.events[position + 1 :] if e["type"] in types]

    def say_once_listening(self, mark: Event, text: str, word: str) -> float:
        """Once the agent listens after ``mark``, make it say ``text``; return when it began
        listening (event time) after ``word`` of the text has been heard on the speaker."""
        listening = self.wait_after(
            mark,
            lambda e: e["type"] == "agent_state" and e["state"] == "listening",
            60,
            "the agent to listen",
        )
        start: float = listening["t"]
        self.send(cmd="say", text=text)
        spoken: list[str] = []

        def heard(e: Event) -> bool:
            if e["type"] == "agent_spoken" and e["t"] > start:
                spoken.append(e["delta"])
            return word in "".join(spoken)

        self.wait_for(heard, 60, f"the agent to be heard saying {word!r}")
        return start

    def tail(self, n: int = 15) -> str:
        with self._lock:
            evs = [e for e in self.events if e["type"] not in ("vad", "audio")][-n:]
        return "\n".join(json.dumps(e)[:300] for e in evs)

    def quit(self, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            try:
                self.send(cmd="quit")
            except (BrokenPipeError, OSError):
                pass
        try:
            return self.proc.wait(timeout)
        finally:
            self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass

    @property
    def stderr(self) -> str:
        assert self.proc.stderr is not None
        return self.proc.stderr.read()


def run_cli(*args: str, timeout: float = 60.0, input: str = "") -> subprocess.CompletedProcess[str]:
    """Run the CLI to completion (for bad-input cases)."""
    return subprocess.run(
        [sys.executable, "-m", "agentconsole", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
        cwd=str(ROOT),
    )
