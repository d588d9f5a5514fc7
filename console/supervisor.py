"""The supervisor: the coordinator of the console process, on an io thread of its own.

The console process keeps everything that must survive a reload (devices, conversation,
watcher); each job process runs one agent session. The supervisor owns an asyncio loop on the
``agentconsole-io`` thread, so a slow repaint in the front end can never delay audio or the
wire. Front ends call :meth:`Supervisor.command` (thread-safe) and receive every event through
the ``on_event`` callback, called on the io thread with events stamped with ``t`` (and written
to ``events.jsonl`` when recording).

It coordinates three parts and holds no policy of its own beyond "which event goes where":

* the job pool (:mod:`agentconsole.jobs`): spawn, the warm spare, reload, retire, crashes;
  the commands for the agent reach it through :mod:`agentconsole.commands`;
* the media route (:mod:`agentconsole.media`): local audio or a LiveKit room, chosen once;
* the watcher (:mod:`agentconsole.watch`): saves -> debounced reloads.

A crashed job is not restarted until the next save or a manual reload; without watching, a
crash ends the console with exit code 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any

from . import protocol
from .aio import finish_other_tasks
from .commands import JOB_COMMANDS, JobCommands
from .config import HostConfig
from .eventlog import EventLog
from .events import CommandIssued, Error, Event, JobClock, Reload, internal_event_types
from .jobs import Job, JobPool, Spawn, process_spawner
from .media import MediaRoute, choose_route
from .midturn import PASS_WHILE_DRAINING
from .turns import TurnClock, playout_setting

__all__ = ["HostConfig", "Supervisor"]

EventSink = Callable[[protocol.Event], None]
_INTERNAL = internal_event_types()  # job -> console only: never delivered


class Supervisor:
    """Routes events, commands and reloads between the front end, the job pool and the media.

    ``spawn`` replaces how job processes are started (tests); by default they are
    ``python -m agentconsole.job`` processes.
    """

    def __init__(self, config: HostConfig, on_event: EventSink, spawn: Spawn | None = None) -> None:
        self.config = config
        self._log = EventLog(on_event, config.clock_start)
        self.turns = TurnClock(playout_setting(config.audio), origin=config.clock_start)
        """The turn timeline's console side (issue 10): job clock -> console clock, playout."""
        self._spawn = spawn or process_spawner(config.python, config.job_args, config.env)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self.finished = threading.Event()
        """Set when the console should exit (a ``quit`` command, or everything stopped)."""
        self._pool: JobPool | None = None
        self._commands = JobCommands(lambda: self._pool, config.mock_tools, self.emit)
        self._route: MediaRoute | None = None
        self.exit_code = 0

    # -- public, thread-safe ----------------------------------------------------------------

    def start(self) -> None:
        """Start the io thread, the media route and the first job. Returns once running."""
        if self.config.record_dir is not None:
            self._log.record_to(self.config.record_dir)
        self._thread = threading.Thread(target=self._run, name="agentconsole-io", daemon=True)
        self._thread.start()
        self._started.wait()

    def command(self, cmd: protocol.Event) -> None:
        """Queue a command from a front end (say, user_text, interrupt, reload, mute, quit)."""
        self._call_soon(self._handle_command, dict(cmd))

    def stop(self, timeout: float = 6.0) -> None:
        """Stop every job and the media route; wait for the io thread to end."""
        self._call_soon(self._begin_shutdown)
        if self._thread is not None:
            self._thread.join(timeout)
        if self._pool is not None:
            self._pool.kill_all_now()
        self.finished.set()

    @property
    def spare_warm(self) -> bool:
        """True when a spare job has imported the framework and waits (benchmarks, tests)."""
        return self._pool is not None and self._pool.spare_warm

    def emit(self, ev: Event | str, **fields: Any) -> None:
        """Stamp and deliver one console-side event (any thread): a typed event, or a type
        and its fields."""
        self._log.deliver(ev.to_dict() if isinstance(ev, Event) else protocol.event(ev, **fields))

    # -- RouteHost (io loop) ----------------------------------------------------------------

    def request_reload(self, reason: str) -> None:
        """Replace the active job with one running the current code."""
        asyncio.get_running_loop().create_task(self.reload([], reason))

    def fail(self, exit_code: int) -> None:
        """End the console with ``exit_code``; jobs never told to start stop at once."""
        self.exit_code = exit_code
        if self._pool is not None:
            self._pool.terminate_unstarted()
        self._begin_shutdown()

    # -- io thread --------------------------------------------------------------------------

    def _call_soon(self, fn: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(fn, *args)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        self._done: asyncio.Future[None] = loop.create_future()
        loop.call_soon(self._started.set)
        try:
            loop.run_until_complete(self._main())
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self.finished.set()

    async def _main(self) -> None:
        config = self.config
        route = self._route = choose_route(self, config.audio, config.room, config.env)
        pool = self._pool = JobPool(
            self._spawn,
            config.start_command(route.start_entry()),
            keep_spare=config.spare if config.spare is not None else config.watch,
            emit=self.emit,
            on_event=self._on_job_event,
            on_audio=route.on_job_audio,
            on_exit=self._on_job_exit,
        )
        # the route opens its devices now (before the first spawn); a room is joined while
        # the job imports the framework
        opening = asyncio.ensure_future(route.open())
        await asyncio.sleep(0)
        job = await pool.spawn()
        if job is not None and await opening:
            pool.promote(job)
            route.attach(job)
        watcher = asyncio.create_task(self._watch()) if config.watch else None
        await self._done
        await self._shutdown(opening, watcher)

    def _on_job_event(self, job: Job, ev: protocol.Event) -> None:
        assert self._pool is not None and self._route is not None
        kind = ev.get("type")
        if self._route.on_job_event(job, ev):
            return
        if job.tools.draining and kind not in PASS_WHILE_DRAINING:
            return  # a reload waits for this job's tools; its own reply (and turn) is cut anyway
        if kind == JobClock.TYPE and job is self._pool.active:
            # times on the job's clock: move them to the console's (turn, discarded speech)
            moved = self.turns.on_job_clock(ev, self.turns.now())
            if moved is not None:
                self._log.deliver(moved)
            return
        if kind in _INTERNAL or job is not self._pool.active:
            return  # a spare's hello, or a retiring job's last words: not part of the session
        self._log.deliver(ev)

    def _on_job_exit(self, job: Job, error: str | None) -> None:
        assert self._route is not None
        if self._route.after_job_exit(job, error):
            return  # e.g. room mode: could not join (fatal) or lost the room (rejoin)
        if not self.config.watch and error is not None:
            self.fail(1)  # nobody will save a fix: a crash ends the console

    async def reload(self, files: list[str], reason: str) -> None:
        """Replace the active job with one running the current code."""
        pool, route = self._pool, self._route
        if pool is None or route is None or pool.stopping:
            return
        job = await pool.reload_after_tools(Reload(files=files, reason=reason))
        if job is not None:
            route.attach(job)

    # -- commands -------------------------------------------------------------------------

    def _handle_command(self, cmd: protocol.Event) -> None:
        name = cmd.get("cmd")
        if name in ("say", "user_text", "interrupt", "mute", "mock_tool"):
            # the user's side of the conversation, in events.jsonl for session.json (replay)
            self.emit(CommandIssued(cmd=name, args={k: v for k, v in cmd.items() if k != "cmd"}))
        if name == "quit":
            self._begin_shutdown()
        elif name == "reload":
            self.request_reload("manual")
        elif name == "mute":
            if self._route is not None:
                self._route.mute(bool(cmd.get("on", True)))
        elif name in JOB_COMMANDS:
            self._commands.handle(cmd)
        else:
            self.emit(Error(level="warning", message=f"unknown command: {name!r}"))

    async def _watch(self) -> None:
        from .watch import debounce, watch_changes

        paths = [self.config.agent_file.parent, *self.config.watch_paths]
        ignore = [self.config.record_dir] if self.config.record_dir else []
        try:
            reads = self._pool.reads if self._pool is not None else set()
            changes = watch_changes(paths, stop=self._done, ignore=ignore, reads=reads)
            async for files in debounce(changes):
                await self.reload(files, "file")
        except Exception as exc:  # watching is best effort, say why it stopped
            self.emit(Error(level="error", message=f"file watching stopped: {exc}"))

    # -- shutdown -------------------------------------------------------------------------

    def _begin_shutdown(self) -> None:
        if not self._done.done():
            self._done.set_result(None)

    async def _shutdown(
        self, opening: asyncio.Future[bool], watcher: asyncio.Task[None] | None
    ) -> None:
        if watcher is not None:
            watcher.cancel()
        if self._pool is not None:
            await self._pool.stop()
        if self._route is not None:
            await asyncio.wait([opening], timeout=1.0)  # a room join still going: bounded
            opening.cancel()
            with contextlib.suppress(Exception):
                await self._route.aclose()
        # each job's reader, pipes and waiter end with its process; the rest is cancelled
        await finish_other_tasks(timeout=1.0)
        self._log.close()
        self.finished.set()
