"""`ScriptedLLM`: a deterministic, offline stand-in for a chat model.

It streams its reply word by word (with a small delay, so the console shows tokens arriving),
calls tools by regex rules on the last user message, and answers tool results with
"Done. <output>". Everything it says is configurable, so tests (and a hot-reload demo) can change
the agent's reply by editing one file.

Reply resolution for a user message with no matching tool rule, first hit wins:
`reply(text)` callable (if it returns a string), then the `replies` mapping (regex -> text,
searched case-insensitively), then `fallback` ("You said: {text}").
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from livekit.agents import llm
from livekit.agents.types import (
    DEFAULT_API_CONNECT_OPTIONS,
    NOT_GIVEN,
    APIConnectOptions,
    NotGivenOr,
)

ArgumentBuilder = Callable[["re.Match[str]"], dict[str, Any]]


@dataclass(frozen=True)
class ToolRule:
    """Call `tool` with `arguments(match)` when `pattern` matches the last user message."""

    pattern: str
    tool: str
    arguments: ArgumentBuilder

    def match(self, text: str) -> re.Match[str] | None:
        """Case-insensitive search of `pattern` in `text`."""
        return re.search(self.pattern, text, re.IGNORECASE)


STORY = (
    "Once upon a time, in a small village at the edge of a great forest, there lived a "
    "clockmaker who could fix anything that ticked. Every morning she opened her shop, "
    "wound the tall clocks along the wall, and listened to them chime together like a small "
    "choir. One winter day a traveller brought her a silver watch that ran backwards. She "
    "worked on it for seven nights, and on the eighth night the watch began to tell not the "
    "time, but the weather of the following day. The villagers came from far and wide to ask "
    "whether to plant, to harvest, or to stay at home, and the clockmaker never charged them "
    "a single coin. When the traveller finally returned, he smiled, took back his watch, and "
    "left her a clock of her own that always showed the right time for a cup of tea. And "
    "that is why, to this day, the village stops whatever it is doing at four o'clock."
)
"""A long reply, for interruption tests."""

DEFAULT_RULES: tuple[ToolRule, ...] = (
    ToolRule(r"turn on the (\w+) lights?", "turn_on_lights", lambda m: {"room": m[1].lower()}),
    ToolRule(r"weather in (\w+)", "get_weather", lambda m: {"city": m[1]}),
)
"""Rules for the example agent's `turn_on_lights(room)` and `get_weather(city)` tools."""

DEFAULT_REPLIES: Mapping[str, str] = {
    r"\b(story|long)\b": STORY,
    r"^\W*(hello|hi|hey)\b": "Hello! How can I help you today?",
}

DEFAULT_GREETING = "Hello! I am your offline assistant. How can I help?"


class ScriptedLLM(llm.LLM):  # type: ignore[type-arg]  # generic only in newer 1.x
    """A rule-based LLM that streams word tokens and calls tools; no model, no network.

    Args:
        rules: tool rules, tried in order; a rule only fires if the agent offers that tool.
        replies: regex -> reply text for user messages (searched case-insensitively);
            `{text}` in a reply is replaced by the user's message.
        reply: optional callable `text -> str | None` consulted before `replies`.
        fallback: reply when nothing matched; `{text}` is the user's message.
        tool_reply: reply after a tool result; `{output}` is the tool's output.
        greeting: reply when there is no user message yet (e.g. `generate_reply()` on enter).
        token_delay: seconds between streamed tokens.
    """

    def __init__(
        self,
        *,
        rules: Sequence[ToolRule] = DEFAULT_RULES,
        replies: Mapping[str, str] = DEFAULT_REPLIES,
        reply: Callable[[str], str | None] | None = None,
        fallback: str = "You said: {text}",
        tool_reply: str = "Done. {output}",
        greeting: str = DEFAULT_GREETING,
        token_delay: float = 0.02,
    ) -> None:
        super().__init__()
        self.rules = list(rules)
        self.replies = dict(replies)
        self.reply = reply
        self.fallback = fallback
        self.tool_reply = tool_reply
        self.greeting = greeting
        self.token_delay = token_delay

    @property
    def model(self) -> str:
        """Model name reported in metrics."""
        return "scripted"

    @property
    def provider(self) -> str:
        """Provider name reported in metrics."""
        return "agentconsole"

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[Any] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        parallel_tool_calls: NotGivenOr[bool] = NOT_GIVEN,
        tool_choice: NotGivenOr[Any] = NOT_GIVEN,
        extra_kwargs: NotGivenOr[dict[str, Any]] = NOT_GIVEN,
    ) -> ScriptedLLMStream:
        """Start a scripted reply to `chat_ctx` (see the class docstring for the rules)."""
        return ScriptedLLMStream(
            self, chat_ctx=chat_ctx, tools=list(tools or []), conn_options=conn_options
        )

    def respond(self, chat_ctx: llm.ChatContext, tool_names: Iterable[str]) -> Response:
        """Decide the reply to `chat_ctx`: a text, or a tool call. Pure, no side effects."""
        last = _last_turn_item(chat_ctx)
        if last is None or getattr(last, "type", None) != "function_call_output":
            text = _text_of(last) if last is not None else None
            if text is None:
                return Response(text=self.greeting)
            available = set(tool_names)
            for rule in self.rules:
                m = rule.match(text)
                if m and rule.tool in available:
                    return Response(tool=rule.tool, arguments=rule.arguments(m))
            return Response(text=self._reply_to(text, chat_ctx))
        output = str(getattr(last, "output", ""))
        return Response(text=self.tool_reply.format(output=output))

    def _reply_to(self, text: str, chat_ctx: llm.ChatContext) -> str:
        if self.reply is not None:
            custom = self.reply(text)
            if custom is not None:
                return custom
        for pattern, reply in self.replies.items():
            if re.search(pattern, text, re.IGNORECASE):
                return _fill(reply, text, chat_ctx)
        return _fill(self.fallback, text, chat_ctx)


def _fill(template: str, text: str, chat_ctx: llm.ChatContext) -> str:
    """Replace ``{text}`` (the user's message), ``{first}`` (the first thing the user said in
    this conversation) and ``{turns}`` (how many user messages it has)."""
    said = [
        t
        for item in chat_ctx.items
        if getattr(item, "type", None) == "message" and getattr(item, "role", None) == "user"
        for t in [_text_of(item)]
        if t
    ]
    first = said[0] if said else text
    return (
        template.replace("{text}", text)
        .replace("{first}", first)
        .replace("{turns}", str(len(said)))
    )


@dataclass(frozen=True)
class Response:
    """What `ScriptedLLM.respond` decided: `text` to stream, or a `tool` call."""

    text: str = ""
    tool: str | None = None
    arguments: dict[str, Any] | None = None


class ScriptedLLMStream(llm.LLMStream):
    """Streams one scripted response as `ChatChunk`s."""

    def __init__(
        self,
        scripted: ScriptedLLM,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[Any],
        conn_options: APIConnectOptions,
    ) -> None:
        super().__init__(scripted, chat_ctx=chat_ctx, tools=tools, conn_options=conn_options)
        self._scripted = scripted

    async def _run(self) -> None:
        request_id = "scripted-" + uuid.uuid4().hex[:8]
        names = [n for n in (tool_name(t) for t in self._tools) if n]
        response = self._scripted.respond(self._chat_ctx, names)
        if response.tool is not None:
            call = llm.FunctionToolCall(
                name=response.tool,
                arguments=json.dumps(response.arguments or {}),
                call_id="call_" + uuid.uuid4().hex[:10],
            )
            self._event_ch.send_nowait(
                llm.ChatChunk(
                    id=request_id, delta=llm.ChoiceDelta(role="assistant", tool_calls=[call])
                )
            )
            completion = 1
        else:
            tokens = re.findall(r"\s*\S+", response.text)
            for i, token in enumerate(tokens):
                if i and self._scripted.token_delay > 0:
                    await asyncio.sleep(self._scripted.token_delay)
                self._event_ch.send_nowait(
                    llm.ChatChunk(
                        id=request_id, delta=llm.ChoiceDelta(role="assistant", content=token)
                    )
                )
            completion = len(tokens)
        prompt = sum(len((_text_of(i) or "").split()) for i in self._chat_ctx.items)
        self._event_ch.send_nowait(
            llm.ChatChunk(
                id=request_id,
                usage=llm.CompletionUsage(
                    completion_tokens=completion,
                    prompt_tokens=prompt,
                    total_tokens=completion + prompt,
                ),
            )
        )


def tool_name(tool: Any) -> str | None:
    """The name of a tool as passed to `LLM.chat`, across livekit-agents 1.x versions."""
    info = getattr(tool, "info", None)  # FunctionTool / RawFunctionTool (>= 1.2)
    if info is None:  # plain decorated functions in early 1.x
        info = getattr(tool, "__livekit_tool_info", None) or getattr(
            tool, "__livekit_raw_tool_info", None
        )
    name = getattr(info, "name", None)
    if name is None:
        name = getattr(tool, "id", None)
    return name if isinstance(name, str) else None


def _last_turn_item(chat_ctx: llm.ChatContext) -> Any:
    """The last user message or tool output (system/developer/assistant items are skipped
    only when they come after the turn-defining item; an assistant message ends the turn)."""
    for item in reversed(chat_ctx.items):
        kind = getattr(item, "type", None)
        if kind == "function_call_output":
            return item
        if kind == "message":
            role = getattr(item, "role", None)
            if role == "user":
                return item
            if role == "assistant":
                return None
    return None


def _text_of(item: Any) -> str | None:
    if getattr(item, "type", None) != "message":
        return None
    text = item.text_content
    return text.strip() if isinstance(text, str) else None
