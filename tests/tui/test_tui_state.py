"""The reducer (console/state.py), without an App."""

from __future__ import annotations

import streams

from agentconsole.state import (
    AgentTurn,
    Crash,
    Marker,
    SessionState,
    ToolCall,
    UserTurn,
    percentile,
)


def build(events: list[dict[str, object]]) -> SessionState:
    state = SessionState()
    state.apply_many(events)
    return state


def test_tool_turn_items_in_order() -> None:
    state = build(streams.tool_turn())
    kinds = [type(item) for item in state.items]
    assert kinds == [UserTurn, ToolCall, AgentTurn]
    user, call, agent = state.items
    assert (
        isinstance(user, UserTurn) and isinstance(call, ToolCall) and isinstance(agent, AgentTurn)
    )
    assert user.final_text == "what's the weather like in Paris today" and user.is_final
    assert call.name == "get_weather" and not call.running and call.duration == 0.42
    assert '"city": "Paris"' in call.pretty_arguments and "\n" in call.pretty_arguments
    assert call.output is not None and "sunny" in call.output and call.error is None
    assert agent.committed == agent.streamed.strip() and not agent.interrupted
    assert state.job_state == "ready" and state.job_pid == 4242
    assert state.agents_version == "1.8.9"
    assert state.agent_state == "listening"


def test_interim_replaced_by_final_in_one_item() -> None:
    state = SessionState()
    state.apply({"type": "user_transcript", "t": 1.0, "text": "what's the", "final": False})
    state.apply({"type": "user_transcript", "t": 1.2, "text": "what's the weather", "final": False})
    (turn,) = state.items
    assert isinstance(turn, UserTurn)
    assert turn.interim == "what's the weather" and turn.final_text == ""
    state.apply({"type": "user_transcript", "t": 1.5, "text": "What's the weather?", "final": True})
    assert state.items == [turn]
    assert turn.final_text == "What's the weather?" and turn.interim == ""


def test_tokens_accumulate_then_commit() -> None:
    state = SessionState()
    for delta in ["Hel", "lo", " there", "!"]:
        state.apply({"type": "agent_text", "t": 2.0, "delta": delta})
    (turn,) = state.items
    assert isinstance(turn, AgentTurn)
    assert turn.streaming and turn.streamed == "Hello there!"
    state.apply({"type": "agent_turn", "t": 3.0, "text": "Hello there!", "interrupted": False})
    assert not turn.streaming and turn.spoken == "Hello there!" and turn.unspoken == ""
    # The next reply starts a new message.
    state.apply({"type": "agent_text", "t": 4.0, "delta": "Next"})
    assert len(state.items) == 2


def test_interruption_keeps_the_unspoken_tail() -> None:
    state = build(streams.interrupted_turn())
    agent = next(item for item in state.items if isinstance(item, AgentTurn))
    assert agent.interrupted
    assert agent.spoken == "Sure. The museum opens at nine in the morning"
    assert agent.unspoken.strip().startswith("and closes at six")
    users = [item for item in state.items if isinstance(item, UserTurn)]
    # The barge-in is a new user turn after the agent's, with its final text.
    assert [u.final_text for u in users] == ["when does the museum open", "wait, and on Sunday?"]


def test_agent_turn_without_tokens_is_shown_whole() -> None:
    state = SessionState()
    state.apply({"type": "agent_turn", "t": 1.0, "text": "Welcome!", "interrupted": False})
    (turn,) = state.items
    assert isinstance(turn, AgentTurn) and turn.spoken == "Welcome!" and not turn.streaming


def test_text_after_a_tool_call_is_a_new_message() -> None:
    state = SessionState()
    state.apply({"type": "agent_text", "t": 1.0, "delta": "Let me check. "})
    state.apply({"type": "tool_started", "t": 1.1, "call_id": "a", "name": "f", "arguments": "{}"})
    state.apply({"type": "tool_ended", "t": 1.3, "call_id": "a", "name": "f", "output": "1"})
    state.apply({"type": "agent_text", "t": 1.4, "delta": "It is 1."})
    kinds = [type(item) for item in state.items]
    assert kinds == [AgentTurn, ToolCall, AgentTurn]
    call = state.tool("a")
    assert call is not None and call.duration is not None and abs(call.duration - 0.2) < 1e-9


def test_failed_tool() -> None:
    state = build(streams.tool_failed())
    call = state.tool("call_9")
    assert call is not None and not call.running
    assert call.error is not None and call.error.startswith("TimeoutError") and call.output is None


def test_crash_after_reload() -> None:
    state = build(streams.crash_and_reload())
    kinds = [type(item) for item in state.items]
    assert kinds == [UserTurn, AgentTurn, Marker, Crash]
    marker, crash = state.items[2], state.items[3]
    assert isinstance(marker, Marker) and marker.text == "reloaded: agent.py"
    assert isinstance(crash, Crash) and crash.code == 1 and crash.pid == 4300
    assert crash.error is not None and "FileNotFoundError" in crash.error
    assert state.job_state == "crashed" and state.reloads == 1
    assert state.notice_total == 1 and state.notices[-1].message.startswith("job crashed")


def test_quiet_exit_during_reload_is_not_a_crash() -> None:
    state = SessionState()
    state.apply({"type": "job_ready", "t": 0.5, "pid": 1})
    state.apply({"type": "reload", "t": 1.0, "files": ["a.py", "b.md"], "reason": "manual"})
    state.apply({"type": "job_exited", "t": 1.1, "pid": 1, "code": 0, "error": None})
    assert state.job_state == "reloading"
    assert not any(isinstance(item, Crash) for item in state.items)
    state.apply({"type": "job_started", "t": 1.2, "pid": 2})
    assert state.job_state == "reloading"
    state.apply({"type": "job_ready", "t": 1.5, "pid": 2})
    assert state.job_state == "ready" and state.job_pid == 2
    marker = state.items[0]
    assert isinstance(marker, Marker) and marker.text == "reloaded: a.py, b.md (manual)"


def test_running_tools_end_when_the_job_dies() -> None:
    state = SessionState()
    state.apply({"type": "tool_started", "t": 1.0, "call_id": "x", "name": "slow", "arguments": ""})
    state.apply({"type": "job_exited", "t": 2.0, "pid": 1, "code": -9, "error": None})
    call = state.tool("x")
    assert call is not None and not call.running and call.error == "job exited"
    assert state.job_state == "crashed"


def test_vad_samples_and_now() -> None:
    evs = streams.vad_stretch(1.0, 2.0, speech=(1.5, 3.5))
    state = build(evs)
    assert state.vad_total == len(evs) == 62
    assert state.now == evs[-1]["t"]
    assert state.vad_speaking and state.vad_probability > 0.5


def test_latency_with_tool_time_and_percentiles() -> None:
    state = SessionState()
    state.apply({"type": "user_transcript", "t": 1, "text": "hi", "final": True})
    for call_id, duration in (("a", 0.3), ("b", 0.2)):
        state.apply({"type": "tool_started", "t": 1.5, "call_id": call_id, "name": "f"})
        state.apply({"type": "tool_ended", "t": 2, "call_id": call_id, "duration": duration})
    state.apply({"type": "metrics", "t": 3, "eou_delay": 0.5, "llm_ttft": 0.3, "e2e": 1.4})
    last = state.last_latency
    assert last is not None and last.tool == 0.5 and last.e2e == 1.4 and last.tts_ttfb is None
    assert last.eou_delay == 0.5 and last.get("eou_delay") == 0.5  # the contract's name
    state.apply({"type": "user_transcript", "t": 4, "text": "and?", "final": True})
    state.apply({"type": "metrics", "t": 5, "eou_delay": 0.7, "e2e": 0.6})
    last = state.last_latency
    assert last is not None and last.tool is None
    assert state.latency_percentile("e2e", 50) == 1.0
    assert state.latency_percentile("tts_ttfb", 95) is None
    # An empty metrics event is not a turn.
    state.apply({"type": "metrics", "t": 6})
    assert len(state.latency) == 2


def test_percentile() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0], 95) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert abs((percentile(range(1, 101), 95) or 0) - 95.05) < 1e-9


def test_changes_are_taken_once() -> None:
    state = SessionState()
    state.apply({"type": "vad", "t": 0.1, "probability": 0.2, "speaking": False})
    state.apply({"type": "agent_text", "t": 0.2, "delta": "a"})
    state.apply({"type": "agent_text", "t": 0.3, "delta": "b"})
    changes = state.take_changes()
    assert changes.parts == {"vad", "conversation"}
    (item,) = changes.items
    assert isinstance(item, AgentTurn) and item.streamed == "ab"
    assert not state.take_changes()


def test_unknown_and_malformed_events_are_ignored() -> None:
    state = SessionState()
    state.apply({"type": "brand_new_event", "t": 1.0, "x": 1})
    state.apply({"t": 2.0})
    state.apply({"type": "vad", "t": 3.0, "probability": "loud"})
    state.apply({"type": "agent_text", "t": 3.0, "delta": None})
    state.apply({"type": "user_transcript", "t": 3.0})
    # the job always sends tool_started first; an end without a start draws nothing
    state.apply({"type": "tool_ended", "call_id": "never-started", "name": "f", "output": "ok"})
    assert state.vad_total == 0 and state.now == 3.0
    assert state.items == [] and state.tool("never-started") is None


def test_audio_logs_and_mute() -> None:
    state = build(streams.session_start() + streams.logs())
    assert state.audio.input == "vmic" and state.audio.aec is True and not state.audio.muted
    assert state.log_total == 5 and state.logs[-1].logger == "stdout"
    state.set_muted(True)
    assert state.audio.muted and "states" in state.take_changes().parts
    # level is dBFS as on the wire, kept within -100..0
    state.apply({"type": "audio", "t": 9, "muted": False, "level": -23.5})
    assert not state.audio.muted and state.audio.level == -23.5
    state.apply({"type": "audio", "t": 9, "level": 3.0})
    assert state.audio.level == 0.0 and state.audio.input == "vmic"  # partial: input kept
    state.apply({"type": "audio", "t": 9, "level": -300})
    assert state.audio.level == -100.0


def test_agent_spoken_marks_what_was_heard() -> None:
    from agentconsole.state import AgentTurn, SessionState

    state = SessionState()
    for delta in ("Hello", " there", " my", " friend."):
        state.apply({"type": "agent_text", "delta": delta, "t": 1.0})
    state.apply({"type": "agent_spoken", "delta": "Hello", "t": 1.2})
    state.apply({"type": "agent_spoken", "delta": " there", "t": 1.4})
    turn = [i for i in state.items if isinstance(i, AgentTurn)][-1]
    assert turn.heard == "Hello there" and turn.streaming
    state.apply({"type": "agent_turn", "text": "Hello there my friend.", "interrupted": False})
    assert turn.committed == "Hello there my friend."
