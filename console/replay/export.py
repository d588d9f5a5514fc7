"""``agentconsole export-test``: a recording as a pytest file on livekit-agents' testing API.

The file imports the user's agent file, builds an ``AgentSession`` with the LLM the agent file
gives its session (no STT, TTS or VAD: text in, events out), starts the same agent, and for
each recorded user turn calls ``session.run(user_input=...)`` (the typed text, or the final
transcript of what was said) and checks ``result.expect``: the tool calls (name and
arguments), their outputs, and that the agent answered with a message. It needs pytest and
livekit-agents only: no audio, no console.

Where the LLM and the agent come from: the agent file's own source. The exporter finds the
``AgentSession(..., llm=EXPR)`` call and the ``session.start(agent=EXPR)`` call and copies both
expressions, with the file's module-level names read from the imported module. When it cannot
(the LLM is built from a local variable, say), the generated file says so in ``make_llm()``.
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path
from typing import Any

from .session_file import SessionFile

__all__ = ["ExportError", "export_test_file", "find_expressions"]


class ExportError(Exception):
    """The recording cannot become a test (one-line message)."""


class _Qualify(ast.NodeTransformer):
    """Module-level names -> ``AGENT.name`` (the imported agent module)."""

    def __init__(self, names: set[str]) -> None:
        self.names = names
        self.unknown: set[str] = set()

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if isinstance(node.ctx, ast.Load):
            if node.id in self.names:
                return ast.copy_location(
                    ast.Attribute(ast.Name("AGENT", ast.Load()), node.id, ast.Load()), node
                )
            if node.id not in _BUILTINS:
                self.unknown.add(node.id)
        return node


_BUILTINS = set(dir(__import__("builtins")))


def _module_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        names.add(sub.id)
    return names


def _callee(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def find_expressions(source: str) -> tuple[str | None, str | None, list[str]]:
    """(LLM expression, agent expression, problems) from the agent file's source; each
    expression refers to module-level names as ``AGENT.name``."""
    tree = ast.parse(source)
    names = _module_names(tree)
    llm_node: ast.expr | None = None
    agent_node: ast.expr | None = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _callee(node)
        if name == "AgentSession" and llm_node is None:
            llm_node = next((k.value for k in node.keywords if k.arg == "llm"), None)
        elif name == "start" and agent_node is None and isinstance(node.func, ast.Attribute):
            agent_kw = next((k.value for k in node.keywords if k.arg == "agent"), None)
            if agent_kw is None and node.args and isinstance(node.args[0], ast.Call):
                agent_kw = node.args[0]
            if isinstance(agent_kw, ast.Call):
                agent_node = agent_kw
    problems: list[str] = []

    def render(node: ast.expr | None, what: str) -> str | None:
        if node is None:
            problems.append(f"no {what} found in the agent file")
            return None
        q = _Qualify(names)
        out = q.visit(ast.fix_missing_locations(ast.parse(ast.unparse(node), mode="eval")))
        if q.unknown:
            problems.append(f"the {what} uses names defined inside a function: {sorted(q.unknown)}")
            return None
        return ast.unparse(out)

    return (
        render(llm_node, "AgentSession(llm=...)"),
        render(agent_node, "session.start(agent=...)"),
        problems,
    )


def _user_input(turn: dict[str, Any]) -> str | None:
    text = turn.get("user_text")
    return str(text) if text else None


def export_test_file(session: SessionFile, agent_file: Path, output: Path) -> str:
    """The pytest file's text for ``session`` against ``agent_file`` (written to ``output``:
    the agent's path is stored relative to it)."""
    turns = [t for t in session.turns if _user_input(t)]
    if not turns:
        raise ExportError(f"{session.dir}: no user turn with text (nothing to test)")
    try:
        source = agent_file.read_text(encoding="utf-8")
        llm_expr, agent_expr, problems = find_expressions(source)
    except (OSError, SyntaxError, ValueError) as exc:
        raise ExportError(f"{agent_file}: cannot read the agent's source ({exc})") from None
    if agent_expr is None:
        raise ExportError(f"{agent_file}: {'; '.join(problems)}")
    rel = os.path.relpath(agent_file, output.parent)
    lines: list[str] = []
    w = lines.append
    w(f'"""A conversation recorded with agentconsole ({session.dir.name}), as a test.')
    w("")
    w("Generated by `agentconsole export-test`: each recorded user turn goes through")
    w("livekit-agents' testing API (AgentSession.run) and the tool calls, their outputs and the")
    w('reply are checked with result.expect. Runs with plain pytest: no audio, no console."""')
    w("")
    w("from __future__ import annotations")
    w("")
    w("import asyncio")
    w("import importlib.util")
    w("import json")
    w("import sys")
    w("from pathlib import Path")
    w("")
    w("from livekit.agents import AgentSession")
    w("")
    w(f"AGENT_FILE = (Path(__file__).parent / {json.dumps(rel)}).resolve()")
    w("CHECK_REPLY_TEXT = False")
    w('"""True: each reply must be the recorded text exactly (for a deterministic LLM)."""')
    w("")
    w("")
    w("def _load_agent():")
    w('    spec = importlib.util.spec_from_file_location("recorded_agent", AGENT_FILE)')
    w("    assert spec is not None and spec.loader is not None, AGENT_FILE")
    w("    module = importlib.util.module_from_spec(spec)")
    w("    sys.modules[spec.name] = module")
    w("    spec.loader.exec_module(module)")
    w("    return module")
    w("")
    w("")
    w("AGENT = _load_agent()")
    w("")
    w("")
    w("def make_llm():")
    w('    """The LLM the agent file gives its AgentSession."""')
    if llm_expr is not None:
        w(f"    return {llm_expr}")
    else:
        reason = "; ".join(p for p in problems if "llm" in p.lower()) or "not found"
        w(f"    # agentconsole could not copy it: {reason}")
        w('    raise NotImplementedError("return the LLM your agent uses here")')
    w("")
    w("")
    w("def make_agent():")
    w('    """The agent the session starts with."""')
    w(f"    return {agent_expr}")
    w("")
    w("")
    w("def _tool_calls(result):")
    w("    return [")
    w("        (ev.item.name, json.loads(ev.item.arguments or '{}'))")
    w("        for ev in result.events")
    w('        if ev.type == "function_call"')
    w("    ]")
    w("")
    w("")
    w("async def _conversation() -> None:")
    w("    async with make_llm() as llm, AgentSession(llm=llm) as session:")
    w("        await session.start(make_agent())")
    for turn in turns:
        text = _user_input(turn)
        tools = turn.get("tools") or []
        w("")
        w(f"        # turn {turn.get('index')}: {json.dumps(text, ensure_ascii=False)}")
        w(f"        result = await session.run(user_input={json.dumps(text, ensure_ascii=False)})")
        expected = [(t.get("name"), t.get("arguments") or {}) for t in tools]
        w(f"        expected = {expected!r}")
        w("        calls = _tool_calls(result)")
        w('        assert calls == expected, f"tool calls: expected {expected}, got {calls}"')
        for tool in tools:
            args = tool.get("arguments") if isinstance(tool.get("arguments"), dict) else {}
            w(
                "        result.expect.contains_function_call("
                f"name={tool.get('name')!r}, arguments={args!r})"
            )
            if tool.get("mocked"):
                w("        # (recorded with a mocked result: its output is not checked)")
            elif tool.get("error") is not None:
                w("        result.expect.contains_function_call_output(is_error=True)")
            else:
                w(
                    "        result.expect.contains_function_call_output("
                    f"output={tool.get('output')!r})"
                )
        reply = turn.get("reply") or ""
        if reply:
            w('        message = result.expect.contains_message(role="assistant")')
            w("        if CHECK_REPLY_TEXT:")
            w(f"            assert message.event().item.text_content == {reply!r}")
    w("")
    w("")
    w("def test_recorded_conversation() -> None:")
    w("    asyncio.run(_conversation())")
    return "\n".join(lines) + "\n"
