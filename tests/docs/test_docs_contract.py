"""The docs agree with the code: protocol tables vs console/events.py, keys vs the key table."""

from __future__ import annotations

import dataclasses
import keyword
import json
import re
from pathlib import Path

from agentconsole import events
from agentconsole.app.keys import KEYS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def tables(markdown: str) -> list[tuple[list[str], list[list[str]]]]:
    """Every Markdown table: (header cells, body rows of cells)."""
    found: list[tuple[list[str], list[list[str]]]] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("|") and i + 1 < len(lines) and lines[i + 1].startswith("|---"):
            header = cells(lines[i])
            body = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                body.append(cells(lines[i]))
                i += 1
            found.append((header, body))
        else:
            i += 1
    return found


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def field_names(text: str) -> set[str]:
    """Backticked names outside parentheses: ``a``, ``b`` (``values``) -> {a, b}."""
    previous = None
    while previous != text:  # innermost parentheses first
        previous, text = text, re.sub(r"\([^()]*\)", "", text)
    return set(re.findall(r"`([a-z_0-9]+)`", text))


def code_fields(cls: type) -> set[str]:
    # a field named after a Python keyword has a trailing underscore (``from_`` is JSON ``from``)
    return {
        f.name[:-1] if keyword.iskeyword(f.name[:-1]) else f.name for f in dataclasses.fields(cls)
    }


def protocol_tables() -> tuple[dict[str, set[str]], dict[str, set[str]], set[str], set[str]]:
    """(events, commands) as documented: name -> fields; and the internal names of each."""
    doc_events: dict[str, set[str]] = {}
    doc_commands: dict[str, set[str]] = {}
    internal_events: set[str] = set()
    internal_commands: set[str] = set()
    for header, body in tables((DOCS / "protocol.md").read_text()):
        first = header[0]
        for row in body:
            if first == "type" or first.startswith("type ("):
                (name,) = re.findall(r"`([a-z_]+)`", row[0])
                doc_events[name] = field_names(row[1])
                if first != "type":
                    internal_events.add(name)
            elif first == "command":  # the headless table: a JSON example per command
                example = json.loads(row[0].strip("`"))
                name = example.pop("cmd")
                doc_commands[name] = set(example)
            elif first.startswith("cmd ("):
                (name,) = re.findall(r"`([a-z_]+)`", row[0])
                doc_commands[name] = field_names(row[1])
                internal_commands.add(name)
    return doc_events, doc_commands, internal_events, internal_commands


def test_protocol_events_match_the_code_both_ways() -> None:
    doc_events, _, internal, _ = protocol_tables()
    assert set(doc_events) == set(events.EVENTS)
    for name, cls in events.EVENTS.items():
        assert doc_events[name] == code_fields(cls), name
    assert internal == events.internal_event_types()


def test_protocol_commands_match_the_code_both_ways() -> None:
    _, doc_commands, _, internal = protocol_tables()
    assert set(doc_commands) == set(events.COMMANDS)
    for name, cls in events.COMMANDS.items():
        assert doc_commands[name] == code_fields(cls), name
    assert internal == events.internal_command_names()


def test_the_table_parser_sees_what_it_should() -> None:
    # guards the checks above against a parser that finds nothing
    assert field_names("`pid`, `startup` (s from `start`), `phases` (`load`, `x` (`y`))") == {
        "pid",
        "startup",
        "phases",
    }
    doc_events, doc_commands, _, _ = protocol_tables()
    assert doc_events["tool_ended"] >= {"call_id", "duration"} and len(doc_events) > 20
    assert doc_commands["mute"] == {"on"}


def test_keys_page_matches_the_key_table_both_ways() -> None:
    (header, body), *_ = tables((DOCS / "keys.md").read_text())
    assert header[0] == "key"
    documented: dict[str, str] = {}
    for row in body:
        (shown,) = re.findall(r"`([^`]+)`", row[0])
        documented[shown] = row[2]
    assert set(documented) == {k.shown for k in KEYS}
    for key in KEYS:
        sent = re.findall(r'"cmd": "([a-z_]+)"', documented[key.shown])
        assert sent == ([key.command] if key.command else []), key.shown
