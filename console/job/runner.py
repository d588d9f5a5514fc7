"""The job process: load the user's agent file unmodified and run its entrypoint, no server.

Lifecycle (one job process runs one agent session, then exits):

1. Started by the console's supervisor with one end of a socketpair (``--fd``). Imports
   livekit-agents and the plugins the previous job used, checks the framework version, says
   ``hello``. A spare job waits here, warm, until the console sends ``start``.
2. ``start``: run the agent file as ``__main__`` with ``cli.run_app`` intercepted, find the
   entrypoint (``WorkerOptions`` or ``AgentServer`` style), run prewarm, then the entrypoint
   with a mock room. ``AgentSession.start()`` asks our console singleton for IO: the bridge
   attaches the wire audio and the taps. ``job_ready`` once the session has started.
3. Commands (say, user_text, interrupt, playout, shutdown) until shutdown, ``ctx.shutdown()``,
   or the console going away (EOF on the socket). Then the session is closed, the user's
   shutdown callbacks run, and the process exits.

A failure in the user's code is sent as ``job_error`` (traceback text) before exiting non-zero;
the console turns it into ``job_exited`` with ``error``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import runpy
import signal
import socket
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from .. import events as ev_
from .. import protocol
from ..wire import Connection, open_connection
from . import inline

__all__ = ["main"]

EXIT_OK = 0
EXIT_USER_ERROR = 1
EXIT_FRAMEWORK = 3
EXIT_ROOM = 4  # room-connect mode: could not join the room, or lost it

_SESSION_CLOSE_TIMEOUT = 3.0
# AgentSession.aclose() commits a pending user turn and waits up to 2 s for its transcript;
# the console is leaving (or reloading, and the history is already with the console), so the
# session gets a short grace and the user's shutdown callbacks get the full timeout.
_SESSION_ACLOSE_GRACE = 0.5


class _WireLogHandler(logging.Handler):
    """Forwards log records to the console as ``log`` events."""

    def __init__(self, send: Any) -> None:
        super().__init__()
        self._send = send

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info:
                message += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
            self._send(ev_.Log(level=record.levelname.lower(), logger=record.name, message=message))
        except Exception:  # logging must never raise
            self.handleError(record)


def _set_parent_death_signal() -> None:
    """Ask Linux to kill this process if the console dies, even by SIGKILL."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


class JobRunner:
    """Runs one agent session in this process, driven over the wire."""

    def __init__(
        self,
        conn: Connection,
        *,
        block_threshold: float | None = None,
        tool_threshold: float | None = None,
    ) -> None:
        self._conn = conn
        self._block_threshold = block_threshold
        self._tool_threshold = tool_threshold
        self._watchdog: Any = None  # .watchdog.LoopWatchdog, from the entrypoint on
        self._tools: Any = None  # .stuck.ToolWatch
        self._errors: Any = None  # .errors.SwallowedErrors
        self._loop_thread = threading.get_ident()
        self._bridge: Any = None
        self._ctx: Any = None
        self._shutdown = asyncio.Event()
        self._shutdown_reason = "console request"
        self._start_cmd: asyncio.Future[ev_.Start] = asyncio.get_running_loop().create_future()
        self._exit_code = EXIT_OK
        self._ready_sent = False
        self._host: Any = None  # a hosts.SessionHost: local (mock room) or a LiveKit room
        self._mocks: dict[str, Any] = {}  # --mock-tool / mock_tool: name -> returned value
        self._agent_type: type | None = None
        self._settings: Any = None  # live settings (issue 15): .settings.LiveSettings
        self._early_settings: list[ev_.Set | ev_.Reset] = []  # set/reset before _run_agent began
        self._shapes: Any = None  # agentconsole.job.shapes.Shapes: modes, agents, speech

    def send(self, event: ev_.Event) -> None:
        """Send one event to the console."""
        self._conn.send(event.to_dict())

    def emit(self, type_: str, **fields: Any) -> None:
        """Send one event given by type and fields (for callers that name events by type, such
        as room mode's ``AgentRoom``); built through its class, so the fields are checked."""
        self.send(ev_.EVENTS[type_](**fields))

    def _log(self, message: str, level: str = "info") -> None:
        self.send(ev_.Log(level=level, logger="agentconsole", message=message))

    def send_any_thread(self, ev: protocol.Event) -> None:
        """Send one event dict from the loop's thread or any other."""
        if threading.get_ident() == self._loop_thread:
            self._conn.send(ev)
        else:
            self._conn.send_from_thread(ev)

    # -- wire -----------------------------------------------------------------------------

    async def read_loop(self) -> None:
        """Dispatch frames from the console until it goes away."""
        try:
            async for kind, payload in self._conn.frames():
                if kind == protocol.KIND_MIC:
                    if self._bridge is not None and self._bridge.audio_input is not None:
                        self._bridge.audio_input.push(payload)
                elif kind == protocol.KIND_JSON:
                    self._on_command(protocol.decode_json(payload))
        except protocol.ProtocolError as exc:
            self._log(str(exc), "error")
        # the console is gone (or sent garbage): nobody is listening, stop
        self.request_shutdown("console went away")

    def _on_command(self, obj: protocol.Event) -> None:
        try:
            cmd = ev_.parse_command(obj)
        except TypeError as exc:  # a field is missing: say so, keep going
            self.send(ev_.Error(level="warning", message=f"bad command {obj.get('cmd')!r}: {exc}"))
            return
        if isinstance(cmd, ev_.Start):
            if not self._start_cmd.done():
                self._start_cmd.set_result(cmd)
        elif isinstance(cmd, ev_.Shutdown | ev_.Quit):
            self.request_shutdown("console request")
        elif isinstance(cmd, ev_.Playout):
            output = None if self._bridge is None else self._bridge.audio_output
            if output is not None:
                output.report_playout(int(cmd.segment), float(cmd.played), bool(cmd.interrupted))
        elif isinstance(cmd, ev_.Say | ev_.UserText | ev_.Interrupt | ev_.ModeCmd):
            self._session_command(cmd)
        elif isinstance(cmd, ev_.MockTool):
            if cmd.clear:
                self._mocks.pop(cmd.name, None)
            else:
                self._mocks[cmd.name] = cmd.output
            self._apply_mocks()
        elif isinstance(cmd, ev_.Set | ev_.Reset):
            self._settings_command(cmd)
        elif isinstance(cmd, ev_.CancelTool):
            self._cancel_tool(str(cmd.call_id))

    def _apply_mocks(self) -> None:
        """Hand the mock set to the framework (``mock_tools(..., session=...)``)."""
        from . import framework

        session = None if self._bridge is None else self._bridge.session
        if session is None or self._agent_type is None:
            return  # applied once the session has started
        try:  # the current agent (after a handoff, not the first one)
            agent_type: type = type(session.current_agent)
        except RuntimeError:
            agent_type = self._agent_type
        if framework.set_tool_mocks(session, agent_type, self._mocks):
            self._bridge.mocked = set(self._mocks)
        elif self._mocks:
            message = "mock tools: this livekit-agents has no mock_tools(..., session=...)"
            self.send(ev_.Error(level="warning", message=message))

    def _settings_command(self, cmd: ev_.Set | ev_.Reset) -> None:
        if self._settings is None:  # start is read, the agent not begun: keep it for then
            self._early_settings.append(cmd)
            return
        if isinstance(cmd, ev_.Set):
            self._settings.set(str(cmd.name), cmd.value)
        else:
            self._settings.reset(None if cmd.name is None else str(cmd.name))

    def _cancel_tool(self, call_id: str) -> None:
        if self._tools is None or not self._tools.cancel(call_id):
            message = f"cancel_tool: no running tool call {call_id!r}"
            self.send(ev_.Error(level="warning", message=message))

    def _session_command(self, cmd: ev_.Say | ev_.UserText | ev_.Interrupt | ev_.ModeCmd) -> None:
        session = None if self._bridge is None else self._bridge.session
        name = cmd.CMD
        if session is None:
            self.send(ev_.Error(level="warning", message=f"{name}: the agent is not ready"))
            return
        try:
            if isinstance(cmd, ev_.Say):
                session.say(str(cmd.text))
            elif isinstance(cmd, ev_.UserText):
                text = str(cmd.text)
                self.send(ev_.UserTranscript(text=text, final=True, source="text"))
                self._interrupt(session)
                session.generate_reply(user_input=text)
            elif isinstance(cmd, ev_.ModeCmd):
                if self._shapes is not None:
                    self._shapes.modes.set(session, bool(cmd.text))
            else:
                if self._shapes is not None:
                    self._shapes.speech.before_forced_interrupt()
                self._interrupt(session)
        except Exception as exc:  # report, keep the job alive
            self.send(ev_.Error(level="error", message=f"{name}: {type(exc).__name__}: {exc}"))

    @staticmethod
    def _interrupt(session: Any) -> None:
        try:
            fut = session.interrupt(force=True)
        except TypeError:  # livekit-agents without force=
            fut = session.interrupt()
        except RuntimeError:
            return
        if isinstance(fut, asyncio.Future):
            fut.add_done_callback(lambda f: f.cancelled() or f.exception())

    def request_shutdown(self, reason: str) -> None:
        """Stop the session and exit (idempotent)."""
        if not self._shutdown.is_set():
            self._shutdown_reason = reason
            self._shutdown.set()

    # -- the job --------------------------------------------------------------------------

    async def run(self, preload: list[str]) -> int:
        """Warm up, wait for ``start``, run the agent until shutdown. Returns the exit code."""
        reader = asyncio.create_task(self.read_loop(), name="agentconsole-read")
        try:
            from . import framework

            version = framework.check_version()
            for name in preload:
                with contextlib.suppress(Exception):
                    importlib.import_module(name)
            # the mock room is an autospec of rtc.Room (~0.2 s to build, cached): build it
            # while the job is still a spare, not on the reload's critical path
            framework.create_mock_room()
            framework.warm_up()  # off the session's loop: see framework.warm_up
        except Exception as exc:  # UnsupportedFramework or a broken install
            self.send(ev_.JobError(error=f"{type(exc).__name__}: {exc}", traceback=False))
            await self._conn.drain()
            return EXIT_FRAMEWORK

        self.send(ev_.Hello(pid=os.getpid(), agents_version=version, python=sys.version.split()[0]))
        waiter: asyncio.Future[Any] = asyncio.ensure_future(self._shutdown.wait())
        await asyncio.wait([self._start_cmd, waiter], return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if not self._start_cmd.done():
            reader.cancel()
            return EXIT_OK

        code = await self._run_agent(self._start_cmd.result())
        reader.cancel()
        await self._conn.drain()
        return code

    async def _run_agent(self, start: ev_.Start) -> int:
        from . import framework
        from .bridge import SessionBridge
        from .hosts import RoomHostError, choose_host
        from .vad_rate import VadRate

        started = time.monotonic()
        phases: dict[str, float] = {}
        self._install_logging(str(start.log_level))
        history = start.history
        # room-connect mode when the start command has {"name", "url", "identity"}
        host = self._host = choose_host(
            start.room, self.emit, self._on_room_failed, deployment=start.deployment
        )
        from .shapes import Shapes

        self._shapes = shapes = Shapes(
            self.send,
            lambda: None if self._bridge is None else self._bridge.session,
            history=history,
            answer_pending=bool(start.answer_pending),
        )
        shapes.install()

        self._mocks = dict(start.mock_tools or {})

        async def before_start(session: Any, agent: Any) -> None:
            self._agent_type = type(agent)
            shapes.before_start(session)
            if self._settings is not None:
                self._settings.bind(session, agent)  # the code's values, then the overrides
            if self._bridge is not None:
                host.before_start(self._bridge, session)
            if history:
                carried = await framework.seed_history(session, agent, history)
                if carried:
                    self._log(f"conversation carried over: {carried} items")

        async def after_start(session: Any) -> None:
            if self._mocks:
                self._apply_mocks()
            if self._bridge is not None:
                host.after_start(self._bridge, session)
            shapes.after_start(session)
            if not self._ready_sent:
                self._ready_sent = True
                now = time.monotonic()
                phases["session"] = round(now - started - sum(phases.values()), 4)
                self.send(
                    ev_.JobReady(pid=os.getpid(), startup=round(now - started, 4), phases=phases)
                )
                if self._bridge is not None:
                    self._bridge.emit_history()
                if self._settings is not None:
                    self._settings.emit_settings()
                # what the next spare should import: after ready, off the critical path, and
                # off the loop (a realpath per module: ~0.1 s the session would stall for)
                folder = Path(start.agent_file).parent
                modules = list(sys.modules.items())
                loop = asyncio.get_running_loop()
                found = loop.run_in_executor(None, _preloadable_modules, folder, modules)
                found.add_done_callback(self._send_modules)

        self._bridge = SessionBridge(self._conn, self.send)
        from .settings import LiveSettings

        self._settings = LiveSettings(self.emit, start.settings or {})
        for early in self._early_settings:
            self._settings_command(early)
        self._early_settings.clear()
        # in a room, AgentSession.start must use RoomIO on the real room, not the console's IO
        self._bridge.enabled = host.bridge_io
        framework.install_console(self._bridge)
        bridge = self._bridge
        vad_rate = VadRate()

        def on_vad(p: float | None, speaking: bool) -> None:
            if vad_rate.should_send(p, speaking):  # fewer events in plain silence
                self.send(ev_.Vad(probability=p, speaking=speaking))
            bridge.timeline.on_vad(speaking)

        framework.tap_vad(on_vad)
        bridge.install_taps()
        framework.tap_session_start(before_start, after_start)

        try:
            entry = self._load_agent_file(Path(start.agent_file))
            phases["load"] = round(time.monotonic() - started, 4)
            proc = framework.make_job_process()
            if entry.setup is not None:
                entry.setup(proc)
            phases["prewarm"] = round(time.monotonic() - started - phases["load"], 4)
        except framework.AgentFileError as exc:
            return await self._fail(str(exc), traceback_text=False)
        except BaseException:  # the user's import or prewarm failed
            return await self._fail(_user_traceback())

        try:
            self._ctx = host.make_context(proc, on_shutdown=self.request_shutdown)
        except RoomHostError as exc:
            return await self._fail(str(exc), traceback_text=False)
        self._start_watch(Path(start.agent_file).parent)
        entry_task = asyncio.create_task(entry.entrypoint(self._ctx), name="user-entrypoint")
        entry_task.add_done_callback(self._on_entrypoint_done)
        await self._shutdown.wait()

        await self._close_session(entry_task, entry.session_end)
        return self._exit_code

    def _send_modules(self, found: asyncio.Future[list[str]]) -> None:
        if not found.cancelled() and found.exception() is None:
            self.send(ev_.Modules(names=found.result()))

    def _start_watch(self, folder: Path) -> None:
        """From the entrypoint on, the agent's own mistakes are reported: a blocked loop,
        swallowed errors, stuck tools. (Loading the file and prewarm block by nature.)"""
        from .errors import SwallowedErrors
        from .stuck import DEFAULT_TOOL_THRESHOLD, ToolWatch
        from .watchdog import DEFAULT_THRESHOLD, LoopWatchdog

        root = str(folder)
        self._errors = SwallowedErrors(self.send_any_thread, root)
        self._errors.install(asyncio.get_running_loop())
        block = DEFAULT_THRESHOLD if self._block_threshold is None else self._block_threshold
        if block > 0:
            self._watchdog = LoopWatchdog(self._conn.send_from_thread, root, threshold=block)
            self._watchdog.start()
        tool = DEFAULT_TOOL_THRESHOLD if self._tool_threshold is None else self._tool_threshold
        if tool > 0:
            bridge = self._bridge
            self._tools = ToolWatch(
                self._conn.send,
                root,
                threshold=tool,
                started_at=lambda call_id: (
                    None if bridge is None else bridge.tool_started_at(call_id)
                ),
            )
            self._tools.start()

    def _stop_watch(self) -> None:
        if self._watchdog is not None:
            self._watchdog.stop()
        if self._tools is not None:
            self._tools.stop()
        if self._errors is not None:
            self._errors.uninstall()

    def _on_entrypoint_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None and self._host is not None and self._host.failed:
            return  # already reported in one line (e.g. by _on_room_failed)
        if exc is not None:
            tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            self.send(ev_.JobError(error=_trim_traceback(tb), traceback=True))
            self._exit_code = EXIT_USER_ERROR
            self.request_shutdown("entrypoint failed")
        elif self._bridge is None or self._bridge.session is None:
            self._log("the entrypoint returned without starting an AgentSession", "warning")

    def _on_room_failed(self, message: str) -> None:
        """Room-connect mode: the room could not be joined, or was lost. One line, then exit."""
        if self._exit_code == EXIT_OK:
            self.send(ev_.JobError(error=message, traceback=False, room=True))
            self._exit_code = EXIT_ROOM
        self.request_shutdown("room connection failed")

    async def _close_session(self, entry_task: asyncio.Task[None], session_end: Any) -> None:
        from . import framework

        self._stop_watch()  # the teardown's stalls are not the agent's doing
        if not entry_task.done():
            entry_task.cancel()
            with contextlib.suppress(BaseException):
                await entry_task
        session = None if self._bridge is None else self._bridge.session
        if session is not None:
            framework.skip_close_transcript_wait(session)
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(session.aclose(), timeout=_SESSION_ACLOSE_GRACE)
        if session_end is not None and self._ctx is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(session_end(self._ctx), timeout=_SESSION_CLOSE_TIMEOUT)
        if self._ctx is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(
                    framework.run_shutdown_callbacks(self._ctx, self._shutdown_reason),
                    timeout=_SESSION_CLOSE_TIMEOUT,
                )
        if self._host is not None:  # room-connect mode: leave the room
            await self._host.aclose()

    def _load_agent_file(self, path: Path) -> Any:
        from . import framework

        captured: list[Any] = []
        framework.intercept_run_app(captured)
        sys.path.insert(0, str(path.parent))
        sys.argv = [str(path)]
        namespace = runpy.run_path(str(path), run_name="__main__")
        return framework.resolve_entrypoints(captured, namespace)

    async def _fail(self, error: str, *, traceback_text: bool = True) -> int:
        self.send(ev_.JobError(error=error, traceback=traceback_text))
        await self._conn.drain()
        return EXIT_USER_ERROR

    def _install_logging(self, level: str) -> None:
        root = logging.getLogger()
        for handler in list(root.handlers):
            root.removeHandler(handler)
        root.addHandler(_WireLogHandler(self.send))
        root.setLevel(getattr(logging, level.upper(), logging.INFO))
        logging.captureWarnings(True)


def _preloadable_modules(agent_dir: Path, modules: list[tuple[str, Any]]) -> list[str]:
    """Modules a spare job can import ahead of time: plugins and third-party packages the
    agent pulled in, never the user's own code (anything under the agent's folder).
    ``modules``: a snapshot of ``sys.modules`` (this runs on a worker thread)."""
    root = os.path.realpath(agent_dir) + os.sep
    names: list[str] = []
    for name, module in modules:
        wanted = (
            "." not in name
            or (name.startswith("livekit.plugins.") and name.count(".") == 2)
            or (name.startswith("agentconsole.offline.") and name.count(".") == 2)
        )
        path = getattr(module, "__file__", None)
        if not wanted or not path or name == "__main__" or name.startswith("_"):
            continue
        if not os.path.realpath(path).startswith(root):
            names.append(name)
    return names


def _user_traceback() -> str:
    """The current exception's traceback, without the runner's own frames."""
    exc_type, exc, tb = sys.exc_info()
    assert exc_type is not None and exc is not None
    if isinstance(exc, SyntaxError):
        return "".join(traceback.format_exception_only(exc_type, exc)).rstrip()
    return _trim_traceback("".join(traceback.format_exception(exc_type, exc, tb)))


def _trim_traceback(text: str) -> str:
    """Drop the frames of agentconsole and runpy that precede the user's own code."""
    lines = text.rstrip().splitlines()
    keep: list[str] = lines[:1]
    skipping = False
    for line in lines[1:]:
        if line.startswith('  File "'):
            skipping = "/agentconsole/" in line or "/console/job/" in line or "runpy.py" in line
        if not skipping:
            keep.append(line)
    return "\n".join(keep)


async def _amain(fd: int, preload: list[str], options: Any) -> int:
    sock = socket.socket(fileno=fd)
    conn = await open_connection(sock)
    runner = JobRunner(
        conn, block_threshold=options.block_threshold, tool_threshold=options.tool_threshold
    )
    try:
        return await runner.run(preload)
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m agentconsole.job --fd N [--preload mod,mod]
    [--block-threshold S] [--tool-threshold S]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="agentconsole.job")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--preload", default="")
    # seconds; 0 turns the watch off (defaults: watchdog.DEFAULT_THRESHOLD, stuck.DEFAULT_...)
    parser.add_argument("--block-threshold", type=float, default=None)
    parser.add_argument("--tool-threshold", type=float, default=None)
    args = parser.parse_args(argv)
    _set_parent_death_signal()
    # Ctrl+C belongs to the console; it stops the job over the wire.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    preload = [name for name in args.preload.split(",") if name]
    loop = asyncio.new_event_loop()
    inline.install(loop)
    asyncio.set_event_loop(loop)
    code = loop.run_until_complete(_amain(args.fd, preload, args))
    sys.stdout.flush()
    sys.stderr.flush()
    # No asyncio.run(): its executor shutdown would wait for plugin worker threads, and native
    # threads of the SDK can hold the interpreter at exit. The session is closed; leave now.
    os._exit(code)
