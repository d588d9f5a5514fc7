"""The agent's own mistakes, caught as they happen: the corpus agents through the real CLI.

Real job processes, the real wire, the scripted LLM and espeak-ng TTS; turns are typed
(``user_text``) so no speech recognition is needed. Nothing is mocked.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "job"))
from harness import Event, Headless
from watchdog_helpers import AGENTS, line_of

pytestmark = pytest.mark.slow


@pytest.fixture
def console(request: pytest.FixtureRequest) -> Iterator[Headless]:
    agent, *extra = request.param
    proc = Headless(str(AGENTS / agent), "--no-watch", "--no-audio", *extra)
    try:
        yield proc
    finally:
        proc.close()


def _is(kind: str, **fields: object) -> object:
    def match(ev: Event) -> bool:
        return ev["type"] == kind and all(ev.get(k) == v for k, v in fields.items())

    return match


@pytest.mark.parametrize("console", [("blocking_tool.py",)], indirect=True)
def test_a_tool_that_sleeps_is_reported_at_its_line_and_the_turn_completes(
    console: Headless,
) -> None:
    console.wait_type("job_ready", timeout=90)
    console.send(cmd="user_text", text="look up paris")
    started = console.wait_type("tool_started", timeout=60)
    block = console.wait_for(
        lambda e: (
            e["type"] == "loop_blocked"
            and not e["ongoing"]
            and e["t"] > started["t"]
            and (e["where"] or {}).get("function") == "slow_lookup"
        ),
        timeout=60,
        what="the block's final report",
    )
    assert block["duration"] >= 1.0
    where = block["where"]
    assert where["file"] == "blocking_tool.py"
    assert where["line"] == line_of("blocking_tool.py", "time.sleep(1.5)  # BLOCKING")
    assert where["function"] == "slow_lookup"
    assert where["code"].startswith("time.sleep(1.5)")
    # the stack goes from the framework's tool executor down to the agent's line
    assert block["stack"][-1]["line"] == where["line"]
    # a 1.5 s block is also reported while it lasts (after 0.5 s), at the same line
    ongoing = [e for e in console.after(started["t"], "loop_blocked") if e["ongoing"]]
    assert ongoing and ongoing[0]["where"]["line"] == where["line"]
    assert ongoing[0]["block"] == block["block"]
    # the turn still completes
    turn = console.wait_for(
        lambda e: e["type"] == "agent_turn" and "paris is a city" in e["text"], 60, "the reply"
    )
    assert turn["interrupted"] is False
    assert console.quit() == 0


@pytest.mark.parametrize("console", [("blocking_entrypoint.py",)], indirect=True)
def test_an_entrypoint_blocked_forever_is_reported_while_it_lasts_and_quit_kills_it(
    console: Headless,
) -> None:
    ready = console.wait_type("job_ready", timeout=90)
    line = line_of("blocking_entrypoint.py", "time.sleep(0.2)")
    first = console.wait_for(
        lambda e: (
            e["type"] == "loop_blocked"
            and e["ongoing"]
            and e["t"] >= ready["t"]
            and (e["where"] or {}).get("line") == line
        ),
        30,
        "the block reported",
    )
    # the block's first report comes within a second of its start, with the agent's line
    assert first["duration"] < 1.0
    assert first["where"]["file"] == "blocking_entrypoint.py"
    assert first["where"]["function"] == "entrypoint"
    assert not any(
        e["type"] == "loop_blocked" and e["block"] == first["block"] and e["t"] < first["t"]
        for e in console.events
    )
    # and again while it lasts, the same block, longer
    later = console.wait_for(
        lambda e: e["type"] == "loop_blocked" and e["ongoing"] and e["duration"] > 1.2,
        30,
        "a later report",
    )
    assert later["block"] == first["block"]
    # it never ends, so it is never reported as over
    assert not any(
        e["type"] == "loop_blocked" and e["block"] == first["block"] and not e["ongoing"]
        for e in console.events
    )
    # quit does not wait for a job that cannot answer: it is killed at once (SIGKILL), not
    # after the 2 s shutdown grace and a SIGTERM
    assert console.quit() == 0
    exited = [e for e in console.events if e["type"] == "job_exited"]
    assert exited and exited[-1]["code"] == -9
    with pytest.raises(ProcessLookupError):
        os.kill(int(ready["pid"]), 0)


@pytest.mark.parametrize("console", [("task_raises.py",)], indirect=True)
def test_swallowed_errors_name_the_agents_line(console: Headless) -> None:
    console.wait_type("job_ready", timeout=90)
    task_error = console.wait_for(
        lambda e: e["type"] == "error" and e.get("source") == "task", 30, "the task's error"
    )
    assert "cache server unreachable" in task_error["message"]
    assert task_error["where"]["file"] == "task_raises.py"
    assert task_error["where"]["line"] == line_of("task_raises.py", "raise RuntimeError")
    assert task_error["where"]["function"] == "refresh_cache"

    console.send(cmd="user_text", text="check the order")
    logged = console.wait_for(
        lambda e: e["type"] == "error" and e.get("source") == "framework", 60, "the tool error"
    )
    assert "KeyError" in logged["message"]
    assert logged["where"]["line"] == line_of("task_raises.py", 'return orders["latest"]')
    assert logged["where"]["function"] == "check_order"
    # the session carried on: the tool's failure went back to the LLM, which replied
    console.wait_type("tool_ended", timeout=30)
    console.wait_for(lambda e: e["type"] == "agent_turn", 60, "the reply after the error")
    assert console.quit() == 0


@pytest.mark.parametrize("console", [("stuck_tool.py", "--tool-threshold", "1")], indirect=True)
def test_a_stuck_tool_is_flagged_with_its_line_and_can_be_cancelled(console: Headless) -> None:
    console.wait_type("job_ready", timeout=90)
    console.send(cmd="user_text", text="wait for the delivery")
    started = console.wait_type("tool_started", timeout=60)
    stuck = console.wait_type("tool_stuck", timeout=30, call_id=started["call_id"])
    assert stuck["name"] == "wait_for_delivery"
    assert stuck["elapsed"] >= 1.0
    assert stuck["where"]["file"] == "stuck_tool.py"
    assert stuck["where"]["line"] == line_of("stuck_tool.py", "await self.delivered.wait()")
    # the tool waits, it does not block: no loop_blocked points at it
    assert not [
        e
        for e in console.after(started["t"], "loop_blocked")
        if (e["where"] or {}).get("function") == "wait_for_delivery"
    ]

    console.send(cmd="cancel_tool", call_id="no-such-call")
    refused = console.wait_for(
        lambda e: e["type"] == "error" and "no-such-call" in e["message"], 30, "the refusal"
    )
    assert refused["level"] == "warning"
    console.send(cmd="cancel_tool", call_id=started["call_id"])
    ended = console.wait_type("tool_ended", timeout=30, call_id=started["call_id"])
    assert ended["output"] != "delivered"
    # the session goes on
    mark = ended["t"]
    console.send(cmd="user_text", text="hello")
    console.wait_for(lambda e: e["type"] == "agent_turn" and e["t"] > mark, 60, "a later turn")
    assert console.quit() == 0
