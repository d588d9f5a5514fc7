"""agentconsole.job."""
