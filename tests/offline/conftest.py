"""Fixtures for the offline pipeline tests: real Silero VAD, Moonshine and espeak-ng."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def vad() -> Any:
    """One Silero VAD for the session."""
    from livekit.plugins import silero

    return silero.VAD.load()


@pytest.fixture(scope="session")
def moonshine_model() -> Any:
    """The process-wide Moonshine model, loaded once."""
    from agentconsole.offline import moonshine

    return moonshine.load_model()
