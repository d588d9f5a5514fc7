"""agentconsole.room."""
