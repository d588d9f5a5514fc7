"""agentconsole.audio."""
