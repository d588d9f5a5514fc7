"""Secondary screens: the key help, the cancel-a-tool question."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from .keys import help_rows

__all__ = ["CancelToolScreen", "HelpScreen"]


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


class CancelToolScreen(ModalScreen[bool]):
    """Cancel a running tool call? ``y`` / ``enter`` yes, ``n`` / ``esc`` no."""

    DEFAULT_CSS = """
    CancelToolScreen {
        align: center middle;
        background: $background 60%;
    }
    CancelToolScreen > Vertical {
        width: 66;
        height: auto;
        border: round $warning;
        border-title-color: $warning;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
        background: $surface;
        padding: 1 2;
    }
    """

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Cancel the tool", show=False),
        Binding("n,escape,q", "answer(False)", "Keep it running", show=False),
    ]

    def __init__(self, name: str, detail: str) -> None:
        super().__init__()
        self._tool = name
        self._detail = detail

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"Cancel {self._tool}?"
            box.border_subtitle = "y cancels · n keeps it running"
            yield Static(
                Content.assemble(
                    (f"{self._tool}", "bold $accent"),
                    " is still running",
                    (f"\n{self._detail}" if self._detail else "", "$text-muted"),
                    "\n\nIts task gets CancelledError; the agent sees the tool failed.",
                )
            )

    def action_answer(self, yes: bool) -> None:
        """Close with the answer."""
        self.dismiss(yes)
