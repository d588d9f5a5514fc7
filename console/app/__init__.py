"""agentconsole.app."""
