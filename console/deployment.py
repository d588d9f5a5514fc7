"""What a deployment hands the agent, given on the command line: the job's metadata and the
participant ``ctx.wait_for_participant()`` returns (identity, attributes).

``--job-metadata`` takes JSON text or ``@file``; ``--participant-attributes`` takes ``k=v``
(repeatable; SIP-style keys such as ``sip.phoneNumber`` are fine). Bad input raises
``ValueError`` with a one-line reason for the CLI to print.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["build_deployment"]


def _metadata(spec: str) -> str:
    if spec.startswith("@"):
        path = Path(spec[1:]).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            reason = exc.strerror or exc
            raise ValueError(f"--job-metadata {spec}: cannot read it ({reason})") from None
    else:
        text = spec
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"--job-metadata: not JSON ({exc.msg} at line {exc.lineno})") from None
    return text


def _attributes(pairs: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--participant-attributes {pair!r}: expected KEY=VALUE")
        out[key.strip()] = value
    return out


def build_deployment(
    job_metadata: str | None, identity: str | None, attributes: tuple[str, ...]
) -> dict[str, Any] | None:
    """The ``deployment`` entry of the job's ``start`` command, or None when nothing is set."""
    if job_metadata is None and identity is None and not attributes:
        return None
    return {
        "job_metadata": None if job_metadata is None else _metadata(job_metadata),
        "participant_identity": identity,
        "participant_attributes": _attributes(attributes),
    }
