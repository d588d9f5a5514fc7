"""The live settings panel: the session's turn-taking settings, changed with the arrow keys.

Data in: :meth:`SettingsPanel.update_settings` (the job's ``settings`` event: what the session
really has). Out: :class:`SettingsPanel.Changed` and :class:`SettingsPanel.Reset` messages; the
app turns them into ``set`` / ``reset`` commands. A changed value shows at once, and is replaced
by the job's own report a moment later.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widget import Widget

from agentconsole.knobs import KNOBS, format_value, knob, step_value

__all__ = ["SettingsPanel"]


class SettingsPanel(Widget, can_focus=True):
    """One row per setting the session has; overrides marked; the code to paste below."""

    DEFAULT_CSS = """
    SettingsPanel {
        height: 1fr;
        width: 1fr;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        # not in the footer (it must keep the app's keys at 80 columns): the box's border says them
        Binding("left,minus", "change(-1)", "Less", show=False),
        Binding("right,plus,equals_sign", "change(1)", "More", show=False),
        Binding("x", "reset", "Reset", show=False),
    ]

    class Changed(Message):
        """The user changed a setting: ``set`` it on the session."""

        def __init__(self, name: str, value: Any) -> None:
            super().__init__()
            self.name = name
            self.value = value

    class Reset(Message):
        """The user reset a setting to the code's value."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.values: dict[str, Any] = {}
        self.overridden: list[str] = []
        self.code: list[str] = []
        self.selected = 0

    @property
    def names(self) -> list[str]:
        """The settings shown, in order (those the session has)."""
        return [k.name for k in KNOBS if k.name in self.values]

    @property
    def selected_name(self) -> str | None:
        """The setting under the cursor."""
        names = self.names
        return names[min(self.selected, len(names) - 1)] if names else None

    def select(self, name: str) -> None:
        """Put the cursor on ``name``."""
        if name in self.names:
            self.selected = self.names.index(name)
            self.refresh()

    def update_settings(
        self, values: dict[str, Any], overridden: list[str], code: list[str]
    ) -> None:
        """Show the session's settings (the job's report)."""
        self.values = dict(values)
        self.overridden = list(overridden)
        self.code = list(code)
        self.refresh()

    # -- keys -------------------------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        """Move the cursor."""
        if self.names:
            self.selected = max(0, min(self.selected + delta, len(self.names) - 1))
            self.refresh()

    def action_change(self, direction: int) -> None:
        """Step the selected value up or down and ask for it."""
        name = self.selected_name
        if name is None:
            return
        value = step_value(name, self.values.get(name), direction)
        if value == self.values.get(name):
            return
        self.values[name] = value
        if name not in self.overridden:
            self.overridden.append(name)
        self.refresh()
        self.post_message(self.Changed(name, value))

    def action_reset(self) -> None:
        """Back to the code's value for the selected setting."""
        name = self.selected_name
        if name is not None and name in self.overridden:
            self.post_message(self.Reset(name))

    # -- drawing ----------------------------------------------------------------------------

    def render(self) -> Content:
        width, height = self.size
        names = self.names
        if not names:
            return Content.styled("waiting for the session…", "$text-muted")
        name = self.selected_name
        assert name is not None
        code = [Content.styled(line, "$success") for line in self.code]
        help_line = Content.styled(knob(name).help, "italic $text-muted")

        def lines(items: list[Content]) -> int:
            return sum(max(1, -(-item.cell_length // max(width, 1))) for item in items)

        # the list first (at least a few rows), then the code to paste, then the help line
        footer = [help_line, *code]
        if lines(footer) > height - min(len(names), 5):
            footer = code
        room = max(height - lines(footer), 1)
        # scroll the list so the cursor stays in view
        first = max(0, min(self.selected - room // 2, len(names) - room))
        rows = [self._row(n, width, n == name) for n in names[first : first + room]]
        return Content("\n").join(rows + footer)

    def _row(self, name: str, width: int, selected: bool) -> Content:
        over = name in self.overridden
        value = format_value(name, self.values.get(name))
        mark = "●" if over else " "
        room = max(width - len(value) - 3, 4)
        label = name if len(name) <= room else name[: room - 1] + "…"
        gap = max(width - 2 - len(label) - len(value), 1)
        style = "bold $accent" if over else "$foreground"
        row = Content.assemble(
            (mark, "$accent"),
            " ",
            (label, "$text" if selected else "$text-muted"),
            " " * gap,
            (value, style),
        )
        return row.stylize("reverse") if selected and self.has_focus else row

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
