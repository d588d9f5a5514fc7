"""Bad values of --job-metadata / --participant-attributes: one clear line, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import run_cli

AGENT = str(Path(__file__).with_name("participant.py"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--job-metadata", "{not json"), "--job-metadata: not JSON"),
        (("--job-metadata", "@/no/such/meta.json"), "cannot read it"),
        (("--participant-attributes", "no-equals-sign"), "expected KEY=VALUE"),
        (("--participant-attributes", "=value"), "expected KEY=VALUE"),
    ],
)
def test_bad_deployment_values(args: tuple[str, ...], message: str) -> None:
    result = run_cli(AGENT, "--headless", *args)
    assert result.returncode == 2
    stderr = result.stderr.strip()
    assert "Traceback" not in stderr and len(stderr.splitlines()) == 1, stderr
    assert stderr.startswith("agentconsole: ") and message in stderr
