"""Room-connect mode tests. No LiveKit server can run on the project's machines
(../../../shared/research/livekit-server.md): tests fake the server at the ``livekit.rtc``
boundary (``fake_rtc.py``), errors are produced by real loopback sockets, and one integration
test runs only when LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET are set."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "job"))

from room_support import KEY, SECRET  # noqa: E402

AGENT_TEMPLATE = """# the offline example, with the LiveKit server faked at livekit.rtc
import runpy
import sys

sys.path.insert(0, {tests!r})
import fake_rtc

fake_rtc.install()
runpy.run_path({example!r}, run_name="__main__")
"""


@pytest.fixture
def fake_agent(tmp_path: Path) -> Path:
    """An agent file that installs the fake server, then runs examples/offline_agent.py."""
    root = HERE.parents[1]
    folder = tmp_path / "agent"
    folder.mkdir()
    agent = folder / "agent.py"
    agent.write_text(
        AGENT_TEMPLATE.format(tests=str(HERE), example=str(root / "examples" / "offline_agent.py"))
    )
    return agent


@pytest.fixture
def room_env(tmp_path: Path) -> dict[str, str]:
    """Credentials in the environment (the usual way), and where the fake writes its report."""
    return {
        "LIVEKIT_URL": "ws://fake-livekit.invalid:7880",
        "LIVEKIT_API_KEY": KEY,
        "LIVEKIT_API_SECRET": SECRET,
        "FAKE_RTC_REPORT": str(tmp_path / "report"),
        "FAKE_RTC_CALLER": "caller",
        "LIVEKIT_AGENTS_PRELOAD_LOCAL_INFERENCE": "0",
    }
