"""Fixtures for the reload tests: a private copy of the offline example in a temp folder."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "job"))

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture
def agent_dir(tmp_path: Path) -> Path:
    """A folder with ``agent.py`` (the offline example) and its ``prompt.md``."""
    shutil.copy(EXAMPLES / "offline_agent.py", tmp_path / "agent.py")
    shutil.copy(EXAMPLES / "prompt.md", tmp_path / "prompt.md")
    return tmp_path
