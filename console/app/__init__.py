"""agentconsole.app: the Textual application (imported lazily by the CLI)."""

from __future__ import annotations

from agentconsole.app.app import AgentConsoleApp
from agentconsole.state import CommandSink, ConsoleInfo

__all__ = ["AgentConsoleApp", "CommandSink", "ConsoleInfo"]
