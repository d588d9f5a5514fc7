"""``HostConfig``: what the console runs and how (built by the CLI, read by the supervisor)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .events import Start

__all__ = ["HostConfig"]


@dataclass
class HostConfig:
    """What the console runs and how. Built by the CLI."""

    agent_file: Path
    log_level: str = "info"
    audio: Any = None
    """An ``agentconsole.audio.AudioConfig``, or None for no audio at all (text only)."""
    record_dir: Path | None = None
    watch: bool = True
    watch_paths: list[Path] = field(default_factory=list)
    spare: bool | None = None
    """Keep a warm spare job for fast reloads (default: when watching)."""
    python: str = sys.executable
    env: dict[str, str] = field(default_factory=dict)
    """Extra environment for job processes (room credentials travel here, never in argv)."""
    room: Any = None
    """Room-connect settings (``agentconsole.room``), or None for the local audio loop."""
    job_args: list[str] = field(default_factory=list)
    """Extra arguments for ``python -m agentconsole.job`` (room mode)."""
    clock_start: float = field(default_factory=time.monotonic)
    mock_tools: dict[str, Any] = field(default_factory=dict)
    """Tool name -> JSON value it returns instead of running (``--mock-tool``; replay)."""
    settings: dict[str, Any] = field(default_factory=dict)
    """Live-settings overrides from ``--set NAME=VALUE`` (checked by ``agentconsole.knobs``)."""
    deployment: dict[str, Any] | None = None
    """What a deployment hands the agent (``--job-metadata``, ``--participant-*``)."""

    def __post_init__(self) -> None:
        # the recording folder holds both events.jsonl and the audio
        audio = self.audio
        if self.record_dir is not None and audio is not None and audio.record_dir is None:
            audio.record_dir = self.record_dir
        if audio is not None:
            audio.clock_start = self.clock_start  # the recording event's time base

    def start_command(self, room: dict[str, Any] | None) -> Start:
        """The ``start`` every job gets (the pool adds the history and the live-settings
        overrides); ``room`` from the route."""
        return Start(
            agent_file=str(self.agent_file),
            log_level=self.log_level,
            room=room,
            mock_tools=dict(self.mock_tools) or None,
            settings=dict(self.settings),
            deployment=self.deployment,
        )
