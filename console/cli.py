"""``agentconsole``: the command line (click).

Importing this module is cheap: the TUI, the audio engine and the supervisor load inside the
command, so ``--help`` and ``--version`` answer at once. Bad input ends with one clear line on
stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import click

from . import __version__, gcpolicy

__all__ = ["main"]

EXIT_USAGE = 2


def _fail(message: str, code: int = EXIT_USAGE) -> None:
    click.echo(f"agentconsole: {message}", err=True)
    sys.exit(code)


def _check_agent_file(path: str | None) -> Path:
    if path is None:
        _fail("missing AGENT_FILE (try: agentconsole examples/offline_agent.py)")
    agent = Path(str(path)).expanduser()
    if not agent.exists():
        _fail(f"{path}: no such file")
    if agent.is_dir():
        _fail(f"{path}: is a folder; give the agent's .py file")
    if agent.suffix != ".py":
        _fail(f"{path}: not a Python file (expected a .py agent file)")
    try:
        head = agent.read_bytes()[:4096]
    except OSError as exc:
        _fail(f"{path}: cannot read it ({exc.strerror or exc})")
    if b"\0" in head:
        _fail(f"{path}: not a Python file (binary content)")
    return agent.resolve()


def _check_wav(path: str | None) -> Path | None:
    if path is None:
        return None
    from .audio import AudioError, load_wav

    wav = Path(path).expanduser()
    try:
        load_wav(wav)
    except AudioError as exc:
        _fail(f"--input-wav {path}: {exc}")
    except OSError as exc:
        _fail(f"--input-wav {path}: cannot read it ({exc.strerror or exc})")
    return wav.resolve()


def _check_devices(input_device: str | None, output_device: str | None, no_audio: bool) -> None:
    """A device the user named must exist: say so now, in one line, rather than mid-session.
    (With no device named, a missing default is not fatal: the session runs without audio.)"""
    if no_audio:
        return
    from .audio import AudioError, resolve_device

    for spec, kind, flag in (
        (input_device, "input", "--input-device"),
        (output_device, "output", "--output-device"),
    ):
        if spec is not None:
            try:
                resolve_device(_device(spec), kind)  # type: ignore[arg-type]
            except AudioError as exc:
                _fail(f"{flag} {spec}: {exc}")


def _check_settings(assignments: tuple[str, ...]) -> dict[str, Any]:
    """``--set NAME=VALUE`` options, checked against the live settings (agentconsole.knobs)."""
    from .knobs import SettingError, parse_assignment

    settings: dict[str, Any] = {}
    for text in assignments:
        try:
            name, value = parse_assignment(text)
        except SettingError as exc:
            _fail(f"--set {exc}")
        settings[name] = value
    return settings


def _device(spec: str | None) -> str | int | None:
    if spec is None:
        return None
    return int(spec) if spec.strip().isdigit() else spec


class _MainCommand(click.Command):
    """``agentconsole AGENT`` runs an agent; a first argument naming a subcommand
    (``replay``, ``view``, ``export-test``) runs that instead. Agent files end in ``.py``, so
    the two never collide, and ``agentconsole agent.py ...`` stays as it always was."""

    def main(  # type: ignore[override]
        self, args: Any = None, prog_name: str | None = None, **extra: Any
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if argv and argv[0] in SUBCOMMANDS:
            from .replay import commands

            sub = getattr(commands, SUBCOMMANDS[argv[0]])
            name = f"{prog_name or 'agentconsole'} {argv[0]}"
            return sub.main(argv[1:], prog_name=name, **extra)
        return super().main(argv, prog_name, **extra)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        with formatter.section("Other commands (agentconsole COMMAND --help)"):
            formatter.write_dl(
                [
                    ("replay DIR [AGENT]", "replay a --record folder against the agent, diff"),
                    ("view DIR", "open a --record folder in the TUI, no agent"),
                    ("export-test DIR -o FILE", "write a pytest file from a recording"),
                ]
            )


SUBCOMMANDS = {"replay": "replay", "view": "view", "export-test": "export_test"}
"""First arguments that name a subcommand (``console/replay/commands.py``)."""


def parse_mock_tools(specs: tuple[str, ...]) -> dict[str, Any]:
    """``NAME=JSON`` or ``NAME=@file`` (repeatable) -> {name: value}; bad input exits 2."""
    import json

    mocks: dict[str, Any] = {}
    for spec in specs:
        name, sep, raw = spec.partition("=")
        name = name.strip()
        if not sep or not name:
            _fail(f"--mock-tool {spec}: expected NAME=JSON or NAME=@file")
        if raw.startswith("@"):
            try:
                raw = Path(raw[1:]).expanduser().read_text(encoding="utf-8")
            except OSError as exc:
                _fail(f"--mock-tool {spec}: cannot read {raw[1:]} ({exc.strerror or exc})")
        try:
            mocks[name] = json.loads(raw)
        except json.JSONDecodeError as exc:
            _fail(f"--mock-tool {spec}: not JSON ({exc.msg}); a string needs quotes: '\"text\"'")
    return mocks


@click.command(cls=_MainCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("agent_file", required=False, type=click.Path(dir_okay=True))
@click.option(
    "--headless", is_flag=True, help="No TUI: events as JSON lines on stdout, commands on stdin."
)
@click.option(
    "--input-wav",
    metavar="FILE",
    help="Use a WAV file as the microphone (real time, then silence).",
)
@click.option("--input-device", metavar="DEV", help="Microphone: device index or name substring.")
@click.option("--output-device", metavar="DEV", help="Speaker: device index or name substring.")
@click.option("--list-devices", is_flag=True, help="List audio devices and exit.")
@click.option(
    "--no-audio",
    is_flag=True,
    help="Open no audio device: the mic is silent (or --input-wav), the agent is paced and muted.",
)
@click.option("--no-aec", is_flag=True, help="Turn off echo cancellation / noise suppression.")
@click.option(
    "--record",
    "record_dir",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Record both audio channels and the event log to DIR.",
)
@click.option(
    "--watch/--no-watch",
    default=True,
    show_default=True,
    help="Reload the agent when a file in its folder is saved.",
)
@click.option(
    "--watch-path",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="Another folder to watch (repeatable).",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False),
    default="info",
    show_default=True,
    help="Job log level shown.",
)
@click.option(
    "--room", metavar="NAME", help="Join a real LiveKit room instead of the local audio loop."
)
@click.option(
    "--url", envvar="LIVEKIT_URL", metavar="URL", help="LiveKit server URL (env LIVEKIT_URL)."
)
@click.option(
    "--api-key", envvar="LIVEKIT_API_KEY", metavar="KEY", help="API key (env LIVEKIT_API_KEY)."
)
@click.option(
    "--api-secret",
    envvar="LIVEKIT_API_SECRET",
    metavar="SECRET",
    show_envvar=False,
    help="API secret (env LIVEKIT_API_SECRET).",
)
@click.option(
    "--identity",
    default="console-user",
    show_default=True,
    help="Your participant identity in room mode.",
)
@click.option(
    "--no-local-participant",
    is_flag=True,
    help="Room mode: do not join as a participant (someone else calls).",
)
@click.option(
    "--mock-tool",
    "mock_tool",
    multiple=True,
    metavar="NAME=JSON|@file",
    help="The tool returns this JSON value without running (repeatable).",
)
@click.option(
    "--job-metadata",
    metavar="JSON|@FILE",
    help="The job's metadata (ctx.job.metadata), as a dispatch would set it.",
)
@click.option(
    "--participant-identity",
    metavar="ID",
    help="Identity of the participant ctx.wait_for_participant() returns.",
)
@click.option(
    "--participant-attributes",
    "participant_attributes",
    metavar="K=V",
    multiple=True,
    help="An attribute of that participant, e.g. sip.phoneNumber=+15550100 (repeatable).",
)
@click.option(
    "--turns",
    is_flag=True,
    help="Headless: print only `turn` lines (one per user turn, with its timeline).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="S",
    help="Headless: exit 3 when no turn completes within S seconds (of the start or the "
    "previous turn).",
)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a turn-taking setting at start, e.g. min_endpointing_delay=0.8 (repeatable).",
)
@click.option(
    "--block-threshold",
    type=click.FloatRange(min=0),
    default=0.1,
    show_default=True,
    metavar="SECONDS",
    help="Report the agent's event loop when it is blocked this long (0: off).",
)
@click.option(
    "--tool-threshold",
    type=click.FloatRange(min=0),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="Flag a tool call still running after this long (0: off).",
)
@click.version_option(__version__, "--version", prog_name="agentconsole")
def main(
    agent_file: str | None,
    headless: bool,
    input_wav: str | None,
    input_device: str | None,
    output_device: str | None,
    list_devices: bool,
    no_audio: bool,
    no_aec: bool,
    record_dir: str | None,
    watch: bool,
    watch_path: tuple[str, ...],
    log_level: str,
    room: str | None,
    url: str | None,
    api_key: str | None,
    api_secret: str | None,
    identity: str,
    no_local_participant: bool,
    mock_tool: tuple[str, ...],
    job_metadata: str | None,
    participant_identity: str | None,
    participant_attributes: tuple[str, ...],
    turns: bool,
    timeout: float | None,
    assignments: tuple[str, ...],
    block_threshold: float,
    tool_threshold: float,
) -> None:
    """Run a LiveKit voice agent (AGENT_FILE, unmodified) with a live console.

    Talk to it through your microphone and speaker, or a WAV file; see VAD, transcripts, LLM
    tokens, tool calls and latency as they happen; save a file and the agent reloads.
    """
    started = time.monotonic()
    if list_devices:
        from .audio import AudioError, format_device_table

        try:
            table = format_device_table()
        except AudioError as exc:
            _fail(str(exc), 1)
        if table.startswith("No audio devices"):
            _fail(table.replace("\n", " "), 1)
        click.echo(table)
        return

    if (turns or timeout is not None) and not headless:
        _fail("--turns and --timeout need --headless", 2)
    agent = _check_agent_file(agent_file)
    settings = _check_settings(assignments)
    wav = _check_wav(input_wav)
    _check_devices(input_device, output_device, no_audio)
    from .audio import TUI_OUTPUT_LATENCY, AudioConfig
    from .supervisor import HostConfig

    audio = AudioConfig(
        input_device=_device(input_device),
        output_device=_device(output_device),
        aec=not no_aec,
        input_wav=wav,
        wav_waits=wav is not None,
        use_input_device=not no_audio and (not headless or input_device is not None),
        use_output_device=not no_audio and (not headless or output_device is not None),
        # Headless output is for scripts: the mic level is not worth 10 lines a second there.
        status_hz=0.0 if headless else 10.0,
        # the TUI shares the GIL with the audio callbacks: the speaker gets a larger buffer
        output_latency=None if headless else TUI_OUTPUT_LATENCY,
    )
    config = HostConfig(
        agent_file=agent,
        log_level=log_level.lower(),
        audio=audio,
        record_dir=Path(record_dir).resolve() if record_dir else None,
        watch=watch,
        watch_paths=[Path(p).resolve() for p in watch_path],
        clock_start=started,
        mock_tools=parse_mock_tools(mock_tool),
        settings=settings,
        job_args=[
            f"--block-threshold={block_threshold:g}",
            f"--tool-threshold={tool_threshold:g}",
        ],
    )
    from .deployment import build_deployment

    try:
        config.deployment = build_deployment(
            job_metadata, participant_identity, participant_attributes
        )
    except ValueError as exc:
        _fail(str(exc))
    if room is not None:
        from .room.options import configure_room

        configure_room(
            config,
            room=room,
            url=url,
            api_key=api_key,
            api_secret=api_secret,
            identity=identity,
            local_participant=not no_local_participant,
            fail=_fail,
        )

    if headless:
        from .headless import run_headless

        gcpolicy.apply()
        code = run_headless(config, turns_only=turns, turn_timeout=timeout)
    else:
        code = _run_tui(config)
    if config.record_dir is not None:
        _write_session_file(config, headless=headless, input_wav=wav, no_aec=no_aec)
    if config.room is not None:
        # room mode: the failure's one line, then os._exit (the SDK may abort at exit)
        from .room.options import finish_room_mode

        finish_room_mode(config.room, code, headless=headless)
    _leave(code)


def _leave(code: int) -> NoReturn:
    """Exit now. Everything the console owns is closed by here (jobs gone, devices closed,
    the recording and the event log finished, the terminal restored); the interpreter's own
    teardown (waiting on library threads, freeing every module) would only delay the exit by
    0.1-0.3 s, which is part of every Ctrl+C."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def _write_session_file(config: Any, **options: Any) -> None:
    """``session.json`` beside ``audio.wav`` and ``events.jsonl`` (docs/replay.md)."""
    from .replay.session_file import SessionFileError, write_session

    opts = {k: (str(v) if isinstance(v, Path) else v) for k, v in options.items()}
    opts.update(
        log_level=config.log_level,
        room=None if config.room is None else config.room.name,
        mock_tools=dict(config.mock_tools) or None,
    )
    try:
        write_session(config.record_dir, config.agent_file, opts)
    except (SessionFileError, OSError) as exc:
        click.echo(f"agentconsole: session.json not written: {exc}", err=True)


def _run_tui(config: Any) -> int:
    if not sys.stdout.isatty():
        _fail("the TUI needs a terminal; use --headless for scripts and pipes")
    from .app import AgentConsoleApp, ConsoleInfo
    from .supervisor import Supervisor

    audio = config.audio
    # --no-audio opens no device: None, shown as "off" in the header and the mic row
    mic = audio is not None and (audio.input_wav is not None or audio.use_input_device)
    speaker = audio is not None and audio.use_output_device
    info = ConsoleInfo(
        agent_file=str(config.agent_file),
        mode="room" if config.room is not None else "local",
        room=None if config.room is None else config.room.name,
        input_device=_describe(audio.input_wav, audio.input_device) if mic else None,
        output_device=_describe(None, audio.output_device) if speaker else None,
        livekit_agents_version=_agents_version(),
        record_dir=None if config.record_dir is None else str(config.record_dir),
    )
    with _stderr_to_log():
        supervisor = Supervisor(config, lambda ev: app.feed_event(ev))
        app = AgentConsoleApp(supervisor, info)
        supervisor.start()

        def close_with_supervisor() -> None:
            # the supervisor can end on its own (room mode: the connection failed for good);
            # the screen must not stay up showing a session that no longer exists
            supervisor.finished.wait()
            with contextlib.suppress(Exception):
                app.call_from_thread(app.exit, supervisor.exit_code)

        threading.Thread(target=close_with_supervisor, daemon=True).start()
        gcpolicy.apply()
        try:
            code = app.run()
        finally:
            supervisor.stop()
    return int(code or 0) or supervisor.exit_code


@contextlib.contextmanager
def _stderr_to_log() -> Iterator[None]:
    """Send file descriptor 2 to a log file while the TUI owns the terminal: native libraries
    (PortAudio, the LiveKit SDK) write there directly and would scribble over the screen.
    Textual draws on ``sys.__stderr__``, so that object moves to a copy of the terminal's fd.
    Must be entered before the app is created."""
    log = Path(tempfile.gettempdir()) / f"agentconsole-{os.getpid()}.log"
    saved_fd = os.dup(2)
    terminal = os.fdopen(os.dup(2), "w", encoding="utf-8", errors="replace")
    saved_streams = sys.__stderr__, sys.stderr
    try:
        with open(log, "ab") as sink:
            os.dup2(sink.fileno(), 2)
        sys.__stderr__ = sys.stderr = terminal  # type: ignore[misc]
        yield
    finally:
        sys.__stderr__, sys.stderr = saved_streams  # type: ignore[misc]
        terminal.close()
        os.dup2(saved_fd, 2)
        os.close(saved_fd)
        with contextlib.suppress(OSError):
            if log.stat().st_size == 0:
                log.unlink()


def _agents_version() -> str:
    """The installed livekit-agents version, read from metadata (the console never imports it)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("livekit-agents")
    except PackageNotFoundError:
        return "not installed"


def _describe(wav: Path | None, device: str | int | None) -> str | None:
    """What the header shows until the audio engine names the device it opened."""
    if wav is not None:
        return f"{wav.name} (WAV)"
    return "…" if device is None else str(device)


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
