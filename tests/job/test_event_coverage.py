"""Every session event of the installed livekit-agents is forwarded or classified (issue 10).

Runs on the installed framework (1.8) and, with ``scripts/test.sh --matrix``, on the lowest
supported one (1.3): a framework release that adds a session event fails here until
``agentconsole.job.coverage.COVERAGE`` says what the console does with it.
"""

from __future__ import annotations

import asyncio
import logging
import typing

import pytest

from agentconsole.events import EVENTS
from agentconsole.job import coverage


def _framework_events() -> list[str]:
    from livekit.agents.voice import events

    return list(typing.get_args(events.EventTypes))


def test_every_framework_event_is_classified() -> None:
    names = _framework_events()
    assert len(names) >= 10  # the Literal was read, not an empty stand-in
    assert coverage.unclassified(names) == [], (
        "new livekit-agents session events: add them to agentconsole.job.coverage.COVERAGE"
    )


def test_forwarded_events_exist_and_reasons_are_given() -> None:
    for name, entry in coverage.COVERAGE.items():
        assert entry.reason.strip(), name
        for type_ in entry.forwarded_as:
            assert type_ in EVENTS, f"{name} -> {type_}: not an event of agentconsole.events"


def test_the_bridge_subscribes_to_every_forwarded_event(caplog: pytest.LogCaptureFixture) -> None:
    """Every forwarded event the installed framework has gets a listener of the bridge on a
    real ``AgentSession``, without the framework's deprecation warning in the user's logs."""
    from livekit.agents import AgentSession

    from agentconsole.job.bridge import SessionBridge

    sent: list[object] = []
    bridge = SessionBridge(conn=None, emit=sent.append)  # type: ignore[arg-type]
    loop = asyncio.new_event_loop()  # the session wants a loop; other tests may have closed theirs
    try:
        session = AgentSession(loop=loop)
        with caplog.at_level(logging.WARNING):
            bridge.observe(session)
    finally:
        loop.close()
    assert not [r for r in caplog.records if "deprecated" in r.getMessage()]
    installed = set(_framework_events())
    for name in coverage.forwarded():
        if name in installed:
            assert session._events.get(name), f"the bridge does not listen to {name}"
