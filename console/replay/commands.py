"""The ``replay``, ``view`` and ``export-test`` subcommands (click).

``agentconsole COMMAND ...`` reaches them through ``agentconsole.cli`` (a first argument that
names one). Bad input: one line on stderr, exit 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..cli import _check_agent_file, _fail, _stderr_to_log, parse_mock_tools
from .session_file import SessionFile, SessionFileError, load_session

__all__ = ["export_test", "replay", "view"]

_CTX = {"help_option_names": ["-h", "--help"]}


def _load(dir: str) -> SessionFile:
    try:
        return load_session(Path(dir).expanduser().resolve())
    except SessionFileError as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits


@click.command(context_settings=_CTX)
@click.argument("record_dir", metavar="DIR")
@click.argument("agent_file", metavar="[AGENT]", required=False)
@click.option("--tui", is_flag=True, help="Show the replay in the TUI (default: headless).")
@click.option(
    "--out",
    "out_dir",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Where the replay is recorded (default: DIR-replay beside DIR).",
)
@click.option("--events", is_flag=True, help="Print the replay's events as JSON lines.")
@click.option(
    "--max-latency-p95",
    type=float,
    metavar="S",
    help="Fail when the replay's heard latency p95 is above S seconds.",
)
@click.option("--same-replies", is_flag=True, help="Fail when a reply text differs.")
@click.option(
    "--mock-tool",
    "mock_tool",
    multiple=True,
    metavar="NAME=JSON|@file",
    help="The tool returns this JSON value without running (repeatable).",
)
@click.option(
    "--turn-timeout",
    type=float,
    default=30.0,
    show_default=True,
    metavar="S",
    help="Longest wait for the agent before a turn is played anyway.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False),
    default="info",
    show_default=True,
)
def replay(
    record_dir: str,
    agent_file: str | None,
    tui: bool,
    out_dir: str | None,
    events: bool,
    max_latency_p95: float | None,
    same_replies: bool,
    mock_tool: tuple[str, ...],
    turn_timeout: float,
    log_level: str,
) -> None:
    """Play the user's side of a --record folder DIR into AGENT (default: the recorded agent
    file, as it is now) and compare turn by turn: user transcript, tool calls, reply, heard
    latency. Exit 0 when the tool calls match, 1 on a difference or a failed gate."""
    from .run import ReplayOptions, default_out_dir, run_replay

    session = _load(record_dir)
    if agent_file is None:
        recorded = session.agent_file
        if recorded is None:
            _fail(f"{record_dir}: the recording does not name its agent; give AGENT")
        agent_file = str(recorded)
    agent = _check_agent_file(agent_file)
    if not session.audio_path.exists() and any(u.get("kind") == "audio" for u in session.user):
        _fail(f"{record_dir}: no audio.wav (the spoken turns cannot be replayed)")
    if tui and not sys.stdout.isatty():
        _fail("the TUI needs a terminal; drop --tui for scripts and CI")
    out = Path(out_dir).resolve() if out_dir else default_out_dir(session.dir)
    if out == session.dir:
        _fail("--out must not be the recording's own folder")
    opts = ReplayOptions(
        session=session,
        agent_file=agent,
        out_dir=out,
        tui=tui,
        events=events,
        max_latency_p95=max_latency_p95,
        same_replies=same_replies,
        mock_tools=parse_mock_tools(mock_tool),
        timeout=turn_timeout,
        log_level=log_level.lower(),
    )
    try:
        code = run_replay(opts)
    except ValueError as exc:
        _fail(str(exc), 1)
    sys.exit(code)


@click.command(context_settings=_CTX)
@click.argument("record_dir", metavar="DIR")
@click.option("--output-device", metavar="DEV", help="Speaker: device index or name substring.")
def view(record_dir: str, output_device: str | None) -> None:
    """Open a --record folder DIR in the TUI, with no agent: the conversation, tool cards,
    the VAD graph and latency; left/right scrub the timeline, space plays the recording from
    the cursor."""
    session = _load(record_dir)
    if not sys.stdout.isatty():
        _fail("the viewer needs a terminal")
    from ..app.view import run_view

    with _stderr_to_log():
        code = run_view(session, output_device)
    sys.exit(code)


@click.command("export-test", context_settings=_CTX)
@click.argument("record_dir", metavar="DIR")
@click.option(
    "-o",
    "--output",
    "output",
    metavar="FILE",
    required=True,
    type=click.Path(dir_okay=False),
    help="The pytest file to write.",
)
@click.option("--agent", "agent_file", metavar="AGENT", help="The agent file (default: recorded).")
def export_test(record_dir: str, output: str, agent_file: str | None) -> None:
    """Write a pytest file that replays the recorded turns (typed text or final transcripts)
    through livekit-agents' own testing API (AgentSession.run, result.expect): no audio, no
    console."""
    from .export import ExportError, export_test_file

    session = _load(record_dir)
    if agent_file is None:
        recorded = session.agent_file
        if recorded is None:
            _fail(f"{record_dir}: the recording does not name its agent; give --agent")
        agent_file = str(recorded)
    agent = _check_agent_file(agent_file)
    try:
        text = export_test_file(session, agent, Path(output).resolve())
    except ExportError as exc:
        _fail(str(exc), 1)
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"{output}: cannot write it ({exc.strerror or exc})", 1)
    click.echo(f"wrote {output}")
