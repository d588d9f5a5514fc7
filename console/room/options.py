"""``--room`` options: validate them, read the agent folder's ``.env``, fill the host config.

The API secret goes to job processes through their environment (``HostConfig.env``), never
their argv, and is never part of ``RoomConfig`` (which may be printed or logged).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "AGENT_IDENTITY",
    "ENV_KEY",
    "ENV_SECRET",
    "ENV_URL",
    "RoomConfig",
    "RoomStatus",
    "Secret",
    "configure_room",
    "credentials",
    "finish_room_mode",
    "read_dotenv",
]

ENV_URL = "LIVEKIT_URL"
ENV_KEY = "LIVEKIT_API_KEY"
ENV_SECRET = "LIVEKIT_API_SECRET"

AGENT_IDENTITY = "agentconsole-agent"
"""The agent's identity in the room. Stable on purpose: a reloaded job joins under the same
identity, so the server replaces the old agent instead of showing two."""

_SCHEMES = ("ws://", "wss://", "http://", "https://")
_ROOM_NAME = re.compile(r"^[^\s/]{1,256}$")
_IDENTITY = re.compile(r"^\S{1,256}$")


class Secret(str):
    """A string whose ``repr`` hides it (credentials in dicts and dataclasses)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'"


@dataclass
class RoomStatus:
    """What went wrong in room mode, for the CLI's last line (set by the supervisor)."""

    failure: str | None = None
    """One line: why the console gave up on the room."""
    source: str | None = None
    """``"console"`` (the console's participant) or ``"job"`` (the agent's connection)."""
    exit_code: int = 0


@dataclass(frozen=True)
class RoomConfig:
    """Room-connect settings. Holds no credentials: those are in ``HostConfig.env``."""

    name: str
    url: str
    identity: str = "console-user"
    """The console's own participant (the developer)."""
    agent_identity: str = AGENT_IDENTITY
    local_participant: bool = True
    """Join as a participant with the microphone; off when someone else is the caller."""
    env_file: Path | None = None
    """The ``.env`` credentials were read from, if any."""
    status: RoomStatus = field(default_factory=RoomStatus, compare=False, repr=False)

    def start_entry(self) -> dict[str, str]:
        """The ``room`` entry of the job's ``start`` command (no secret in it)."""
        return {"name": self.name, "url": self.url, "identity": self.agent_identity}


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a ``.env`` file: ``KEY=value`` lines, optional ``export``, quotes, ``#`` comments.
    Enough for credentials; no interpolation."""
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return values
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key] = value
    return values


def configure_room(
    config: Any,
    *,
    room: str,
    url: str | None,
    api_key: str | None,
    api_secret: str | None,
    identity: str,
    local_participant: bool,
    fail: Callable[[str, int], object],
) -> None:
    """Validate the room options and set ``config.room`` and ``config.env``.

    Precedence: the command line, then the environment (click already merged those two), then
    a ``.env`` in the agent's folder. Bad or missing values end with ``fail(message, 2)``.
    """
    env_file = Path(config.agent_file).parent / ".env"
    dotenv = read_dotenv(env_file) if env_file.is_file() else {}
    used_dotenv = False

    def pick(value: str | None, name: str) -> str | None:
        nonlocal used_dotenv
        if value:
            return value
        if dotenv.get(name):
            used_dotenv = True
            return dotenv[name]
        return None

    url = pick(url, ENV_URL)
    api_key = pick(api_key, ENV_KEY)
    api_secret = pick(api_secret, ENV_SECRET)

    def bad(message: str) -> None:
        fail(message, 2)
        raise SystemExit(2)  # fail() exits; this keeps the types honest if it did not

    if not _ROOM_NAME.match(room):
        bad(f"--room {room!r}: not a room name (no spaces or slashes)")
    if not _IDENTITY.match(identity):
        bad(f"--identity {identity!r}: not a participant identity (no spaces)")
    if identity == AGENT_IDENTITY:
        bad(f"--identity {identity!r} is the agent's identity; choose another")
    missing = [
        what
        for what, value in (
            (f"--url / {ENV_URL}", url),
            (f"--api-key / {ENV_KEY}", api_key),
            (f"--api-secret / {ENV_SECRET}", api_secret),
        )
        if not value
    ]
    if missing:
        bad(f"--room needs {', '.join(missing)} (options, environment or the agent's .env)")
    assert url is not None and api_key is not None and api_secret is not None
    url = url.strip()
    if not url.startswith(_SCHEMES):
        bad(f"--url {url!r}: expected ws://, wss://, http:// or https://")

    config.room = RoomConfig(
        name=room,
        url=url,
        identity=identity,
        local_participant=local_participant,
        env_file=env_file if used_dotenv else None,
    )
    config.env.update(
        {ENV_URL: url, ENV_KEY: api_key, ENV_SECRET: Secret(api_secret)},
    )
    # the secret is in the environment of this process only if the user put it there; a job
    # reads it from its own environment, so argv never carries it
    if api_secret and _given_on_command_line():
        import sys

        print(
            "agentconsole: note: --api-secret on the command line is visible to other users in "
            f"the process list; prefer {ENV_SECRET} or a .env file",
            file=sys.stderr,
        )


def _given_on_command_line() -> bool:
    import sys

    return any(a == "--api-secret" or a.startswith("--api-secret=") for a in sys.argv[1:])


def credentials(env: dict[str, str] | None = None) -> tuple[str, str, str]:
    """``(url, api_key, api_secret)`` from ``env`` (default: this process's environment)."""
    source = os.environ if env is None else env
    return source.get(ENV_URL, ""), source.get(ENV_KEY, ""), source.get(ENV_SECRET, "")


def finish_room_mode(room: RoomConfig, code: int, *, headless: bool) -> None:
    """End the console process after a room-mode run: the one-line failure on stderr (unless
    the headless front end already printed the job's), then ``os._exit``. The LiveKit SDK's
    native threads can abort the interpreter at exit after a failed connect, which would turn
    a clear exit code into 134; nothing is left to clean up here."""
    import sys

    status = room.status
    code = code or status.exit_code
    if status.failure and not (headless and status.source == "job"):
        print(f"agentconsole: {status.failure}", file=sys.stderr)
    with _suppress_os_errors():
        sys.stdout.flush()
    with _suppress_os_errors():
        sys.stderr.flush()
    os._exit(code)


def _suppress_os_errors() -> Any:
    import contextlib

    return contextlib.suppress(OSError, ValueError)
