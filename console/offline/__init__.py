"""agentconsole.offline."""
