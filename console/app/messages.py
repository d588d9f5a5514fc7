"""Messages the application posts to itself."""

from __future__ import annotations

from textual.message import Message

__all__ = ["EventsPending"]


class EventsPending(Message):
    """Events are waiting in the inbox. Posted by ``feed_event`` from any thread.

    Only one is ever in flight (a flag guards it) and ``can_replace`` merges any that slip
    through, so a flood of events costs one message per frame. An ``urgent`` one (a VAD
    inference arrived) is drained without waiting for the next frame, and is never merged
    into one that is not.
    """

    def __init__(self, urgent: bool = False) -> None:
        super().__init__()
        self.urgent = urgent

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, EventsPending) and (self.urgent or not message.urgent)
