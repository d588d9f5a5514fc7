"""Point at the agent's own line: frames, tracebacks and stacks as ``where`` dicts.

A *where* is ``{"file", "path", "line", "function", "code"}``: ``file`` relative to the
agent's folder (what the user sees in their editor's tree), ``path`` absolute, ``code`` the
source line. The user's files are those under the agent's folder, except installed packages
(a virtualenv inside the project) and agentconsole itself.

Pure standard library; safe to call from the watchdog thread (it only reads frames).
"""

from __future__ import annotations

import linecache
import os
import sys
from collections.abc import Iterable, Sequence
from types import FrameType, TracebackType
from typing import Any

__all__ = [
    "RawFrame",
    "UserFiles",
    "current_frame",
    "describe",
    "describe_frames",
    "format_where",
    "frames_of_exception",
    "frames_of_stack",
    "frames_of_traceback",
    "innermost_user",
    "trim_loop_frames",
]

RawFrame = tuple[str, int, str]
"""``(filename, line, function)``: what is kept of a frame (frames themselves move on)."""

MAX_STACK = 40
"""Frames kept in a reported stack (the innermost ones)."""

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.realpath(__file__))) + os.sep
_INSTALLED = (os.sep + "site-packages" + os.sep, os.sep + "dist-packages" + os.sep)


class UserFiles:
    """Which source files are the user's: under ``root``, not installed, not agentconsole."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = os.path.realpath(root) + os.sep
        self._cache: dict[str, bool] = {}

    def __contains__(self, filename: str) -> bool:
        known = self._cache.get(filename)
        if known is None:
            path = os.path.realpath(filename) if os.path.isabs(filename) else filename
            known = (
                path.startswith(self.root)
                and not any(part in path for part in _INSTALLED)
                and not path.startswith(_PACKAGE_DIR)
            )
            self._cache[filename] = known
        return known

    def relative(self, filename: str) -> str:
        """``filename`` relative to the agent's folder when it is the user's; an installed
        module's path from its package (``livekit/agents/...``); else as it is."""
        if filename in self:
            path = os.path.realpath(filename) if os.path.isabs(filename) else filename
            return path[len(self.root) :]
        for part in _INSTALLED:
            if part in filename:
                return filename.rsplit(part, 1)[1]
        return filename


def frames_of_stack(frame: FrameType | None) -> list[RawFrame]:
    """A thread's stack from its current frame, outermost first."""
    out: list[RawFrame] = []
    while frame is not None:
        out.append((frame.f_code.co_filename, frame.f_lineno or 0, frame.f_code.co_name))
        frame = frame.f_back
    out.reverse()
    return out


def frames_of_traceback(tb: TracebackType | None) -> list[RawFrame]:
    """The frames of a traceback, outermost first (where the exception passed through)."""
    out: list[RawFrame] = []
    while tb is not None:
        code = tb.tb_frame.f_code
        out.append((code.co_filename, tb.tb_lineno, code.co_name))
        tb = tb.tb_next
    return out


def frames_of_exception(exc: BaseException) -> list[RawFrame]:
    """The frames of an exception's traceback; for a chained exception, of its cause's too
    (the innermost user line may be in the original error)."""
    frames = frames_of_traceback(exc.__traceback__)
    inner = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    seen = {id(exc)}
    while inner is not None and id(inner) not in seen:
        seen.add(id(inner))
        frames = frames + frames_of_traceback(inner.__traceback__)
        inner = inner.__cause__ or (None if inner.__suppress_context__ else inner.__context__)
    return frames


def trim_loop_frames(frames: Sequence[RawFrame]) -> list[RawFrame]:
    """Drop the event loop's own frames (``run_until_complete`` down to ``Handle._run``): what
    is left starts at the callback or task step the loop is running."""
    cut = 0
    for i, (filename, _, function) in enumerate(frames):
        if function == "_run" and filename.endswith(os.sep + os.path.join("asyncio", "events.py")):
            cut = i + 1
    kept = list(frames[cut:]) or list(frames)
    return kept[-MAX_STACK:]


def innermost_user(frames: Iterable[RawFrame], files: UserFiles) -> RawFrame | None:
    """The innermost frame in the user's files, or None."""
    found: RawFrame | None = None
    for frame in frames:
        if frame[0] in files:
            found = frame
    return found


def describe(frame: RawFrame, files: UserFiles) -> dict[str, Any]:
    """A frame as a *where* dict (reads the source line)."""
    filename, line, function = frame
    code = linecache.getline(filename, line).strip() if line else ""
    return {
        "file": files.relative(filename),
        "path": filename,
        "line": line,
        "function": function,
        "code": code,
    }


def describe_frames(
    frames: Sequence[RawFrame], files: UserFiles
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """``(where, stack)`` for a stack: the innermost user frame and the trimmed stack."""
    stack = trim_loop_frames(frames)
    user = innermost_user(frames, files)
    return (
        None if user is None else describe(user, files),
        [describe(frame, files) for frame in stack],
    )


def format_where(where: dict[str, Any] | None) -> str:
    """``agent.py:5 in entrypoint`` (empty for None)."""
    if not where:
        return ""
    return f"{where.get('file')}:{where.get('line')} in {where.get('function')}"


def current_frame(thread_id: int) -> FrameType | None:
    """The current frame of thread ``thread_id`` (None if it is gone)."""
    return sys._current_frames().get(thread_id)
