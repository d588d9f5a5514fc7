"""An idle console paints nothing that has not changed.

The engine reports the mic's status ten times a second. Before, every report rebuilt the header
and repainted it, and with it the footer and the screen: 100 repaints in 10 s of silence in
the real TUI. The app under Pilot, fed what a silent session sends.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from streams import session_start
from textual.widget import Widget
from tui_support import caught_up

from agentconsole.app import AgentConsoleApp
from agentconsole.widgets import HeaderBar

SIZE = (120, 40)


@pytest.fixture
def paints(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Paints (``render_lines`` calls), per widget class, from here on."""
    counts: Counter[str] = Counter()
    render_lines = Widget.render_lines

    def counted(self: Widget, crop: Any) -> Any:
        counts[type(self).__name__] += 1
        return render_lines(self, crop)

    monkeypatch.setattr(Widget, "render_lines", counted)
    return counts


def _status(t: float, level: float, **changed: object) -> dict[str, object]:
    return {
        "type": "audio",
        "t": t,
        "input": "vmic",
        "output": "vspeaker",
        "muted": False,
        "aec": True,
        "level": level,
        "underruns": 0,
        "problem": None,
        **changed,
    }


async def test_silent_audio_statuses_repaint_neither_header_nor_footer(
    app: AgentConsoleApp, paints: Counter[str]
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        app.feed_events(session_start())
        await caught_up(pilot)
        header = app.query_one(HeaderBar)
        before = Counter(paints)
        for n in range(20):  # two seconds of a silent mic, its level wandering in the noise
            app.feed_event(_status(2.0 + n / 10, -92.0 - n % 3))
            await caught_up(pilot)
        painted = paints - before
        assert painted["HeaderBar"] == 0, painted
        assert painted["KeyFooter"] == 0, painted
        assert painted["Screen"] == 0, painted
        # what does change still shows: muting is in the header at once
        app.feed_event(_status(4.5, -92.0, muted=True))
        await caught_up(pilot)
        assert "MUTED" in str(header.render())
        assert (paints - before)["HeaderBar"] >= 1
