"""The supervisor: job processes, the wire, audio routing and reload, on a thread of its own.

The console process keeps everything that must survive a reload (devices, conversation,
watcher); each job process runs one agent session. The supervisor owns an asyncio loop on the
``agentconsole-io`` thread, so a slow repaint in the front end can never delay audio or the
wire. Front ends call :meth:`Supervisor.command` (thread-safe) and receive every event through
the ``on_event`` callback, called on the io thread with events stamped with ``t``.

Job lifecycle: ``spawn`` (the process imports the framework and says ``hello``) -> ``start``
(``job_started``; loads the agent file) -> ``job_ready`` -> ... -> exit (``job_exited`` with
``error`` when the user's code failed). A crashed job is not restarted until the next save or
a manual reload. With watching on, a warm spare job waits so that a reload costs only the
user's import and entrypoint.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from . import protocol
from .wire import Connection, open_connection

__all__ = ["HostConfig", "Supervisor"]

EventSink = Callable[[protocol.Event], None]

_STOP_GRACE = 2.0  # seconds a job gets to close its session before SIGTERM
_KILL_GRACE = 1.0  # then before SIGKILL
_QUIET = 0.3  # seconds without changes that end a burst of saves
_WAV_SETTLE = 0.4  # seconds the agent must be listening before an input WAV starts


@dataclass
class HostConfig:
    """What the console runs and how. Built by the CLI."""

    agent_file: Path
    log_level: str = "info"
    audio: Any = None
    """An ``agentconsole.audio.AudioConfig``, or None for no audio at all (text only)."""
    record_dir: Path | None = None
    watch: bool = True
    watch_paths: list[Path] = field(default_factory=list)
    spare: bool | None = None
    """Keep a warm spare job for fast reloads (default: when watching)."""
    python: str = sys.executable
    env: dict[str, str] = field(default_factory=dict)
    """Extra environment for job processes (room credentials travel here, never in argv)."""
    room: Any = None
    """Room-connect settings (``agentconsole.room``), or None for the local audio loop."""
    job_args: list[str] = field(default_factory=list)
    """Extra arguments for ``python -m agentconsole.job`` (room mode)."""
    clock_start: float = field(default_factory=time.monotonic)


class _Job:
    """One job process and its end of the wire."""

    def __init__(self, proc: asyncio.subprocess.Process, conn: Connection) -> None:
        self.proc = proc
        self.conn = conn
        self.pid = proc.pid
        self.hello = asyncio.get_running_loop().create_future()
        self.error: str | None = None
        self.started = False
        self.ready = False
        self.retired = False
        self.tasks: list[asyncio.Task[Any]] = []
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        """The job's last stderr lines: the reason when it dies without a word on the wire."""


class Supervisor:
    """Spawns, feeds and replaces job processes; routes events, commands and audio."""

    def __init__(self, config: HostConfig, on_event: EventSink) -> None:
        self.config = config
        self._on_event = on_event
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self.finished = threading.Event()
        """Set when the console should exit (a ``quit`` command, or everything stopped)."""
        self._active: _Job | None = None
        self._spare: _Job | None = None
        self._jobs: set[_Job] = set()
        self._history: dict[str, Any] | None = None
        self._preload: list[str] = []
        self._segments: collections.deque[int] = collections.deque()
        self._engine: Any = None
        self._events_file: IO[str] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._stopping = False
        self._agent_state = ""
        self._wav_timer: asyncio.TimerHandle | None = None
        self._spawning: asyncio.Task[None] | None = None
        self._room_host: Any = None  # room-connect mode: agentconsole.room.host.RoomHost
        self.exit_code = 0

    # -- public, thread-safe ----------------------------------------------------------------

    def start(self) -> None:
        """Start the io thread, the audio engine and the first job. Returns once running."""
        if self.config.record_dir is not None:
            self.config.record_dir.mkdir(parents=True, exist_ok=True)
            self._events_file = open(
                self.config.record_dir / "events.jsonl", "a", encoding="utf-8", buffering=1
            )
        self._thread = threading.Thread(target=self._run, name="agentconsole-io", daemon=True)
        self._thread.start()
        self._started.wait()

    def command(self, cmd: protocol.Event) -> None:
        """Queue a command from a front end (say, user_text, interrupt, reload, mute, quit)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._handle_command, dict(cmd))

    def stop(self, timeout: float = 6.0) -> None:
        """Stop every job and the audio engine; wait for the io thread to end."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._begin_shutdown)
        if self._thread is not None:
            self._thread.join(timeout)
        self._kill_all_now()
        self.finished.set()

    @property
    def spare_warm(self) -> bool:
        """True when a spare job has imported the framework and waits (benchmarks, tests)."""
        spare = self._spare
        return spare is not None and spare.hello.done()

    def emit(self, type_: str, **fields: Any) -> None:
        """Stamp and deliver one console-side event (any thread)."""
        self._deliver(protocol.event(type_, **fields))

    # -- io thread --------------------------------------------------------------------------

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        self._done = loop.create_future()
        loop.call_soon(self._started.set)
        try:
            loop.run_until_complete(self._main())
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self.finished.set()

    async def _main(self) -> None:
        self._open_audio()
        joining: asyncio.Task[bool] | None = None
        if self.config.room is not None:
            # room mode: the console's participant joins while the job imports the framework
            from .room.host import RoomHost

            self._room_host = RoomHost(self)
            joining = asyncio.create_task(self._room_host.join(), name="agentconsole-room-join")
        job = await self._spawn()
        if joining is not None and not await joining:
            job = None  # could not join the room: _shutdown stops the job
        if job is not None:
            self._promote(job)
        if self.config.watch:
            self._watcher = asyncio.create_task(self._watch(), name="agentconsole-watch")
        await self._done
        await self._shutdown()

    def _deliver(self, ev: protocol.Event) -> None:
        ev.setdefault("t", round(time.monotonic() - self.config.clock_start, 4))
        if self._events_file is not None:
            with contextlib.suppress(OSError, ValueError):
                self._events_file.write(json.dumps(ev, ensure_ascii=False) + "\n")
        self._on_event(ev)

    # -- audio ----------------------------------------------------------------------------

    def _open_audio(self) -> None:
        if self.config.audio is None:
            return
        from .audio import AudioEngine, AudioError

        loop = self._loop
        assert loop is not None
        audio = self.config.audio
        if self.config.record_dir is not None and getattr(audio, "record_dir", None) is None:
            audio.record_dir = self.config.record_dir

        def on_mic_frame(pcm: bytes) -> None:
            loop.call_soon_threadsafe(self._send_mic, pcm)

        def on_playout(played: float, interrupted: bool) -> None:
            loop.call_soon_threadsafe(self._on_playout, played, interrupted)

        for attempt in range(2):
            engine = AudioEngine(
                audio,
                on_mic_frame=on_mic_frame,
                on_playout=on_playout,
                on_status=self._deliver_status,
            )
            try:
                engine.start()
            except AudioError as exc:
                self.emit("error", level="error", message=f"audio: {exc}", source="audio")
                if attempt or not (audio.use_input_device or audio.use_output_device):
                    return
                # Go on without devices: the agent's audio is still paced in real time.
                audio.use_input_device = audio.use_output_device = False
                continue
            self._engine = engine
            return

    def _deliver_status(self, ev: protocol.Event) -> None:
        self._deliver({"type": "audio", **ev})

    def _maybe_start_wav(self) -> None:
        """Start a waiting ``--input-wav`` once the agent is ready and has been listening for a
        moment (its greeting is over): the file is the user's turn, not an interruption."""
        engine = self._engine
        if engine is None or not getattr(self.config.audio, "wav_waits", False):
            return
        if self._wav_timer is not None:
            self._wav_timer.cancel()
            self._wav_timer = None
        job = self._active
        if job is None or not job.ready or self._agent_state != "listening":
            return

        def start() -> None:
            if self._agent_state == "listening" and self._active is job:
                engine.start_wav()
                self.config.audio.wav_waits = False
                self.emit("log", level="info", logger="agentconsole", message="input WAV started")

        self._wav_timer = asyncio.get_running_loop().call_later(_WAV_SETTLE, start)

    def _send_mic(self, pcm: bytes) -> None:
        if self._room_host is not None and self._room_host.push_mic(pcm):
            return  # room mode: the microphone goes to the room, not to the job
        job = self._active
        if job is not None and job.started and not job.conn.closed:
            job.conn.send_audio(protocol.KIND_MIC, pcm)

    def _on_playout(self, played: float, interrupted: bool) -> None:
        if not self._segments:
            return
        segment = self._segments.popleft()
        job = self._active
        if job is not None:
            job.conn.send(
                {"cmd": "playout", "segment": segment, "played": played, "interrupted": interrupted}
            )
        self.emit(
            "agent_speech", state="finished", played=round(played, 3), interrupted=interrupted
        )

    def _on_playback(self, job: _Job, ev: protocol.Event) -> None:
        action = ev.get("action")
        segment = int(ev.get("segment", 0))
        if self._engine is None:
            # No audio at all: the segment "plays" instantly.
            if action == "flush":
                job.conn.send(
                    {"cmd": "playout", "segment": segment, "played": 0.0, "interrupted": False}
                )
            elif action == "clear":
                job.conn.send(
                    {"cmd": "playout", "segment": segment, "played": 0.0, "interrupted": True}
                )
            return
        if action == "start":
            self._segments.append(segment)
            self.emit("agent_speech", state="started")
        elif action == "flush":
            self._engine.end_segment()
        elif action == "clear":
            self._engine.clear()

    # -- jobs -----------------------------------------------------------------------------

    async def _spawn(self) -> _Job | None:
        parent, child = socket.socketpair()
        env = dict(os.environ)
        env.update(self.config.env)
        env["PYTHONUNBUFFERED"] = "1"
        args = [self.config.python, "-m", "agentconsole.job", "--fd", str(child.fileno())]
        if self._preload:
            args += ["--preload", ",".join(self._preload)]
        args += self.config.job_args
        try:
            proc = await asyncio.create_subprocess_exec(
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                pass_fds=(child.fileno(),),
                start_new_session=True,
                env=env,
            )
        except OSError as exc:
            self.emit("error", level="error", message=f"cannot start the job process: {exc}")
            parent.close()
            child.close()
            return None
        finally:
            child.close()
        conn = await open_connection(parent)
        job = _Job(proc, conn)
        self._jobs.add(job)
        job.tasks = [
            asyncio.create_task(self._read_job(job)),
            asyncio.create_task(self._pipe_lines(job, proc.stdout, "stdout", "info")),
            asyncio.create_task(self._pipe_lines(job, proc.stderr, "stderr", "warning")),
            asyncio.create_task(self._wait_job(job)),
        ]
        return job

    def _promote(self, job: _Job) -> None:
        """Make ``job`` the active one and tell it to load the agent."""
        self._active = job
        self._segments.clear()
        if self._engine is not None:
            self._engine.clear()
        job.started = True
        start: protocol.Event = {
            "cmd": "start",
            "agent_file": str(self.config.agent_file),
            "history": self._history,
            "log_level": self.config.log_level,
        }
        if self.config.room is not None:  # name, url, agent identity; never the secret
            start["room"] = self.config.room.start_entry()
        job.conn.send(start)
        self.emit("job_started", pid=job.pid)

    async def _read_job(self, job: _Job) -> None:
        try:
            async for kind, payload in job.conn.frames():
                if kind == protocol.KIND_PLAY:
                    if job is self._active and self._engine is not None:
                        self._engine.play(payload)
                elif kind == protocol.KIND_JSON:
                    self._on_job_event(job, protocol.decode_json(payload))
        except protocol.ProtocolError as exc:
            self.emit("error", level="error", message=f"job {job.pid}: {exc}")

    def _on_job_event(self, job: _Job, ev: protocol.Event) -> None:
        kind = ev.get("type")
        if self._room_host is not None:
            self._room_host.on_job_event(job, ev)
        if kind == "hello":
            if not job.hello.done():
                job.hello.set_result(ev)
            if job is self._active:
                self._deliver(ev)
            return
        if kind == "job_error":
            job.error = str(ev.get("error"))
            return
        if kind == "modules":
            self._preload = [str(n) for n in ev.get("names", [])]
            return
        if job is not self._active:
            return  # a retiring job's last words are not part of the session
        if kind == "history":
            self._history = ev.get("chat_ctx")
            return
        if kind == "playback":
            self._on_playback(job, ev)
            return
        if kind == "job_ready":
            job.ready = True
            self._deliver(ev)
            self._ensure_spare()
            self._maybe_start_wav()
            return
        if kind == "agent_state":
            self._agent_state = str(ev.get("state"))
            self._maybe_start_wav()
        self._deliver(ev)

    async def _pipe_lines(
        self, job: _Job, stream: asyncio.StreamReader | None, name: str, level: str
    ) -> None:
        if stream is None:
            return
        while line := await stream.readline():
            text = line.decode(errors="replace").rstrip()
            if name == "stderr" and text:
                job.stderr_tail.append(text)
            if job.retired or job is self._spare:
                continue
            if text:
                self.emit("log", level=level, logger=name, message=text, pid=job.pid)

    async def _wait_job(self, job: _Job) -> None:
        code = await job.proc.wait()
        # let the reader deliver what the job sent before it exited
        with contextlib.suppress(asyncio.TimeoutError):
            # the wire reader (its job_error) and the stderr pipe (its last words)
            await asyncio.wait_for(
                asyncio.shield(asyncio.gather(job.tasks[0], job.tasks[2])), timeout=2.0
            )
        self._jobs.discard(job)
        await job.conn.close()
        if job is self._spare:
            self._spare = None
            if not self._stopping:
                self.emit(
                    "log",
                    level="error",
                    logger="agentconsole",
                    message=f"the spare job exited ({code}): {job.error or 'no error text'}",
                )
            return
        if job is self._active:
            self._active = None
            self._segments.clear()
            if self._engine is not None:
                self._engine.clear()
            error = job.error
            if error is None and code not in (0, None) and not self._stopping:
                error = _signal_text(code)
                if job.stderr_tail:  # e.g. Python's own traceback when the job died early
                    error += ":\n" + "\n".join(job.stderr_tail)
            self.emit("job_exited", pid=job.pid, code=code, error=error)
            if self._stopping:
                return
            if self._room_host is not None and self._room_host.after_job_exit(job, error):
                return  # room mode: could not join (fatal) or lost the room (rejoin)
            if not self.config.watch and error is not None:
                self.exit_code = 1
                self._begin_shutdown()

    def _ensure_spare(self) -> None:
        wanted = self.config.spare if self.config.spare is not None else self.config.watch
        if wanted and self._spare is None and not self._stopping:
            if self._spawning is None or self._spawning.done():
                self._spawning = asyncio.get_running_loop().create_task(self._make_spare())

    async def _make_spare(self) -> None:
        job = await self._spawn()
        if job is None:
            return
        if self._stopping:
            self._retire(job)
            return
        self._spare = job

    def _retire(self, job: _Job) -> None:
        """Stop a job: ask over the wire, then SIGTERM, then SIGKILL."""
        if job.retired:
            return
        job.retired = True
        job.conn.send({"cmd": "shutdown"})
        asyncio.get_running_loop().create_task(self._escalate(job))

    async def _escalate(self, job: _Job) -> None:
        for sig, grace in ((None, _STOP_GRACE), (signal.SIGTERM, _KILL_GRACE)):
            if sig is not None:
                with contextlib.suppress(ProcessLookupError):
                    job.proc.send_signal(sig)
            try:
                await asyncio.wait_for(job.proc.wait(), timeout=grace)
                return
            except asyncio.TimeoutError:
                continue
        with contextlib.suppress(ProcessLookupError):
            job.proc.kill()

    async def reload(self, files: list[str], reason: str) -> None:
        """Replace the active job with one running the current code."""
        if self._stopping:
            return
        self.emit("reload", files=files, reason=reason)
        old, self._active = self._active, None
        if old is not None:
            self._retire(old)
        job, self._spare = self._spare, None
        if job is None or job.proc.returncode is not None:
            job = await self._spawn()
        if job is not None:
            self._promote(job)

    # -- commands -------------------------------------------------------------------------

    def _handle_command(self, cmd: protocol.Event) -> None:
        name = cmd.get("cmd")
        if name == "quit":
            self._begin_shutdown()
        elif name == "reload":
            asyncio.get_running_loop().create_task(self.reload([], "manual"))
        elif name == "mute":
            on = bool(cmd.get("on", True))
            if self._engine is not None:
                self._engine.set_muted(on)
            else:
                self.emit("audio", muted=on)
        elif name in ("say", "user_text", "interrupt"):
            job = self._active
            if job is None or not job.ready:
                self.emit("error", level="warning", message=f"{name}: no agent is running")
                return
            job.conn.send(cmd)
        else:
            self.emit("error", level="warning", message=f"unknown command: {name!r}")

    # -- watching -------------------------------------------------------------------------

    async def _watch(self) -> None:
        from .watch import watch_changes

        paths = [self.config.agent_file.parent, *self.config.watch_paths]
        ignore = [self.config.record_dir] if self.config.record_dir else []
        # A save reloads at once (leading edge). Changes that keep coming within _QUIET of each
        # other (a git checkout, a formatter, an editor saving twice) are gathered into one
        # trailing reload once they stop: a burst costs at most two reloads, the last wins.
        last_change = float("-inf")
        pending: set[str] = set()
        trailing: asyncio.Task[None] | None = None

        async def reload_when_quiet() -> None:
            nonlocal trailing
            await asyncio.sleep(_QUIET)
            files = sorted(pending)
            pending.clear()
            trailing = None
            await self.reload(files, "file")

        try:
            async for files in watch_changes(paths, stop=self._done, ignore=ignore):
                now = time.monotonic()
                quiet = now - last_change > _QUIET
                last_change = now
                if quiet and trailing is None:
                    await self.reload(files, "file")
                    continue
                pending.update(files)
                if trailing is not None:
                    trailing.cancel()
                trailing = asyncio.create_task(reload_when_quiet())
        except Exception as exc:  # watching is best effort, say why it stopped
            self.emit("error", level="error", message=f"file watching stopped: {exc}")

    # -- shutdown -------------------------------------------------------------------------

    def _begin_shutdown(self) -> None:
        if not self._done.done():
            self._done.set_result(None)

    async def _shutdown(self) -> None:
        self._stopping = True
        if self._watcher is not None:
            self._watcher.cancel()
        if self._spawning is not None:  # a spare being spawned joins the jobs to stop
            with contextlib.suppress(Exception):
                await self._spawning
        jobs = list(self._jobs)
        for job in jobs:
            self._retire(job)
        if jobs:
            await asyncio.wait(
                [asyncio.create_task(job.proc.wait()) for job in jobs],
                timeout=_STOP_GRACE + _KILL_GRACE + 0.5,
            )
        if self._room_host is not None:
            with contextlib.suppress(Exception):
                await self._room_host.aclose()
        # let each job's reader, pipes and waiter finish (they end with the process), then
        # cancel whatever is left so the loop closes with no task pending
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if others:
            _, pending = await asyncio.wait(others, timeout=1.0)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._engine is not None:
            with contextlib.suppress(Exception):
                self._engine.close()
        if self._events_file is not None:
            with contextlib.suppress(OSError):
                self._events_file.close()
            self._events_file = None
        self.finished.set()

    def _kill_all_now(self) -> None:
        """Last resort on exit: no job may outlive the console."""
        for job in list(self._jobs):
            with contextlib.suppress(ProcessLookupError, OSError):
                os.kill(job.pid, signal.SIGKILL)


def _signal_text(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"the job was killed by {signal.Signals(-code).name}"
    return f"the job exited with code {code}"
