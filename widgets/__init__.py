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
from agentconsole.widgets.footer import KeyFooter
from agentconsole.widgets.latency import LatencyPanel
from agentconsole.widgets.logs import LogsPane
from agentconsole.widgets.settings import SettingsPanel
from agentconsole.widgets.status import HeaderBar, SessionPanel
from agentconsole.widgets.vad_graph import VadGraph

__all__ = [
    "AgentTurnView",
    "BlockedView",
    "ConversationView",
    "CrashView",
    "ErrorLineView",
    "HeaderBar",
    "KeyFooter",
    "LatencyPanel",
    "LogsPane",
    "MarkerView",
    "SessionPanel",
    "SettingsPanel",
    "ToolCard",
    "UserTurnView",
    "VadGraph",
]
