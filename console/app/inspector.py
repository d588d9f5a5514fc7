"""The inspector (key ``c``): what the LLM received for a turn, its chat context and tools."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from agentconsole.turns_state import TurnRecord

__all__ = ["InspectorScreen", "inspector_content"]

_ROLE_STYLES = {
    "system": "bold $warning",
    "developer": "bold $warning",
    "user": "bold $secondary",
    "assistant": "bold $primary",
    "tool_call": "bold $accent",
    "tool_output": "bold $success",
}


def inspector_content(turn: TurnRecord | None) -> Content:
    """The chat context and tool list of ``turn``'s LLM input, as styled text."""
    if turn is None:
        return Content.styled(
            "No turn yet: the inspector shows what the LLM got for a turn.", "$text-muted"
        )
    llm_input: dict[str, Any] | None = turn.llm_input
    if not llm_input:
        return Content.styled(
            f"Turn {turn.id}: the job did not report the LLM's input.", "$text-muted"
        )
    lines: list[Content] = []
    omitted = int(llm_input.get("omitted") or 0)
    if omitted:
        lines.append(Content.styled(f"… {omitted} earlier items not shown", "$text-muted"))
    for message in llm_input.get("messages") or []:
        role = str(message.get("role", "?"))
        lines.append(Content.styled(role, _ROLE_STYLES.get(role, "bold")))
        lines.append(Content(str(message.get("text", ""))))
        lines.append(Content(""))
    tools = llm_input.get("tools") or []
    lines.append(Content.styled(f"tools ({len(tools)})", "bold $accent"))
    for tool in tools:
        lines.append(
            Content.assemble(
                ("  " + str(tool.get("name", "?")), "bold"),
                (
                    "  " + str(tool.get("description", "")).splitlines()[0]
                    if tool.get("description")
                    else "",
                    "$text-muted",
                ),
            )
        )
    return Content("\n").join(lines)


class InspectorScreen(ModalScreen[None]):
    """What the LLM saw for one turn. Credentials never reach it: the job sends only message
    text (with secret-looking environment values redacted) and tool names/descriptions."""

    DEFAULT_CSS = """
    InspectorScreen {
        align: center middle;
        background: $background 60%;
    }
    InspectorScreen > VerticalScroll {
        width: 90%;
        height: 85%;
        border: round $accent;
        border-title-color: $accent;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
        background: $surface;
        padding: 0 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,c,q", "dismiss_inspector", "Close", show=False),
    ]

    def __init__(self, turn: TurnRecord | None) -> None:
        super().__init__()
        self.turn = turn

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            title = f"What the LLM got · turn {self.turn.id}" if self.turn else "What the LLM got"
            box.border_title = title
            box.border_subtitle = "esc closes"
            yield Static(inspector_content(self.turn), id="inspector-body")

    def action_dismiss_inspector(self) -> None:
        """Close the inspector."""
        self.dismiss(None)
