"""The real job process, with ``WireAudioInput.push`` observed (for bench_mic_path.py).

Started by the supervisor in place of ``python``: argv is ``-m agentconsole.job --fd N ...``.
Appends ``{"t": monotonic, "h": frame hash}`` per non-silent frame to $AGENTCONSOLE_PROBE_OUT.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time

from agentconsole.job import io, runner

_out = open(os.environ["AGENTCONSOLE_PROBE_OUT"], "a", buffering=1)
_push = io.WireAudioInput.push


def push(self: io.WireAudioInput, pcm: bytes) -> None:
    now = time.monotonic()
    _push(self, pcm)
    if any(pcm):
        _out.write(
            json.dumps({"t": now, "h": hashlib.blake2b(pcm, digest_size=8).hexdigest()}) + "\n"
        )


io.WireAudioInput.push = push  # type: ignore[method-assign]
args = sys.argv[1:]
if args[:2] == ["-m", "agentconsole.job"]:
    args = args[2:]
runner.main(args)
