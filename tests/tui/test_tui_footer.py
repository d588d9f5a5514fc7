"""The key footer keeps no keys it has replaced (Textual's own footer kept every one: its keys
are bound to the footer's ``compact`` value, and Textual drops such a binding only when that
value changes). The app under Pilot, a dialog opened and closed again and again."""

from __future__ import annotations

import gc

from textual.widgets._footer import FooterKey
from tui_support import wait_for

from agentconsole.app import AgentConsoleApp
from agentconsole.app.screens import HelpScreen
from agentconsole.widgets import KeyFooter

SIZE = (120, 40)


def replaced_keys() -> int:
    """Footer keys still in memory after the footer removed them."""
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, FooterKey) and not o.is_attached)


async def test_a_dialog_opened_and_closed_leaves_no_footer_keys_behind(
    app: AgentConsoleApp,
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        footer = app.query_one(KeyFooter)
        await wait_for(pilot, lambda: footer.query(FooterKey).first(), what="the footer's keys")
        for _ in range(6):
            shown = footer.query(FooterKey).first()
            await pilot.press("question_mark")
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))
            # the footer has built its keys again for the main screen's bindings
            await wait_for(pilot, lambda s=shown: footer.query(FooterKey).first() is not s)
        del shown  # the test's own reference to a replaced key
        await pilot.pause()
        assert footer.query(FooterKey), "the footer shows no keys"
        assert replaced_keys() == 0
