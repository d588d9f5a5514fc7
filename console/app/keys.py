"""The TUI's keys, written once (contract).

The app's bindings, its command-palette entries and the help screen are built from
:data:`KEYS`; ``docs/keys.md`` documents the same table and a test checks the two agree.
Pure data: no Textual import, so the docs test and any front end can read it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KEYS", "Key", "help_rows"]


@dataclass(frozen=True)
class Key:
    """One key of the TUI."""

    key: str
    """Textual's name of the key (``question_mark``, ``ctrl+c``)."""
    shown: str
    """How the key is written for users (footer, help screen, ``docs/keys.md``)."""
    help: str
    """What the key does (help screen)."""
    action: str | None = None
    """The app's action; ``None`` for a key Textual binds itself (``ctrl+p``)."""
    label: str = ""
    """Short label in the footer."""
    command: str | None = None
    """The ``cmd`` the key sends to the host, if any (``docs/keys.md`` lists it)."""
    palette: tuple[str, str] | None = None
    """(title, description) of its command-palette entry; ``None``: not in the palette."""
    footer: bool = True
    """Shown in the footer."""
    priority: bool = False
    """Works from anywhere, also while the input line has the focus."""


KEYS: tuple[Key, ...] = (
    Key(
        "i",
        "i",
        "interrupt the agent",
        "interrupt",
        "Interrupt",
        command="interrupt",
        palette=("Interrupt", "Stop the agent speaking"),
    ),
    Key(
        "s",
        "s",
        "type text for the agent to say",
        "prompt('say')",
        "Say",
        command="say",
        palette=("Say…", "Type text for the agent to say"),
    ),
    Key(
        "t",
        "t",
        "type text as the user",
        "prompt('user_text')",
        "Type",
        command="user_text",
        palette=("Type as the user…", "Send a typed user turn"),
    ),
    Key(
        "m",
        "m",
        "mute / unmute the microphone",
        "toggle_mute",
        "Mute",
        command="mute",
        palette=("Mute / unmute", "Toggle the microphone"),
    ),
    Key(
        "r",
        "r",
        "reload the agent now",
        "reload",
        "Reload",
        command="reload",
        palette=("Reload agent", "Restart the agent with the current code"),
    ),
    Key(
        "ctrl+t",
        "ctrl+t",
        "switch between text mode and audio mode",
        "toggle_text_mode",
        "Text/audio",
        command="mode",
        palette=("Text / audio mode", "Replies as text only, or spoken"),
        footer=False,
    ),
    Key(
        "l",
        "l",
        "show / hide logs",
        "toggle_logs",
        "Logs",
        palette=("Show / hide logs", "Toggle the logs pane"),
    ),
    Key(
        "k",
        "k",
        "on a selected tool card (tab): mock the tool with this result; again: run it",
        "mock_tool",
        "Mock tool",
        command="mock_tool",
        footer=False,
    ),
    Key(
        "u",
        "u",
        "live settings: ↑↓ select, ←→ change, x reset",
        "toggle_settings",
        "Set",  # short: the footer keeps every key up to Quit at 80 columns
        palette=("Settings", "Tune turn-taking live"),
    ),
    Key(
        "f",
        "f",
        "cycle the log level filter (logs shown)",
        "log_level",
        "Log level",
        footer=False,
    ),
    Key(
        "c",
        "c",
        "inspector: what the LLM got for the selected turn",
        "inspect",
        "LLM input",
        palette=("Inspect LLM input", "The chat context and tools of the turn"),
    ),
    Key("up", "↑ / ↓, click", "select a turn: its waterfall in the Turn pane"),
    Key(
        "question_mark",
        "?",
        "this help",
        "help",
        "Help",
        palette=("Keys", "Show the key help"),
    ),
    Key("ctrl+p", "ctrl+p", "command palette"),
    Key(
        "q",
        "q",
        "quit",
        "quit",
        "Quit",
        command="quit",
        palette=("Quit", "Stop the agent and leave"),
    ),
    Key("ctrl+c", "ctrl+c", "quit", "quit", "Quit", command="quit", footer=False, priority=True),
    Key(
        "escape",
        "esc",
        "leave the input line (without sending) or the settings panel",
        "close_prompt",
        "Leave input",
        footer=False,
    ),
)
"""Every key, in the order the help screen and the docs list them."""


def help_rows() -> list[tuple[str, str]]:
    """(keys, what) rows for the help screen: keys that do the same thing share a row."""
    rows: dict[str, list[str]] = {}
    for key in KEYS:
        rows.setdefault(key.help, []).append(key.shown)
    return [(" / ".join(shown), what) for what, shown in rows.items()]
