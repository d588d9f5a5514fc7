"""After a reload: answer the user's last message if the previous job did not.

Reload policy (docs/reload.md): the console lets an in-flight tool finish (bounded) before it
retires the old job, so the carried history holds the tool's call and output. The new job then
answers what is pending (a user message, or a tool output, with no agent reply after it),
unless the agent's own ``on_enter`` already started a reply. The tool is never called again:
its output is in the history.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PendingTurn", "pending_item"]


def pending_item(chat_ctx: dict[str, Any] | None) -> str | None:
    """``"user"`` or ``"tool"`` when the history ends waiting for an agent reply, else None."""
    for item in reversed((chat_ctx or {}).get("items") or []):
        kind = item.get("type")
        if kind == "function_call_output":
            return "tool"
        if kind == "message":
            role = item.get("role")
            if role == "user":
                return "user"
            if role == "assistant":
                return None
    return None


class PendingTurn:
    """Answers a carried-over pending turn once the new session has started."""

    def __init__(self, chat_ctx: dict[str, Any] | None, enabled: bool = True) -> None:
        self.pending = pending_item(chat_ctx) if enabled else None
        self._replied = False

    def before_start(self, session: Any) -> None:
        """Watch for a reply the agent starts by itself (``on_enter``)."""
        if self.pending is not None:
            session.on("speech_created", self._on_speech)

    def _on_speech(self, ev: Any) -> None:
        self._replied = True

    def after_start(self, session: Any) -> bool:
        """Reply to the pending turn if nothing did. Returns True when it did."""
        if self.pending is None or self._replied:
            return False
        session.generate_reply()
        return True


class ToolItems:
    """Tool calls and outputs the session has run but not yet put in its history.

    ``function_tools_executed`` comes before the framework inserts the calls and outputs into
    the session's history (livekit-agents 1.8: just after; 1.3: only once the reply to them
    is done), so a history sent at that moment would lack them, and a reload would make the
    new job call the tool again. The bridge records them here and the history it sends
    includes them.
    """

    def __init__(self) -> None:
        self._items: list[Any] = []

    def add(self, calls: Any, outputs: Any) -> None:
        """Record the items of one ``function_tools_executed`` event."""
        self._items.extend(item for item in [*calls, *outputs] if item is not None)

    def complete(self, history: Any) -> Any:
        """``history`` (a ChatContext) with the recorded items it lacks, as a copy."""
        if not self._items:
            return history
        missing = [item for item in self._items if history.get_by_id(item.id) is None]
        if not missing:
            self._items.clear()  # the framework has them now
            return history
        merged = history.copy()
        merged.insert(missing)
        return merged
