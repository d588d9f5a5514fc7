"""Connection failures as one clear line, and the SDK's log noise kept out of sight.

``rtc.Room.connect`` raises ``ConnectError`` with the Rust core's text (``engine: signal
failure: client error: 404 Not Found - <html>...``), after logging every attempt and retry on
the ``livekit`` logger. The console shows one line that says what to check instead.
"""

from __future__ import annotations

import logging
import re

__all__ = [
    "CONNECT_DEADLINE",
    "RoomConnectError",
    "SdkLogFilter",
    "describe_connect_error",
    "install_sdk_log_filter",
    "redact",
]

CONNECT_DEADLINE = 7.0
"""Seconds a connect may take before it is abandoned. The SDK alone retries a host that
accepts TCP and never answers for 20-30 s; a real server answers within a second or two."""

_STATUS = re.compile(r"\b([1-5]\d\d) ([A-Za-z][A-Za-z -]*?)(?: - |$)")
_TOKEN_QUERY = re.compile(r"(access_token=)[^&\s\"']+")
_JWT = re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+")


class RoomConnectError(Exception):
    """Joining the room failed. ``str(exc)`` is one line meant for the user."""


def redact(text: str) -> str:
    """Remove access tokens (query parameters, bare JWTs) from a text."""
    return _JWT.sub("<token>", _TOKEN_QUERY.sub(r"\1<token>", text))


def describe_connect_error(message: str, url: str, *, who: str = "the agent") -> str:
    """One line for a ``ConnectError`` message (or ``"timeout"``): what failed, what to check."""
    first = redact(message.strip().splitlines()[0] if message.strip() else "unknown error")
    lower = first.lower()
    status = _STATUS.search(first)
    if message == "timeout":
        return (
            f"{who} could not join the room: no answer from {url} within "
            f"{CONNECT_DEADLINE:.0f} s (check LIVEKIT_URL, the network or a firewall)"
        )
    if "connection refused" in lower:
        return (
            f"{who} could not join the room: {url} refused the connection "
            "(is the LiveKit server running? check LIVEKIT_URL)"
        )
    if status is not None:
        code, reason = int(status.group(1)), status.group(2).strip()
        if code in (401, 403):
            return (
                f"{who} could not join the room: {url} rejected the credentials "
                f"({code} {reason}; check LIVEKIT_API_KEY and LIVEKIT_API_SECRET)"
            )
        if code == 404:
            return (
                f"{who} could not join the room: {url} answered {code} {reason} "
                "(not a LiveKit server? check LIVEKIT_URL)"
            )
        return f"{who} could not join the room: {url} answered {code} {reason}"
    if "timed out" in lower or "timeout" in lower:
        return (
            f"{who} could not join the room: {url} did not answer in time "
            "(check LIVEKIT_URL, the network or a firewall)"
        )
    if "lookup" in lower or "resolve" in lower or "name or service" in lower or "dns" in lower:
        return (
            f"{who} could not join the room: cannot resolve the host of {url} (check LIVEKIT_URL)"
        )
    if "certificate" in lower or "tls" in lower or "ssl" in lower:
        return f"{who} could not join the room: TLS error with {url} ({_strip_engine(first)})"
    return f"{who} could not join the room at {url}: {_strip_engine(first)}"


def _strip_engine(text: str) -> str:
    for prefix in ("engine: ", "signal failure: "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return text


class SdkLogFilter(logging.Filter):
    """On the ``livekit`` logger: connection attempts and retries become debug records (the
    console reports the outcome in one line); tokens are redacted from every record."""

    _NOISE = (
        "connecting to ",
        "signal connection failed",
        "failed to connect",
        "retrying",
        "error while connecting to a room",
        "authentication rejected",
    )

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:
            return True
        clean = redact(text)
        if clean != text:
            record.msg, record.args = clean, None
        if record.levelno < logging.ERROR + 10 and any(n in text for n in self._NOISE):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger().isEnabledFor(logging.DEBUG)
        return True


def install_sdk_log_filter() -> None:
    """Attach ``SdkLogFilter`` to the ``livekit`` logger once (idempotent)."""
    logger = logging.getLogger("livekit")
    if not any(isinstance(f, SdkLogFilter) for f in logger.filters):
        logger.addFilter(SdkLogFilter())
