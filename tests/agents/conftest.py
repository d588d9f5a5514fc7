"""The agent-shape corpus: fixtures shared with the job-host tests (the headless harness and
spoken WAV files made with the offline espeak-ng)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "job"))

from conftest_speech import speak  # noqa: E402


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech")


@pytest.fixture(scope="session")
def hello_wav(speech_dir: Path) -> Path:
    """ "hello there, how are you", spoken by espeak-ng, padded with silence."""
    return speak("hello there, how are you", speech_dir / "hello.wav")
