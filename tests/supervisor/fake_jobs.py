"""A fake job process for the pool's unit tests: a coroutine that speaks the real wire.

What is fake is only the process (no ``python -m agentconsole.job``, no framework import): the
console side uses the real :class:`agentconsole.wire.Connection` over a real socketpair, and
the fake answers the way the job does (``hello``, ``job_ready`` after ``start``, exit on
``shutdown``), or misbehaves as a test asks (crash at start, die at once, ignore signals).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import signal
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agentconsole import protocol
from agentconsole.jobs import JobProcess
from agentconsole.wire import Connection, open_connection

_pids = itertools.count(90001)


@dataclass
class Behaviour:
    """How one fake job acts."""

    hello: bool = True
    """Say hello once spawned (a broken install dies instead, see ``die_at_spawn``)."""
    die_at_spawn: int | None = None
    """Exit with this code right after spawning (after writing ``stderr`` lines)."""
    crash_at_start: str | None = None
    """On ``start``: send ``job_error`` with this text and exit 1."""
    ready: bool = True
    """On ``start``: say ``job_ready`` (False: the session never starts)."""
    ignore_shutdown: bool = False
    """Do not exit on the ``shutdown`` command (the pool must escalate to signals)."""
    ignore_sigterm: bool = False
    stderr: list[str] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    """Sent as ``modules`` after ``job_ready``."""


class FakeProcess:
    """Satisfies :class:`agentconsole.jobs.JobProcess`; ends when the fake job says so."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self._pid = next(_pids)
        self._code: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.stdout: asyncio.StreamReader | None = asyncio.StreamReader()
        self.stderr: asyncio.StreamReader | None = asyncio.StreamReader()
        self.signals: list[int] = []
        self.commands: list[dict[str, Any]] = []
        self.preload: list[str] = []
        self.wire: Connection | None = None
        """The job's end of the wire (tests send events through it)."""

    @property
    def pid(self) -> int:
        return self._pid

    @property
    def returncode(self) -> int | None:
        return self._code.result() if self._code.done() else None

    async def wait(self) -> int:
        return await asyncio.shield(self._code)

    def exit(self, code: int) -> None:
        if self._code.done():
            return
        for stream in (self.stdout, self.stderr):
            assert stream is not None
            stream.feed_eof()
        self._code.set_result(code)

    def send_signal(self, sig: int, /) -> None:
        self.signals.append(sig)
        if self._code.done():
            raise ProcessLookupError
        if sig == signal.SIGKILL or not self.behaviour.ignore_sigterm:
            self.exit(-sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class FakeSpawner:
    """The injected spawn: each call starts a fake job with the next behaviour."""

    def __init__(self, *behaviours: Behaviour, default: Behaviour | None = None) -> None:
        self._queue = list(behaviours)
        self._default = default or Behaviour()
        self.spawned: list[FakeProcess] = []
        self.fail_next: OSError | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __call__(self, preload: Sequence[str]) -> tuple[JobProcess, Connection]:
        if self.fail_next is not None:
            exc, self.fail_next = self.fail_next, None
            raise exc
        behaviour = self._queue.pop(0) if self._queue else self._default
        proc = FakeProcess(behaviour)
        proc.preload = list(preload)
        self.spawned.append(proc)
        console_end, job_end = socket.socketpair()
        conn = await open_connection(console_end)
        job_conn = proc.wire = await open_connection(job_end)
        task = asyncio.get_running_loop().create_task(_run_job(proc, job_conn))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return proc, conn


async def _run_job(proc: FakeProcess, conn: Connection) -> None:
    b = proc.behaviour
    assert proc.stderr is not None
    try:
        for line in b.stderr:
            proc.stderr.feed_data(line.encode() + b"\n")
        if b.die_at_spawn is not None:
            proc.exit(b.die_at_spawn)
            return
        if b.hello:
            conn.send(protocol.event("hello", pid=proc.pid, agents_version="1.8.9", python="3"))
        frames = conn.frames()
        exited = asyncio.ensure_future(proc.wait())
        while not exited.done():
            nxt = asyncio.ensure_future(anext(frames))
            await asyncio.wait([nxt, exited], return_when=asyncio.FIRST_COMPLETED)
            if not nxt.done():
                nxt.cancel()
                break
            try:
                kind, payload = nxt.result()
            except StopAsyncIteration:  # the console closed the wire: the job exits
                proc.exit(0)
                break
            if kind != protocol.KIND_JSON:
                continue
            cmd = protocol.decode_json(payload)
            proc.commands.append(cmd)
            if cmd["cmd"] == "start":
                if b.crash_at_start is not None:
                    conn.send(protocol.event("job_error", error=b.crash_at_start, traceback=True))
                    await conn.drain()
                    proc.exit(1)
                    break
                if not b.ready:
                    continue
                conn.send(protocol.event("job_ready", pid=proc.pid, startup=0.01, phases={}))
                conn.send(protocol.event("agent_state", state="listening"))
                if b.modules:
                    conn.send(protocol.event("modules", names=b.modules))
            elif cmd["cmd"] == "shutdown" and not b.ignore_shutdown:
                proc.exit(0)
    finally:
        with contextlib.suppress(Exception):
            await conn.close()
