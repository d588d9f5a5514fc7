"""The one exception type the audio engine raises."""

from __future__ import annotations

__all__ = ["AudioError"]


class AudioError(Exception):
    """An audio problem the user must fix (device, library, file). ``str()`` is one line."""
