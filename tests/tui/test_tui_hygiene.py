"""Import rules: the TUI and its widgets never load livekit or sounddevice."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import agentconsole.widgets
import agentconsole.app
import agentconsole.state
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("livekit", "sounddevice"))
print(",".join(bad))
"""

STATE_CHECK = """
import sys
import agentconsole.state
print(",".join(sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "livekit"))))
"""


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


def test_app_and_widgets_do_not_import_livekit_or_sounddevice() -> None:
    assert _run(CHECK) == ""


def test_state_is_pure() -> None:
    assert _run(STATE_CHECK) == ""
