"""Import rules of the design: the job never imports Textual; the console never imports the
user's code; the console's core modules load neither livekit nor sounddevice at import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from harness import Headless


def _modules_after(statement: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{statement}\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.split())


def test_job_runner_never_imports_textual() -> None:
    mods = _modules_after(
        "import agentconsole.job.runner, agentconsole.job.bridge, agentconsole.job.framework\n"
        "agentconsole.job.framework.check_version()"
    )
    assert "livekit.agents" in mods  # the check really ran the framework import
    assert not {m for m in mods if m == "textual" or m.startswith("textual.")}
    assert "agentconsole.app" not in mods and "agentconsole.widgets" not in mods


def test_console_core_imports_no_framework() -> None:
    mods = _modules_after(
        "import agentconsole.cli, agentconsole.supervisor, agentconsole.headless, "
        "agentconsole.protocol, agentconsole.watch"
    )
    assert not {m for m in mods if m.startswith(("livekit", "sounddevice", "textual"))}


def test_console_never_imports_the_agent_file(tmp_path: Path) -> None:
    marker = tmp_path / "imported_by.txt"
    agent = tmp_path / "agent.py"
    source = (Path(__file__).parents[2] / "examples" / "offline_agent.py").read_text()
    agent.write_text(
        source + f"\nimport os\nopen({str(marker)!r}, 'a').write(f'{{os.getpid()}}\\n')\n"
    )
    (tmp_path / "prompt.md").write_text("You are a test agent.")
    console = Headless(str(agent), "--no-watch")
    try:
        ready = console.wait_type("job_ready", timeout=90)
        importers = {int(line) for line in marker.read_text().split()}
        assert importers == {ready["pid"]}
        assert console.proc.pid not in importers
    finally:
        console.quit()
