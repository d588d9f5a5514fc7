"""Textual widgets for agentconsole: data in, pixels out (no livekit, no sounddevice)."""
