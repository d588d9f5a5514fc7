"""ScriptedLLM: streamed tokens, rule-based tool calls, configurable replies, and the example
agent driven through a real AgentSession (text input)."""

from __future__ import annotations

import json
from typing import Any

from livekit.agents import Agent, AgentSession, function_tool, llm
from livekit.agents.voice.run_result import ChatMessageEvent, FunctionCallEvent, RunResult
from offline_helpers import load_example

from agentconsole.offline import (
    ScriptedLLM,
    ToolRule,
    offline_session_kwargs,
    vad_turn_detection,
)
from agentconsole.offline.llm import STORY, tool_name


@function_tool
async def turn_on_lights(room: str) -> str:
    """Turn on the lights in a room."""
    return f"The {room} lights are on."


def _ctx(*messages: tuple[str, str]) -> llm.ChatContext:
    ctx = llm.ChatContext.empty()
    for role, text in messages:
        ctx.add_message(role=role, content=text)  # type: ignore[arg-type]
    return ctx


async def _collect(stream: llm.LLMStream) -> tuple[list[str], list[llm.FunctionToolCall]]:
    tokens: list[str] = []
    calls: list[llm.FunctionToolCall] = []
    async with stream:
        async for chunk in stream:
            if chunk.delta is None:
                continue
            if chunk.delta.content:
                tokens.append(chunk.delta.content)
            calls.extend(chunk.delta.tool_calls)
    return tokens, calls


async def test_streams_word_tokens_for_unmatched_message() -> None:
    model = ScriptedLLM(token_delay=0.001)
    tokens, calls = await _collect(model.chat(chat_ctx=_ctx(("user", "call my mother"))))
    assert calls == []
    assert "".join(tokens) == "You said: call my mother"
    assert len(tokens) == 5  # one chunk per word


async def test_calls_tool_only_when_the_agent_has_it() -> None:
    model = ScriptedLLM(token_delay=0)
    ctx = _ctx(("user", "Please turn on the Kitchen lights."))
    _, calls = await _collect(model.chat(chat_ctx=ctx, tools=[turn_on_lights]))
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [
        ("turn_on_lights", {"room": "kitchen"})
    ]
    tokens, calls = await _collect(model.chat(chat_ctx=ctx, tools=[]))
    assert calls == [] and "".join(tokens).startswith("You said:")


async def test_replies_after_tool_output() -> None:
    ctx = _ctx(("user", "turn on the kitchen lights"))
    ctx.items.append(llm.FunctionCall(call_id="c1", name="turn_on_lights", arguments="{}"))
    ctx.items.append(
        llm.FunctionCallOutput(call_id="c1", name="turn_on_lights", output="Lit.", is_error=False)
    )
    tokens, calls = await _collect(
        ScriptedLLM(token_delay=0).chat(chat_ctx=ctx, tools=[turn_on_lights])
    )
    assert calls == [] and "".join(tokens) == "Done. Lit."


async def test_reply_configuration_order() -> None:
    model = ScriptedLLM(
        token_delay=0,
        replies={r"ping": "pong ({text})"},
        reply=lambda text: "custom" if "magic" in text else None,
        greeting="Welcome.",
    )
    assert "".join((await _collect(model.chat(chat_ctx=_ctx(("user", "magic ping")))))[0]) == (
        "custom"
    )
    assert "".join((await _collect(model.chat(chat_ctx=_ctx(("user", "ping")))))[0]) == (
        "pong (ping)"
    )
    only_system = _ctx(("system", "be nice"))
    assert "".join((await _collect(model.chat(chat_ctx=only_system)))[0]) == "Welcome."


async def test_long_reply_for_story_and_custom_rules() -> None:
    model = ScriptedLLM(
        token_delay=0,
        rules=[ToolRule(r"set a timer for (\w+)", "set_timer", lambda m: {"minutes": m[1]})],
    )
    tokens, _ = await _collect(model.chat(chat_ctx=_ctx(("user", "tell me a story"))))
    assert "".join(tokens) == STORY and len(tokens) > 100

    @function_tool
    async def set_timer(minutes: str) -> str:
        """Set a timer."""
        return "ok"

    assert tool_name(set_timer) == "set_timer"
    _, calls = await _collect(
        model.chat(chat_ctx=_ctx(("user", "set a timer for ten")), tools=[set_timer])
    )
    assert [json.loads(c.arguments) for c in calls] == [{"minutes": "ten"}]


async def test_example_agent_text_turns(vad: Any) -> None:
    example = load_example("offline_agent")
    async with example.build_session(vad) as session:
        await session.start(example.OfflineAssistant())

        result = await session.run(user_input="Turn on the kitchen lights.")
        result.expect.next_event().is_function_call(
            name="turn_on_lights", arguments={"room": "kitchen"}
        )
        result.expect.next_event().is_function_call_output(output="The kitchen lights are on.")
        result.expect.next_event().is_message(role="assistant")
        messages = [e.item.text_content for e in result.events if isinstance(e, ChatMessageEvent)]
        assert messages == ["Done. The kitchen lights are on."]

        result = await session.run(user_input="What is the weather in Paris?")
        calls = [e.item for e in result.events if isinstance(e, FunctionCallEvent)]
        assert [(c.name, json.loads(c.arguments)) for c in calls] == [
            ("get_weather", {"city": "Paris"})
        ]

        result = await session.run(user_input="call my mother")
        messages = [e.item.text_content for e in result.events if isinstance(e, ChatMessageEvent)]
        assert messages == ["You said: call my mother"]


async def test_agent_without_tools_gets_no_tool_call(vad: Any) -> None:
    from agentconsole.offline import EspeakTTS

    session: AgentSession[None] = AgentSession(
        llm=ScriptedLLM(token_delay=0), tts=EspeakTTS(), vad=vad, **vad_turn_detection()
    )
    async with session:
        await session.start(Agent(instructions="plain"))
        result: RunResult[None] = await session.run(user_input="turn on the kitchen lights")
        assert not [e for e in result.events if isinstance(e, FunctionCallEvent)]
        result.expect.next_event().is_message(role="assistant")


async def test_offline_session_kwargs(vad: Any) -> None:
    kwargs = offline_session_kwargs(vad, llm=ScriptedLLM(token_delay=0, fallback="echo {text}"))
    assert {"vad", "stt", "llm", "tts"} <= kwargs.keys()
    session: AgentSession[None] = AgentSession(**kwargs)
    async with session:
        await session.start(Agent(instructions="plain"))
        result: RunResult[None] = await session.run(user_input="ping")
        messages = [e.item.text_content for e in result.events if isinstance(e, ChatMessageEvent)]
        assert messages == ["echo ping"]
