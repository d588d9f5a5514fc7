"""The job pool: job processes, the warm spare, reloads, retiring, and the crash policy.

Runs on the supervisor's io loop. One job is *active* (its session is the one the user sees);
with watching on, a *spare* has imported the framework and waits for ``start``, so a reload
costs only the user's import and entrypoint. A retired job is asked to shut down over the wire,
then gets SIGTERM, then SIGKILL; it runs in parallel with the next job's start.

Crash policy: the pool never starts a job by itself. An active job that exits is reported
(``job_exited``, with the traceback it sent or the signal) and nothing restarts until
:meth:`JobPool.reload` (a save, or a manual reload). A spare that dies is reported and not
replaced until the next active job is ready, so a broken environment cannot spawn in a loop.

How a process is started is injected (:data:`Spawn`): :func:`process_spawner` runs
``python -m agentconsole.job``; tests pass a fake that speaks the wire from a coroutine.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import os
import signal
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from . import protocol
from .events import Error, Event, JobExited, JobStarted, Log, Shutdown, Start
from .midturn import TOOL_GRACE, ToolWatch, let_tools_finish
from .wire import Connection, open_connection

__all__ = [
    "KILL_GRACE",
    "STOP_GRACE",
    "Job",
    "JobPool",
    "JobProcess",
    "Spawn",
    "process_spawner",
]

STOP_GRACE = 2.0
"""Seconds a retired job gets to close its session before SIGTERM."""
KILL_GRACE = 1.0
"""Then seconds before SIGKILL."""


class JobProcess(Protocol):
    """What the pool needs of a job process (``asyncio.subprocess.Process`` is one)."""

    stdout: asyncio.StreamReader | None
    stderr: asyncio.StreamReader | None

    @property
    def pid(self) -> int:
        """The process id."""

    @property
    def returncode(self) -> int | None:
        """The exit code once the process has ended, else None."""

    async def wait(self) -> int:
        """Wait for the process to end; its exit code (negative: killed by that signal)."""

    def send_signal(self, sig: int, /) -> None:
        """Send a signal."""

    def terminate(self) -> None:
        """SIGTERM."""

    def kill(self) -> None:
        """SIGKILL."""


Spawn = Callable[[Sequence[str]], Awaitable[tuple[JobProcess, Connection]]]
"""Start one job process importing the given modules ahead; its process and the console's
end of the wire. Raises ``OSError`` when no process could be started."""


def process_spawner(python: str, job_args: Sequence[str], env: dict[str, str]) -> Spawn:
    """The real spawn: ``python -m agentconsole.job --fd N`` over a socketpair.

    ``env`` is added to this process's environment (room credentials travel there, never in
    argv); ``job_args`` are appended to the command line.
    """

    async def spawn(preload: Sequence[str]) -> tuple[JobProcess, Connection]:
        parent, child = socket.socketpair()
        full_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        args = [python, "-m", "agentconsole.job", "--fd", str(child.fileno())]
        if preload:
            args += ["--preload", ",".join(preload)]
        args += job_args
        try:
            proc = await asyncio.create_subprocess_exec(
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                pass_fds=(child.fileno(),),
                start_new_session=True,
                env=full_env,
            )
        except OSError:
            parent.close()
            raise
        finally:
            child.close()
        return proc, await open_connection(parent)

    return spawn


class Job:
    """One job process and the console's end of its wire."""

    def __init__(self, proc: JobProcess, conn: Connection) -> None:
        self.proc = proc
        self.conn = conn
        self.pid = proc.pid
        self.hello: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.error: str | None = None
        """The error the job reported (``job_error``) before exiting."""
        self.started = False
        """Told to ``start`` (it has a session to close)."""
        self.ready = False
        self.retired = False
        self.tasks: list[asyncio.Task[Any]] = []
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        """The job's last stderr lines: the reason when it dies without a word on the wire."""
        self.tools = ToolWatch()
        """Tools running in this job (a reload lets them finish first: docs/reload.md)."""
        self.blocked = asyncio.Event()
        """The job's loop is blocked right now (its watchdog says so): it cannot answer."""


JobEvents = Callable[[Job, protocol.Event], None]
JobAudio = Callable[[Job, bytes], None]
JobExit = Callable[[Job, "str | None"], None]


class JobPool:
    """Spawns, starts, replaces and stops job processes (io loop only).

    Callbacks: ``on_event(job, ev)`` for every event of every job (but ``reads``, kept in
    :attr:`reads`), after the pool's own bookkeeping (hello, ready, error, history, modules,
    running tools); ``on_audio(job, pcm)`` for agent audio of the active job;
    ``on_exit(job, error)`` when the active job has ended (after its ``job_exited``), unless the
    pool is stopping; ``emit(ev)`` for the pool's own events.
    """

    def __init__(
        self,
        spawn: Spawn,
        start: Start,
        *,
        keep_spare: bool,
        emit: Callable[[Event], None],
        on_event: JobEvents,
        on_audio: JobAudio,
        on_exit: JobExit,
    ) -> None:
        self._spawn_process = spawn
        self._start = start
        self._keep_spare = keep_spare
        self._emit = emit
        self._on_event = on_event
        self._on_audio = on_audio
        self._on_exit = on_exit
        self.active: Job | None = None
        self.spare: Job | None = None
        self.jobs: set[Job] = set()
        """Every job process still running (active, spare, retiring)."""
        self.history: dict[str, Any] | None = None
        """The active session's chat context, carried to the next job."""
        self.settings: dict[str, Any] = dict(start.settings or {})
        """Live-settings overrides, sent with every ``start`` so they outlive a reload."""
        self.preload: list[str] = []
        """Modules the next job imports ahead (the active job's ``modules`` report)."""
        self.stopping = False
        self._spawning: asyncio.Task[None] | None = None
        self.answer_pending = True
        """Whether the next job answers a turn left pending (false after a cut tool)."""
        self.reads: set[str] = set()
        """Files the agent's jobs opened for reading (the watch filter reloads on them)."""
        self._reload_lock = asyncio.Lock()  # one at a time: a reload may wait for a tool

    @property
    def spare_warm(self) -> bool:
        """True when a spare job has imported the framework and waits."""
        spare = self.spare
        return spare is not None and spare.hello.done()

    async def spawn(self) -> Job | None:
        """Start one job process (not yet told to start). None, after reporting, on failure."""
        try:
            proc, conn = await self._spawn_process(list(self.preload))
        except OSError as exc:
            self._emit(Error(level="error", message=f"cannot start the job process: {exc}"))
            return None
        job = Job(proc, conn)
        self.jobs.add(job)
        job.tasks = [
            asyncio.create_task(self._read(job)),
            asyncio.create_task(self._pipe(job, proc.stdout, "stdout", "info")),
            asyncio.create_task(self._pipe(job, proc.stderr, "stderr", "warning")),
            asyncio.create_task(self._wait(job)),
        ]
        return job

    def set_mock(self, mocks: dict[str, Any], cmd: protocol.Event) -> None:
        """Keep a live ``mock_tool`` in ``mocks`` for the jobs a reload starts."""
        if cmd.get("clear"):
            mocks.pop(str(cmd.get("name")), None)
        else:
            mocks[str(cmd.get("name"))] = cmd.get("output")
        self.update_start(mock_tools=dict(mocks) or None)

    def update_start(self, **fields: Any) -> None:
        """Change the ``start`` the next promoted job gets (e.g. live tool mocks)."""
        self._start = dataclasses.replace(self._start, **fields)

    def promote(self, job: Job) -> None:
        """Make ``job`` the active one and tell it to load the agent (with the history)."""
        self.active = job
        job.started = True
        start = dataclasses.replace(
            self._start,
            history=self.history,
            settings=dict(self.settings),
            answer_pending=self.answer_pending,
        )
        job.conn.send(start.to_dict())
        self._emit(JobStarted(pid=job.pid))

    async def reload_after_tools(self, announce: Event) -> Job | None:
        """A reload asked for by the user or a save: ``announce`` it, let the running tools
        finish (:meth:`settle_tools`), then :meth:`reload`. One at a time; None if stopping."""
        async with self._reload_lock:
            if self.stopping:
                return None
            self._emit(announce)
            await self.settle_tools()
            return None if self.stopping else await self.reload()

    async def settle_tools(self) -> None:
        """Before a reload: let the active job's running tools finish (docs/reload.md). A tool
        still running after ``TOOL_GRACE`` is cut: its call is not in the history, so the next
        job must not answer (and call it) again; the user's message stays, unanswered."""
        self.answer_pending = True
        job = self.active
        if job is not None and not await let_tools_finish(job.tools):
            self.answer_pending = False
            message = f"reload: a tool still ran after {TOOL_GRACE:.0f} s; it was cut"
            self._emit(Log(level="warning", logger="agentconsole", message=message))

    async def reload(self) -> Job | None:
        """Retire the active job and start the spare (or a fresh job) in its place."""
        old, self.active = self.active, None
        if old is not None:
            self.retire(old)
        job, self.spare = self.spare, None
        if job is None or job.proc.returncode is not None:
            job = await self.spawn()
        if job is not None:
            self.promote(job)
        return job

    def ensure_spare(self) -> None:
        """Spawn a spare in the background if one is wanted and none exists."""
        if not self._keep_spare or self.spare is not None or self.stopping:
            return
        if self._spawning is None or self._spawning.done():
            self._spawning = asyncio.get_running_loop().create_task(self._make_spare())

    async def _make_spare(self) -> None:
        job = await self.spawn()
        if job is None:
            return
        if self.stopping:
            self.retire(job)
            return
        self.spare = job

    def retire(self, job: Job) -> None:
        """Stop a job: ask over the wire, then SIGTERM, then SIGKILL."""
        if job.retired:
            return
        job.retired = True
        job.conn.send(Shutdown().to_dict())
        asyncio.get_running_loop().create_task(self._escalate(job))

    async def _escalate(self, job: Job) -> None:
        # a job whose loop is blocked cannot close its session: do not wait for it
        blocked = asyncio.ensure_future(job.blocked.wait())
        exited = asyncio.ensure_future(job.proc.wait())
        await asyncio.wait([blocked, exited], timeout=STOP_GRACE, return_when="FIRST_COMPLETED")
        blocked.cancel()
        if exited.done():
            return
        if job.blocked.is_set():
            with contextlib.suppress(ProcessLookupError):
                job.proc.kill()
            await exited
            return
        with contextlib.suppress(ProcessLookupError):
            job.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.shield(exited), timeout=KILL_GRACE)
            return
        except asyncio.TimeoutError:
            pass
        with contextlib.suppress(ProcessLookupError):
            job.proc.kill()

    def terminate_unstarted(self) -> None:
        """SIGTERM every job never told to start: it has no session to close, no grace."""
        for job in list(self.jobs):
            if not job.started:
                with contextlib.suppress(ProcessLookupError):
                    job.proc.terminate()

    async def stop(self) -> None:
        """Retire every job and wait (bounded) for them to exit. No job starts after this."""
        self.stopping = True
        if self._spawning is not None:  # a spare being spawned joins the jobs to stop
            with contextlib.suppress(Exception):
                await self._spawning
        jobs = list(self.jobs)
        for job in jobs:
            self.retire(job)
        if jobs:
            await asyncio.wait(
                [asyncio.create_task(job.proc.wait()) for job in jobs],
                timeout=STOP_GRACE + KILL_GRACE + 0.5,
            )

    def kill_all_now(self) -> None:
        """Last resort on exit (any thread): no job may outlive the console."""
        for job in list(self.jobs):
            with contextlib.suppress(ProcessLookupError, OSError):
                os.kill(job.pid, signal.SIGKILL)

    # -- per job tasks ----------------------------------------------------------------------

    async def _read(self, job: Job) -> None:
        try:
            async for kind, payload in job.conn.frames():
                if kind == protocol.KIND_PLAY:
                    if job is self.active:
                        self._on_audio(job, payload)
                elif kind == protocol.KIND_JSON:
                    self._on_job_event(job, protocol.decode_json(payload))
        except protocol.ProtocolError as exc:
            self._emit(Error(level="error", message=f"job {job.pid}: {exc}"))

    def _on_job_event(self, job: Job, ev: protocol.Event) -> None:
        kind = ev.get("type")
        if kind == "reads":  # files the agent read: saving one reloads it
            self.reads.update(os.path.realpath(str(p)) for p in ev.get("paths") or [])
            return
        job.tools.on_event(ev)
        if kind == "loop_blocked":  # the job's watchdog: blocked now, or not any more
            if ev.get("ongoing"):
                job.blocked.set()
            else:
                job.blocked.clear()
        if kind == "hello" and not job.hello.done():
            job.hello.set_result(ev)
        elif kind == "job_error":
            job.error = str(ev.get("error"))
        elif kind == "modules":
            self.preload = [str(n) for n in ev.get("names", [])]
        elif kind == "history" and job is self.active:
            self.history = ev.get("chat_ctx")
        elif kind == "job_ready" and job is self.active:
            job.ready = True
        self._on_event(job, ev)
        if kind == "job_ready" and job is self.active:
            # not before: two framework imports at once on two cores slow the first start
            self.ensure_spare()

    async def _pipe(
        self, job: Job, stream: asyncio.StreamReader | None, name: str, level: str
    ) -> None:
        if stream is None:
            return
        while line := await stream.readline():
            text = line.decode(errors="replace").rstrip()
            if name == "stderr" and text:
                job.stderr_tail.append(text)
            if text and not job.retired and job is not self.spare:
                self._emit(Log(level=level, logger=name, message=text, pid=job.pid))

    async def _wait(self, job: Job) -> None:
        code = await job.proc.wait()
        # let the wire reader (its job_error) and the stderr pipe (its last words) finish
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(
                asyncio.shield(asyncio.gather(job.tasks[0], job.tasks[2])), timeout=2.0
            )
        self.jobs.discard(job)
        await job.conn.close()
        if job is self.spare:
            self.spare = None
            if not self.stopping:
                message = f"the spare job exited ({code}): {job.error or 'no error text'}"
                self._emit(Log(level="error", logger="agentconsole", message=message))
            return
        if job is not self.active:
            return
        self.active = None
        error = job.error
        if error is None and code not in (0, None) and not self.stopping:
            error = exit_text(code)
            if job.stderr_tail:  # e.g. Python's own traceback when the job died early
                error += ":\n" + "\n".join(job.stderr_tail)
        self._emit(JobExited(pid=job.pid, code=code, error=error))
        if not self.stopping:
            self._on_exit(job, error)


def exit_text(code: int) -> str:
    """A job's exit code in words."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"the job was killed by {signal.Signals(-code).name}"
    return f"the job exited with code {code}"
