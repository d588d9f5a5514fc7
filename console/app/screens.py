"""Secondary screens: the key help."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from .keys import help_rows

__all__ = ["HelpScreen"]


class HelpScreen(ModalScreen[None]):
    """The keys, on top of the session."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        background: $background 60%;
    }
    HelpScreen > Vertical {
        width: 62;
        height: auto;
        border: round $accent;
        border-title-color: $accent;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
        background: $surface;
        padding: 1 2;
    }
    """

    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss_help", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        rows = [
            Content.assemble((f"{key:>12}", "bold $accent"), "   ", (what, "$foreground"))
            for key, what in help_rows()
        ]
        with Vertical() as box:
            box.border_title = "Keys"
            box.border_subtitle = "esc to close"
            yield Static(Content("\n").join(rows))

    def action_dismiss_help(self) -> None:
        """Close the help."""
        self.dismiss()
