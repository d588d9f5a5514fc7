"""Fixtures for the job-host tests: spoken WAV files made with the offline espeak-ng."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from conftest_speech import speak


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech")


@pytest.fixture(scope="session")
def kitchen_wav(speech_dir: Path) -> Path:
    """ "turn on the kitchen lights", spoken by espeak-ng, padded with silence."""
    return speak("turn on the kitchen lights", speech_dir / "kitchen.wav")
