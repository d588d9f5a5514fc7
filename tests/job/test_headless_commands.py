"""Command lines on headless stdin, read through the typed commands of console/events.py."""

from __future__ import annotations

from agentconsole import events
from agentconsole.headless import parse_command_line


def test_a_good_line_is_its_typed_command() -> None:
    cmd = parse_command_line('{"cmd": "mute", "on": false, "extra": 1}')
    assert cmd == events.Mute(on=False)
    assert isinstance(cmd, events.Command) and cmd.to_dict() == {"cmd": "mute", "on": False}
    assert parse_command_line('{"cmd": "interrupt"}') == events.Interrupt()


def test_bad_lines_get_one_line_reasons() -> None:
    assert parse_command_line("{not json").startswith("bad command line:")  # type: ignore[union-attr]
    assert parse_command_line('{"cmd": "dance"}') == 'unknown command: {"cmd": "dance"}'
    assert parse_command_line("[1, 2]") == "unknown command: [1, 2]"
    assert parse_command_line('{"cmd": "say"}') == "command 'say' needs: text"


def test_internal_commands_are_refused_on_stdin() -> None:
    fields = '"agent_file": "x.py", "segment": 1, "played": 0, "interrupted": false'
    for name in events.internal_command_names():
        line = f'{{"cmd": "{name}", {fields}}}'
        assert parse_command_line(line) == f"unknown command: {line}"
