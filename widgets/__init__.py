"""Textual widgets for agentconsole: data in, pixels out (no livekit, no sounddevice)."""

from __future__ import annotations

from agentconsole.widgets.conversation import (
    AgentTurnView,
    BlockedView,
    ConversationView,
    CrashView,
    ErrorLineView,
    MarkerView,
    ToolCard,
    UserTurnView,
)
from agentconsole.widgets.latency import LatencyPanel
from agentconsole.widgets.logs import LogsPane
from agentconsole.widgets.status import HeaderBar, SessionPanel
from agentconsole.widgets.vad_graph import VadGraph

__all__ = [
    "AgentTurnView",
    "BlockedView",
    "ConversationView",
    "CrashView",
    "ErrorLineView",
    "HeaderBar",
    "LatencyPanel",
    "LogsPane",
    "MarkerView",
    "SessionPanel",
    "ToolCard",
    "UserTurnView",
    "VadGraph",
]
