"""Fixtures for the replay tests: a real recording of the offline example, and agent variants.

The recording is made once per test session by the real CLI (headless, a real job process,
the real offline pipeline) on the kitchen-lights WAV; the variants are temp copies of the
example with one edit each.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "job"))
sys.path.insert(0, str(Path(__file__).parent))

from conftest_speech import speak
from harness import EXAMPLES
from replay_helpers import record

RETURN_EDIT = (
    'return f"The {room} lights are on."',
    'return f"The {room} lights are now bright."',
)
RULE_EDIT = (
    "llm=ScriptedLLM(replies=REPLIES, greeting=GREETING),",
    "llm=ScriptedLLM(replies=REPLIES, greeting=GREETING, rules=[]),",
)


@pytest.fixture(scope="session")
def kitchen_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ "turn on the kitchen lights", spoken (espeak-ng)."""
    return speak("turn on the kitchen lights", tmp_path_factory.mktemp("speech") / "kitchen.wav")


@pytest.fixture(scope="session")
def recording(tmp_path_factory: pytest.TempPathFactory, kitchen_wav: Path) -> Path:
    """A --record folder of the offline example on the kitchen-lights WAV."""
    dest = tmp_path_factory.mktemp("rec") / "kitchen"
    record(dest, kitchen_wav)
    return dest


def variant(tmp: Path, name: str, edit: tuple[str, str] | None) -> Path:
    """A copy of the examples folder with ``edit`` (old, new) applied to the agent file."""
    folder = tmp / name
    shutil.copytree(EXAMPLES, folder, ignore=shutil.ignore_patterns("__pycache__"))
    agent = folder / "offline_agent.py"
    if edit is not None:
        text = agent.read_text(encoding="utf-8")
        assert edit[0] in text, f"the example changed: {edit[0]!r} not found"
        agent.write_text(text.replace(edit[0], edit[1]), encoding="utf-8")
    return agent


@pytest.fixture(scope="session")
def return_changed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example whose turn_on_lights returns another text."""
    return variant(tmp_path_factory.mktemp("agents"), "ret", RETURN_EDIT)


@pytest.fixture(scope="session")
def rule_changed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example whose scripted LLM has no tool rules (it never calls a tool)."""
    return variant(tmp_path_factory.mktemp("agents"), "rule", RULE_EDIT)
