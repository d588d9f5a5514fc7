"""Bad input: one clear line on stderr and a non-zero exit, never a traceback; the user's own
exceptions arrive as ``job_exited`` with the traceback text."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import Headless, run_cli

AGENT_HEADER = """
from livekit.agents import Agent, AgentSession, JobContext, WorkerOptions, cli
"""


def _one_line_error(result: object) -> str:
    stderr = result.stderr.strip()  # type: ignore[attr-defined]
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("agentconsole: ")
    return lines[0]


def test_missing_file() -> None:
    result = run_cli("no_such_agent.py", "--headless")
    assert result.returncode == 2
    assert "no such file" in _one_line_error(result)


def test_not_a_python_file(tmp_path: Path) -> None:
    text = tmp_path / "agent.txt"
    text.write_text("hello")
    result = run_cli(str(text), "--headless")
    assert result.returncode == 2
    assert "not a Python file" in _one_line_error(result)


def test_binary_file_named_py(tmp_path: Path) -> None:
    binary = tmp_path / "agent.py"
    binary.write_bytes(b"\x7fELF\x00\x00\x01")
    result = run_cli(str(binary), "--headless")
    assert result.returncode == 2
    assert "binary" in _one_line_error(result)


def test_folder_instead_of_file(tmp_path: Path) -> None:
    result = run_cli(str(tmp_path), "--headless")
    assert result.returncode == 2
    assert "folder" in _one_line_error(result)


@pytest.mark.parametrize(
    "content,problem",
    [
        (b"not a wav at all", "not a WAV"),
        (b"", "empty"),
    ],
)
def test_bad_input_wav(tmp_path: Path, content: bytes, problem: str) -> None:
    wav = tmp_path / "mic.wav"
    wav.write_bytes(content)
    result = run_cli("examples/offline_agent.py", "--headless", "--input-wav", str(wav))
    assert result.returncode == 2
    line = _one_line_error(result)
    assert "--input-wav" in line


def test_missing_input_wav(tmp_path: Path) -> None:
    result = run_cli(
        "examples/offline_agent.py", "--headless", "--input-wav", str(tmp_path / "nope.wav")
    )
    assert result.returncode == 2
    assert "--input-wav" in _one_line_error(result)


def _failing_agent(tmp_path: Path, body: str) -> Path:
    agent = tmp_path / "agent.py"
    agent.write_text(AGENT_HEADER + body)
    return agent


def test_file_that_never_calls_run_app(tmp_path: Path) -> None:
    agent = _failing_agent(tmp_path, "x = 1\n")
    result = run_cli(str(agent), "--headless", "--no-watch", timeout=90)
    assert result.returncode == 1
    exited = [line for line in result.stdout.splitlines() if '"job_exited"' in line]
    assert exited and "never calls cli.run_app()" in exited[0]
    assert "never calls cli.run_app()" in _one_line_error(result)


def test_exception_at_import(tmp_path: Path) -> None:
    agent = _failing_agent(tmp_path, "raise RuntimeError('boom at import')\n")
    result = run_cli(str(agent), "--headless", "--no-watch", timeout=90)
    assert result.returncode == 1
    assert "RuntimeError: boom at import" in _one_line_error(result)
    exited = [line for line in result.stdout.splitlines() if '"job_exited"' in line]
    # the full traceback, pointing into the user's file, not into agentconsole
    assert "Traceback" in exited[0] and str(agent) in exited[0]
    assert "agentconsole/job" not in exited[0]


def test_syntax_error(tmp_path: Path) -> None:
    agent = _failing_agent(tmp_path, "def broken(:\n")
    result = run_cli(str(agent), "--headless", "--no-watch", timeout=90)
    assert result.returncode == 1
    assert "SyntaxError" in _one_line_error(result)


def test_exception_in_entrypoint_keeps_console_up_when_watching(tmp_path: Path) -> None:
    agent = _failing_agent(
        tmp_path,
        """
async def entrypoint(ctx: JobContext) -> None:
    raise ValueError("entrypoint exploded")

if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint))
""",
    )
    console = Headless(str(agent))
    try:
        exited = console.wait_type("job_exited", timeout=90)
        assert "ValueError: entrypoint exploded" in exited["error"]
        assert "Traceback" in exited["error"]
        # the console stays up, waiting for the next save
        assert console.proc.poll() is None
        assert console.quit() == 0
    finally:
        console.close()
