"""The Textual app under Pilot, fed recorded/synthetic event streams through feed_event."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import streams
from textual.geometry import Offset, Region
from textual.selection import Selection
from textual.widgets import Input
from tui_support import FakeHost, caught_up, wait_for

from agentconsole.app import AgentConsoleApp
from agentconsole.app.app import CONVERSATION_INTERVAL, FLOOD_INTERVAL, URGENT_GAP
from agentconsole.app.messages import EventsPending
from agentconsole.app.screens import HelpScreen
from agentconsole.state import AgentTurn, ToolCall, UserTurn
from agentconsole.widgets import (
    AgentTurnView,
    ConversationView,
    CrashView,
    HeaderBar,
    LatencyPanel,
    LogsPane,
    MarkerView,
    SessionPanel,
    ToolCard,
    UserTurnView,
    VadGraph,
)
from agentconsole.widgets.conversation import chunk_cuts
from agentconsole.widgets.status import echo_label

SIZE = (120, 40)


def text_of(widget: object) -> str:
    """Plain text a widget renders (Static content, a custom render(), or the whole message
    of an agent turn, which is shown in chunks)."""
    if isinstance(widget, AgentTurnView):
        return str(widget.content)
    render = getattr(widget, "render")  # noqa: B009 - keeps mypy quiet about Widget.render
    return str(render())


def conversation_text(app: AgentConsoleApp) -> str:
    conversation = app.query_one(ConversationView)
    return "\n".join(text_of(child) for child in conversation.children)


async def test_tool_turn_is_shown(app: AgentConsoleApp) -> None:
    app.feed_events(streams.tool_turn())
    async with app.run_test(size=SIZE) as pilot:
        await caught_up(pilot)
        conversation = app.query_one(ConversationView)
        user = conversation.query_one(UserTurnView)
        assert "what's the weather like in Paris today" in text_of(user)
        card = conversation.query_one(ToolCard)
        body = text_of(card)
        assert '"city": "Paris"' in body and '"unit": "celsius"' in body
        assert '"temperature": 21' in body
        assert card.border_title == "⚙ get_weather"
        assert card.border_subtitle == "✓ 420ms" and card.has_class("-done")
        agent = conversation.query_one(AgentTurnView)
        assert "It's sunny in Paris today" in text_of(agent)
        # Order on screen follows the conversation.
        kinds = [type(c) for c in conversation.children]
        assert kinds == [UserTurnView, ToolCard, AgentTurnView]
        latency = text_of(app.query_one(LatencyPanel))
        assert "420ms" in latency and "1580ms" in latency
        header = text_of(app.query_one(HeaderBar))
        assert "examples/weather_agent.py" in header and "ready (pid 4242)" in header
        assert "livekit-agents 1.8.9" in header and "vmic" in header
        assert "agent ○ listening" in text_of(app.query_one(SessionPanel))


async def test_interim_then_final_in_place(app: AgentConsoleApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        app.feed_event({"type": "user_transcript", "t": 1.0, "text": "book a", "final": False})
        await wait_for(pilot, lambda: "book a …" in text_of(app.query_one(UserTurnView)))
        view = app.query_one(UserTurnView)
        app.feed_event({"type": "user_transcript", "t": 1.4, "text": "book a table", "final": True})
        await wait_for(pilot, lambda: "book a table" in text_of(view))
        assert app.query(UserTurnView).last() is view
        assert "book a table" in text_of(view) and "…" not in text_of(view)


async def test_agent_text_appears_in_pieces(app: AgentConsoleApp) -> None:
    answer = "One two three four five six seven eight nine ten."
    deltas = streams.tokens(2.0, answer)
    seen: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        for start in range(0, len(deltas), 3):
            app.feed_events(deltas[start : start + 3])
            fed = "".join(d["delta"] for d in deltas[: start + 3]).strip()
            await wait_for(pilot, lambda fed=fed: fed in text_of(app.query_one(AgentTurnView)))
            seen.append(text_of(app.query_one(AgentTurnView)))
        app.feed_event({"type": "agent_turn", "t": 3.0, "text": answer, "interrupted": False})
        await wait_for(pilot, lambda: "▍" not in text_of(app.query_one(AgentTurnView)))
        final = text_of(app.query_one(AgentTurnView))
    # It grew a few words at a time with a streaming cursor, then settled on the committed text.
    assert "One two three" in seen[0] and "four five six" not in seen[0] and "▍" in seen[0]
    assert "four five six" in seen[1] and "seven" not in seen[1]
    assert len(set(seen)) == len(seen)
    assert answer in final and "▍" not in final and "streaming" not in final


async def test_interruption_is_marked(app: AgentConsoleApp) -> None:
    app.feed_events(streams.interrupted_turn())
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "✂" in text_of(app.query_one(AgentTurnView)))
        view = app.query_one(AgentTurnView)
        text = text_of(view)
        assert "✂ interrupted · 9 of 24 words spoken" in text
        assert "morning ⟂ and closes at six" in text
        assert view.has_class("-interrupted")


async def test_streaming_from_another_thread_is_coalesced(app: AgentConsoleApp) -> None:
    words = [f"w{i}" for i in range(3000)]

    def produce() -> None:
        for i, word in enumerate(words):
            app.feed_event({"type": "agent_text", "t": 1.0 + i / 2000, "delta": word + " "})
            if i % 10 == 0:
                app.feed_event({"type": "vad", "t": 1.0 + i / 2000, "probability": 0.1})

    async with app.run_test(size=SIZE) as pilot:
        thread = threading.Thread(target=produce)
        thread.start()
        await wait_for(pilot, lambda: not thread.is_alive(), timeout=60, what="the producer")
        thread.join()
        await caught_up(pilot)
        (turn,) = app.state.items
        assert isinstance(turn, AgentTurn)
        assert turn.streamed.split() == words
        assert app.state.vad_total == 300
        # Far fewer frames than events: the inbox is drained in batches.
        assert 0 < app.drains < 3300 / 5


async def test_vad_graph_samples(app: AgentConsoleApp) -> None:
    evs = streams.vad_stretch(0.0, 12.0, speech=(9.0, 10.5))
    async with app.run_test(size=SIZE) as pilot:
        app.feed_events(evs)
        graph = app.query_one(VadGraph)
        last = float(evs[-1]["t"])
        expected = sum(1 for e in evs if float(e["t"]) >= last - graph.window)
        await wait_for(pilot, lambda: graph.sample_count == expected and graph.paints > 0)
        assert 245 <= expected <= 252
        paints = graph.paints
        # Each new inference repaints the graph and its readout.
        app.feed_event({"type": "vad", "t": last + 0.032, "probability": 0.87, "speaking": True})
        await wait_for(pilot, lambda: graph.paints > paints, what="a repaint of the graph")
        footer = text_of(graph).splitlines()[-1]
        assert "0.87" in footer and "● speech" in footer
        assert "╌" in text_of(graph)  # the threshold line


async def test_vad_graph_scrolls_in_whole_columns() -> None:
    """The graph's columns sit on a grid fixed in time: a new inference changes the newest
    column or steps the whole picture one column left, and pictures that did not change are
    not repainted (as speech scrolls away, about one repaint per column, not per inference).
    What the widget hands the screen after its partial repaints (the readout, the newest
    column) is the picture drawn afresh."""
    from textual.app import App, ComposeResult

    from agentconsole.state import VadSample

    class GraphApp(App[None]):
        def compose(self) -> ComposeResult:
            yield VadGraph()

    evs = streams.vad_stretch(0.0, 12.0, speech=(2.0, 3.5))
    samples = [VadSample(e["t"], e["probability"], e["speaking"]) for e in evs]
    async with GraphApp().run_test(size=(84, 8)) as pilot:
        graph = pilot.app.query_one(VadGraph)
        await pilot.pause()
        cols = graph.size.width - 4
        steps = shifts = 0
        previous: list[str] | None = None
        for i in range(1, len(samples) + 1):
            graph.set_samples(samples[:i], samples[i - 1].t)
            await pilot.pause()
            shown = [strip.text for strip in graph.render_lines(Region(0, 0, *graph.size))]
            drawn = str(graph.render()).splitlines()
            assert shown == drawn, (i, "\n".join(shown), "\n".join(drawn))
            rows = drawn[:-1]  # without the footer
            bars = [row[4:] for row in rows]
            if previous is not None and bars != previous:
                steps += 1
                same_but_last = all(a[:-1] == b[:-1] for a, b in zip(previous, bars, strict=True))
                stepped_left = all(a[1:-1] == b[:-2] for a, b in zip(previous, bars, strict=True))
                assert same_but_last or stepped_left, (i, "\n".join(previous), "\n".join(bars))
                shifts += stepped_left and not same_but_last
            previous = bars
        # from the speech's start to the end: 10 s of columns stepping by window / cols
        assert shifts >= 0.9 * 10.0 / (graph.window / cols)
        # the pictures that changed: one per column step and a few per column of speech
        assert steps <= shifts + 4 * 1.5 / (graph.window / cols), (steps, shifts)


@pytest.mark.parametrize(
    ("key", "expected"),
    [("i", {"cmd": "interrupt"}), ("r", {"cmd": "reload"}), ("m", {"cmd": "mute", "on": True})],
)
async def test_keys_send_commands(
    app: AgentConsoleApp, host: FakeHost, key: str, expected: dict[str, object]
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        await wait_for(pilot, lambda: host.commands)
        assert host.commands == [expected]


async def test_mute_toggles_and_is_shown(app: AgentConsoleApp, host: FakeHost) -> None:
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(SessionPanel)
        await pilot.press("m")
        await wait_for(pilot, lambda: "MUTED" in text_of(panel))
        assert "MUTED" in text_of(app.query_one(HeaderBar))
        await pilot.press("m")
        await wait_for(pilot, lambda: "MUTED" not in text_of(panel))
        # The audio engine's report wins over the local guess.
        app.feed_event({"type": "audio", "t": 1.0, "muted": True})
        await wait_for(pilot, lambda: "MUTED" in text_of(panel))
    assert host.commands == [{"cmd": "mute", "on": True}, {"cmd": "mute", "on": False}]


@pytest.mark.parametrize(
    ("fields", "shown", "narrow"),
    [
        ({"aec": True, "echo_db": None, "erle_db": None}, "echo: none heard", "no echo"),
        ({"aec": True, "echo_db": -12.3, "erle_db": None}, "echo -12 dB · measuring", "echo …"),
        ({"aec": True, "echo_db": -12.3, "erle_db": 41.0}, "echo cancelled 41 dB", "echo ✓"),
        (
            {"aec": True, "echo_db": -6.2, "erle_db": 40.0, "canceller": "linear"},
            "cancelled 40 dB, linear",
            "echo ✓",
        ),
        (
            {"aec": True, "echo_db": -6.0, "erle_db": 9.4},
            "echo: use headphones",
            "echo ✗",
        ),
    ],
)
@pytest.mark.parametrize("size", [SIZE, (80, 24)])
async def test_echo_indicator(
    app: AgentConsoleApp,
    fields: dict[str, object],
    shown: str,
    narrow: str,
    size: tuple[int, int],
) -> None:
    """The audio event's echo_db / erle_db, as a user on laptop speakers sees them: beside the
    user's state, in fewer words at 80x24, and never wrapped over the agent's line."""
    async with app.run_test(size=size) as pilot:
        app.feed_event({"type": "audio", "t": 1.0, "input": "mic", "output": "spk", **fields})
        await caught_up(pilot)
        lines = text_of(app.query_one(SessionPanel)).split("\n")
        assert len(lines) == 3 and lines[2].startswith("agent ")
        assert (shown if size == SIZE else narrow) in lines[1]
        app.feed_event({"type": "audio", "t": 2.0, "aec": False})
        await caught_up(pilot)
        assert "echo" not in text_of(app.query_one(SessionPanel))


@pytest.mark.parametrize("size", [SIZE, (80, 24)])
async def test_held_agent_is_shown(app: AgentConsoleApp, size: tuple[int, int]) -> None:
    """While the engine holds the agent's audio (the user talks over its echo), the agent's
    line says so; it goes when the audio resumes."""
    async with app.run_test(size=size) as pilot:
        app.feed_event({"type": "agent_state", "t": 0.5, "state": "speaking"})
        held = {"type": "audio", "t": 1.0, "input": "mic", "output": "spk", "echo_db": -6.0}
        app.feed_event({**held, "held": True})
        await caught_up(pilot)
        lines = text_of(app.query_one(SessionPanel)).split("\n")
        assert len(lines) == 3 and lines[2].startswith("agent ")
        assert "speaking" in lines[2] and "held: you are talking" in lines[2]
        app.feed_event({**held, "t": 2.0, "held": False})
        await caught_up(pilot)
        assert "held" not in text_of(app.query_one(SessionPanel))


def test_echo_label_wordings() -> None:
    """The full wording where there is room; a narrower one where there is not."""
    assert echo_label(True, -12.3, 41.0).plain == "echo -12 dB · cancelled 41 dB"
    linear = echo_label(True, -6.2, 40.0, "linear")
    assert linear.plain == "echo -6 dB · cancelled 40 dB (linear)"
    assert echo_label(True, -6.2, 40.0, "linear", width=len(linear) - 1).plain == (
        "echo -6 dB · cancelled 40 dB"
    )
    assert echo_label(True, -6.2, 40.0, "aec3").plain == "echo -6 dB · cancelled 40 dB"
    bad = echo_label(True, -6.0, 9.4).plain
    assert bad == "echo -6 dB · only 9 dB cancelled: use headphones"
    assert echo_label(True, -6.0, 9.4, width=len(bad)).plain == bad
    assert echo_label(True, -6.0, 9.4, width=20).plain == "echo: use headphones"
    assert echo_label(True, -6.0, 9.4, width=3).cell_length == 3
    assert echo_label(False, -6.0, 9.4, width=40).plain == ""


@pytest.mark.parametrize(("key", "cmd"), [("s", "say"), ("t", "user_text")])
async def test_input_line_enter_sends(
    app: AgentConsoleApp, host: FakeHost, key: str, cmd: str
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        prompt = app.query_one("#prompt", Input)
        assert prompt.has_focus and app.query_one("#prompt-bar").display
        # Letters are text here, not keys: "q" must not quit, "i" must not interrupt.
        await pilot.press(*"quit it", "enter")
        await wait_for(pilot, lambda: not app.query_one("#prompt-bar").display)
        assert host.commands == [{"cmd": cmd, "text": "quit it"}]
        assert not app.query_one("#prompt-bar").display and prompt.value == ""
        assert app.query_one(ConversationView).has_focus


async def test_input_line_escape_leaves(app: AgentConsoleApp, host: FakeHost) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s", *"never mind", "escape")
        await wait_for(pilot, lambda: not app.query_one("#prompt-bar").display)
        assert host.commands == []
        # Keys work again after leaving.
        await pilot.press("i")
        assert host.commands == [{"cmd": "interrupt"}]


async def test_empty_enter_sends_nothing(app: AgentConsoleApp, host: FakeHost) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t", "enter")
        await wait_for(pilot, lambda: not app.query_one("#prompt-bar").display)
        assert host.commands == []


@pytest.mark.parametrize("key", ["q", "ctrl+c"])
async def test_quit_sends_quit_and_exits_zero(
    app: AgentConsoleApp, host: FakeHost, key: str
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        await pilot.pause()
    assert host.commands == [{"cmd": "quit"}]
    assert app.return_code == 0 and app.return_value == 0


async def test_ctrl_c_quits_from_the_input_line(app: AgentConsoleApp, host: FakeHost) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t", "h", "i", "ctrl+c")
        await pilot.pause()
    assert host.names() == ["quit"] and app.return_code == 0


async def test_crash_shows_traceback_and_stays_up(app: AgentConsoleApp, host: FakeHost) -> None:
    app.feed_events(streams.crash_and_reload())
    async with app.run_test(size=SIZE) as pilot:
        await caught_up(pilot)
        crash = app.query_one(CrashView)
        text = text_of(crash)
        assert "FileNotFoundError: [Errno 2]" in text and 'agent.py", line 42' in text
        assert crash.border_title == "✗ job crashed · exit code 1"
        assert "reloaded: agent.py" in text_of(app.query_one(MarkerView))
        assert "crashed" in text_of(app.query_one(HeaderBar))
        # The error event raised a notification.
        assert any("job crashed" in n.message for n in app._notifications)
        # Still running and listening to keys.
        await pilot.press("r")
        assert host.commands == [{"cmd": "reload"}]
        assert app.is_running


async def test_running_tool_card_then_failure(app: AgentConsoleApp) -> None:
    evs = streams.tool_failed()
    split = next(i for i, e in enumerate(evs) if e["type"] == "tool_ended")
    async with app.run_test(size=SIZE) as pilot:
        app.feed_events(evs[:split])
        await caught_up(pilot)
        card = app.query_one(ToolCard)
        assert card.border_subtitle is not None and "running" in card.border_subtitle
        assert "waiting for the result" in text_of(card)
        assert '"party_size": 2' in text_of(card)
        app.feed_events(evs[split:])
        await wait_for(pilot, lambda: card.has_class("-failed"))
        assert card.border_subtitle == "✗ failed · 2000ms"
        assert "TimeoutError: reservation service" in text_of(card)


async def test_logs_pane_toggle_and_filter(app: AgentConsoleApp) -> None:
    app.feed_events(streams.logs())
    async with app.run_test(size=SIZE) as pilot:
        await caught_up(pilot)
        logs = app.query_one(LogsPane)
        assert not logs.display
        await pilot.press("l")
        await wait_for(pilot, lambda: logs.display and len(logs.lines) == 5)
        lines = [line.text for line in logs.lines]
        assert len(lines) == 5 and "print from agent" in lines[-1] and "stdout" in lines[-1]
        await pilot.press("f")  # DEBUG -> INFO
        await wait_for(pilot, lambda: logs.min_level == "INFO")
        assert len(logs.lines) == 4
        await pilot.press("f", "f")  # -> WARNING -> ERROR
        await wait_for(pilot, lambda: logs.min_level == "ERROR")
        assert [line.text for line in logs.lines][-1].endswith("db unreachable")
        assert len(logs.lines) == 1
        # New lines arrive live while shown.
        app.feed_event(
            {"type": "log", "t": 9.0, "level": "ERROR", "logger": "x", "message": "boom"}
        )
        await wait_for(pilot, lambda: len(logs.lines) == 2, what="the new log line")
        await pilot.press("l")
        assert not logs.display


async def test_help_screen(app: AgentConsoleApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = "\n".join(text_of(w) for w in app.screen.query("Static"))
        for key in ("interrupt", "say", "type text as the user", "mute", "reload", "logs"):
            assert key in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))


async def test_command_palette_has_every_action(app: AgentConsoleApp, host: FakeHost) -> None:
    async with app.run_test(size=SIZE) as pilot:
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        for title in ("Interrupt", "Say…", "Type as the user…", "Mute / unmute", "Reload agent"):
            assert title in commands
        assert {"Show / hide logs", "Keys", "Quit"} <= set(commands)
        commands["Interrupt"].callback()
        await wait_for(pilot, lambda: host.commands)
        assert host.commands == [{"cmd": "interrupt"}]


async def test_events_before_run_are_kept(host: FakeHost) -> None:
    from tui_support import INFO, frozen_clock

    app = AgentConsoleApp(host, INFO, clock=frozen_clock)
    app.feed_event({"type": "user_transcript", "t": 0.5, "text": "early bird", "final": True})
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "early bird" in conversation_text(app))
        (turn,) = app.state.items
        assert isinstance(turn, UserTurn) and "early bird" in conversation_text(app)


async def test_broken_host_does_not_kill_the_ui(host: FakeHost) -> None:
    from tui_support import INFO, frozen_clock

    class Broken:
        def command(self, cmd: dict[str, object]) -> None:
            raise RuntimeError("supervisor gone")

    app = AgentConsoleApp(Broken(), INFO, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        await wait_for(
            pilot, lambda: any("supervisor gone" in n.message for n in app._notifications)
        )
        assert app.is_running


def test_tool_items_are_tool_calls() -> None:
    # Guard for the fixtures themselves: the tool turn has exactly one call with an id.
    from agentconsole.state import SessionState

    state = SessionState()
    state.apply_many(streams.tool_turn())
    assert [i.call_id for i in state.items if isinstance(i, ToolCall)] == ["call_1"]


async def test_heard_part_is_told_apart_while_playing(app: AgentConsoleApp) -> None:
    app.feed_events(
        [
            {"type": "agent_text", "delta": d, "t": 1.0}
            for d in ("The", " museum", " opens", " at", " nine.")
        ]
        + [{"type": "agent_spoken", "delta": d, "t": 1.5} for d in ("The", " museum")]
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot, lambda: "The museum opens at nine." in text_of(app.query_one(AgentTurnView))
        )
        content = app.query_one(AgentTurnView).content
        plain = str(content)
        start = plain.index(" opens at nine.")
        dim = [s for s in content.spans if s.start <= start < s.end and "muted" in str(s.style)]
        assert dim, content.spans
        heard_at = plain.index("The museum")
        assert not [
            s for s in content.spans if s.start <= heard_at < s.end and "muted" in str(s.style)
        ]


def test_chunk_cuts_are_sentence_ends_that_never_move() -> None:
    sentence = "The forecast for tomorrow is clouds, then sun. "
    text = sentence * 60
    cuts = chunk_cuts(text, 600)
    assert cuts and all(text[c - 2 : c] == ". " for c in cuts)
    assert all(600 <= b - a < 1200 for a, b in zip([0, *cuts], cuts, strict=False))
    # as the text streams in, a cut once made stays where it is
    for n in range(1, len(text), 7):
        assert (
            chunk_cuts(text[:n], 600)
            == [c for c in cuts if c < n][: len(chunk_cuts(text[:n], 600))]
        )
    # a long run with no sentence end is cut at a space
    words = " ".join(f"tok{i}" for i in range(1000))
    assert all(words[c - 1] == " " for c in chunk_cuts(words, 600))
    assert chunk_cuts("short. text. ", 600) == []


FORECAST = "The forecast for tomorrow is clouds in the morning, then sun. "
"""A sentence that long agent messages repeat (600-character chunks cut at its ends)."""


async def long_message(
    app: AgentConsoleApp, pilot: Any, event: dict[str, Any], chunks: int
) -> AgentTurnView:
    """Feed ``event`` (a long agent message), wait until it is on screen; its view, checked
    to be cut into at least ``chunks`` chunks."""
    app.feed_event(event)
    await wait_for(pilot, lambda: "then sun" in text_of(app.query_one(AgentTurnView)))
    await caught_up(pilot)
    view = app.query_one(AgentTurnView)
    assert len(chunk_cuts(view.content.plain, view.CHUNK_CHARS)) + 1 >= chunks
    return view


async def test_a_long_streaming_message_wraps_only_its_last_chunk(
    app: AgentConsoleApp,
) -> None:
    sentence = FORECAST
    async with app.run_test(size=SIZE) as pilot:
        event = {"type": "agent_text", "t": 1.0, "delta": sentence * 15}
        view = await long_message(app, pilot, event, chunks=2)
        chunks = len(chunk_cuts(view.content.plain, view.CHUNK_CHARS)) + 1
        first_line = view.render_line(1)
        wraps = view.wraps
        app.feed_event({"type": "agent_text", "t": 1.5, "delta": sentence * 15})
        await wait_for(pilot, lambda: text_of(view).count("The forecast") == 30)
        await caught_up(pilot)
        # the chunks before the last were not wrapped again: the same lines, not new ones
        assert view.render_line(1) is first_line
        now = len(chunk_cuts(view.content.plain, view.CHUNK_CHARS)) + 1
        assert view.wraps - wraps <= now - chunks + 1, (view.wraps, wraps, chunks, now)
        # one widget, however long the message
        assert not view.children
        assert (
            view.size.height == len([view.render_line(y) for y in range(view.size.height)])
            and view.size.height > 20
        )
        app.feed_event(
            {"type": "agent_turn", "t": 2.0, "text": sentence * 30, "interrupted": False}
        )
        await wait_for(pilot, lambda: "▍" not in text_of(view))
        await caught_up(pilot)
        shown = "".join(view.render_line(y).text for y in range(view.size.height))
        assert shown.count("The forecast") == 30 and "▍" not in shown


async def test_the_heard_part_moving_rewraps_only_the_chunk_it_is_in(
    app: AgentConsoleApp,
) -> None:
    # while a long message plays, the end of the heard part restyles one chunk in the
    # middle: only that chunk is wrapped again, not every chunk after it
    sentence = FORECAST
    async with app.run_test(size=SIZE) as pilot:
        event = {"type": "agent_text", "t": 1.0, "delta": sentence * 60}
        view = await long_message(app, pilot, event, chunks=5)
        # the first words heard dim everything after them: every chunk is restyled
        app.feed_event({"type": "agent_spoken", "t": 1.5, "delta": sentence * 2})
        await wait_for(
            pilot,
            lambda: (
                view.content.plain != ""
                and any("muted" in str(span.style) for span in view.content.spans)
            ),
        )
        await caught_up(pilot)
        wraps = view.wraps
        for n in range(1, 4):
            app.feed_event({"type": "agent_spoken", "t": 1.5 + n, "delta": sentence * 4})
            await wait_for(pilot, lambda before=wraps: view.wraps > before)
            await caught_up(pilot)
            # one chunk for the heard part's end, perhaps the one it left
            assert view.wraps - wraps <= 2, (n, view.wraps - wraps)
            wraps = view.wraps


async def test_selecting_text_across_the_chunks_of_a_message(app: AgentConsoleApp) -> None:
    # each line carries the message's own line and column, also in a chunk that starts
    # mid-line (at a sentence end): what a mouse selection picks is what is on the screen
    sentence = FORECAST
    async with app.run_test(size=SIZE) as pilot:
        event = {"type": "agent_turn", "t": 2.0, "text": sentence * 40, "interrupted": False}
        view = await long_message(app, pilot, event, chunks=3)
        lines = view.content.plain.split("\n")
        checked = 0
        for y in range(view.size.height):
            strip = view.render_line(y)
            for segment in strip:
                offset = segment.style.meta.get("offset") if segment.style else None
                if offset is None or not segment.text.strip():
                    continue
                x, row = offset
                assert lines[row][x : x + len(segment.text)] == segment.text, (y, offset)
                checked += 1
        assert checked > 20
        # select from the middle of the first chunk into the third: the text in between
        plain = view.content.plain
        begin = plain.index("clouds", 100)
        end = plain.index("morning", chunk_cuts(plain, view.CHUNK_CHARS)[1])
        body_start = plain.index("\n") + 1
        selection = Selection(
            Offset(begin - body_start, 1), Offset(end + len("morning") - body_start, 1)
        )
        picked = view.get_selection(selection)
        assert picked is not None
        assert picked[0] == plain[begin : end + len("morning")]
        # the highlight falls on the same text: the lit cells are the selected text
        app.screen.selections = {view: selection}
        await pilot.pause()
        assert view.text_selection == selection
        plain_background = next(iter(view.render_line(0))).style.bgcolor  # the header
        cells = "".join(
            segment.text
            for y in range(view.size.height)
            for segment in view.render_line(y)
            if segment.style is not None and segment.style.bgcolor != plain_background
        )
        expected = plain[begin : end + len("morning")]
        assert cells.replace(" ", "") == expected.replace(" ", "")


async def test_a_streamed_word_that_does_not_add_a_line_repaints_without_a_layout(
    app: AgentConsoleApp,
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        app.feed_event({"type": "agent_text", "t": 1.0, "delta": "Hello"})
        await wait_for(pilot, lambda: "Hello" in text_of(app.query_one(AgentTurnView)))
        await caught_up(pilot)
        view = app.query_one(AgentTurnView)
        height = view.size.height
        asked: list[bool] = []
        original = view.refresh

        def refresh(*regions: Any, **kwargs: Any) -> Any:
            asked.append(bool(kwargs.get("layout")))
            return original(*regions, **kwargs)

        view.refresh = refresh  # type: ignore[method-assign]
        app.feed_event({"type": "agent_text", "t": 1.1, "delta": " there"})
        await wait_for(pilot, lambda: "Hello there" in text_of(view))
        await caught_up(pilot)
        assert asked and not any(asked), asked
        assert "Hello there" in view.render_line(1).text
        # a line more: a layout, and the view grows
        app.feed_event({"type": "agent_text", "t": 1.2, "delta": " and more" * 30})
        await wait_for(pilot, lambda: view.size.height > height)
        assert any(asked)


async def test_a_vad_inference_is_drawn_without_waiting_for_the_next_frame(
    app: AgentConsoleApp,
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await caught_up(pilot)
        drains = app.drains
        # just after a frame: text waits for the next one, a VAD inference does not
        app.feed_event({"type": "agent_text", "t": 1.0, "delta": "Hello"})
        await wait_for(pilot, lambda: app.drains > drains)
        app._last_drain = time.monotonic()
        app._inbox.append({"type": "agent_text", "t": 1.1, "delta": " there"})
        app._on_events_pending(EventsPending())
        assert app._inbox, "text drawn before the next frame"
        app._last_drain = time.monotonic() - URGENT_GAP
        app._inbox.append({"type": "vad", "t": 1.2, "probability": 0.9, "speaking": True})
        app._on_events_pending(EventsPending(urgent=True))
        assert not app._inbox, "the VAD inference waited for the next frame"
        assert app.state.vad and app.state.vad[-1].t == 1.2
        # an urgent wake-up is never merged into one that is not
        assert EventsPending(urgent=True).can_replace(EventsPending())
        assert not EventsPending().can_replace(EventsPending(urgent=True))


async def test_the_conversation_updates_less_often_while_text_floods_in(
    app: AgentConsoleApp,
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        assert app.conversation_interval == CONVERSATION_INTERVAL
        app.feed_event({"type": "agent_text", "t": 1.0, "delta": "word " * 60})
        await wait_for(pilot, lambda: "word" in text_of(app.query_one(AgentTurnView)))
        assert app.conversation_interval == CONVERSATION_INTERVAL  # 300 chars: a normal pace
        flood = [{"type": "agent_text", "t": 1.1, "delta": "word " * 50}] * 10

        def flooding() -> bool:
            # the text keeps coming, as in a flood: a single burst counts only for
            # FLOOD_WINDOW of wall-clock time, which a loaded machine can sleep through
            app.feed_events(flood)
            return app.conversation_interval == FLOOD_INTERVAL

        await wait_for(pilot, flooding)
        # once the flood stops, the usual pace is back
        await wait_for(pilot, lambda: app.conversation_interval == CONVERSATION_INTERVAL)
