"""The watchdog tests use the job harness (tests/job) and the corpus agents (tests/agents)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "job"))
