"""The supervisor as a coordinator, with the injected spawn (fake jobs on the real wire).

Covers what the coordinator decides: which events reach the front end, the crash policy
without watching, commands, and the event log. Real job processes: tests/reload, tests/job.
"""

from __future__ import annotations

import json
import queue
import time
from pathlib import Path
from typing import Any

import pytest
from fake_jobs import Behaviour, FakeSpawner

from agentconsole.supervisor import HostConfig, Supervisor

pytestmark = pytest.mark.timeout(30)


class Console:
    """A supervisor with fake jobs and a queue of delivered events."""

    def __init__(self, tmp_path: Path, spawner: FakeSpawner, **config: Any) -> None:
        agent = tmp_path / "agent.py"
        agent.write_text("# not run: the jobs are fakes\n")
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self.spawner = spawner
        self.sup = Supervisor(HostConfig(agent_file=agent, **config), self.events.put, spawner)

    def __enter__(self) -> Console:
        self.sup.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sup.stop()

    def wait(self, type_: str, timeout: float = 10.0, **fields: Any) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            ev = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            self.seen.append(ev)
            if ev["type"] == type_ and all(ev.get(k) == v for k, v in fields.items()):
                return ev


def test_without_watching_a_crash_ends_the_console_with_exit_code_1(tmp_path: Path) -> None:
    spawner = FakeSpawner(Behaviour(crash_at_start="NameError: name 'x' is not defined"))
    with Console(tmp_path, spawner, watch=False) as c:
        started = c.wait("job_started")
        exited = c.wait("job_exited")
        assert exited["pid"] == started["pid"] and exited["code"] == 1
        assert exited["error"] == "NameError: name 'x' is not defined"
        assert c.sup.finished.wait(10)
    assert c.sup.exit_code == 1
    assert len(spawner.spawned) == 1  # no spare without watching, no restart
    # internal events never reach the front end
    assert not [e for e in c.seen if e["type"] in ("job_error", "history", "modules")]


def test_with_watching_a_crash_waits_and_a_manual_reload_starts_a_job(tmp_path: Path) -> None:
    spawner = FakeSpawner(Behaviour(crash_at_start="SyntaxError: invalid syntax"))
    with Console(tmp_path, spawner, watch=True) as c:
        first = c.wait("job_exited")
        assert first["error"] == "SyntaxError: invalid syntax"
        assert not c.sup.finished.is_set() and c.sup.exit_code == 0
        c.sup.command({"cmd": "reload"})
        reload = c.wait("reload")
        assert (reload["files"], reload["reason"]) == ([], "manual")
        started = c.wait("job_started")
        hello = c.wait("hello")  # the active job's hello reaches the front end
        ready = c.wait("job_ready")
        assert started["pid"] == hello["pid"] == ready["pid"] == spawner.spawned[1].pid
        deadline = time.monotonic() + 10
        while not c.sup.spare_warm:
            assert time.monotonic() < deadline
            time.sleep(0.01)
    spare = spawner.spawned[2]
    # the spare's hello is not part of the session
    assert [e for e in c.seen if e["type"] == "hello" and e["pid"] == spare.pid] == []


def test_commands_need_a_ready_agent_and_a_known_name(tmp_path: Path) -> None:
    with Console(tmp_path, FakeSpawner(Behaviour(ready=False)), watch=False) as c:
        c.wait("job_started")
        c.sup.command({"cmd": "say", "text": "hi"})
        error = c.wait("error")
        assert (error["level"], error["message"]) == ("warning", "say: no agent is running")
        c.sup.command({"cmd": "dance"})
        assert c.wait("error")["message"] == "unknown command: 'dance'"
        c.sup.command({"cmd": "mute", "on": True})  # no audio at all: reported here
        assert c.wait("audio")["muted"] is True


def test_commands_reach_the_ready_job_and_quit_ends_everything(tmp_path: Path) -> None:
    spawner = FakeSpawner()
    with Console(tmp_path, spawner, watch=False, record_dir=tmp_path / "rec") as c:
        c.wait("job_ready")
        c.sup.command({"cmd": "user_text", "text": "what time is it"})
        c.sup.command({"cmd": "quit"})
        assert c.sup.finished.wait(10)
    (job,) = spawner.spawned
    assert {"cmd": "user_text", "text": "what time is it"} in job.commands
    assert job.commands[-1] == {"cmd": "shutdown"} and job.returncode == 0
    recorded = [json.loads(line) for line in (tmp_path / "rec" / "events.jsonl").open()]
    types = [e["type"] for e in recorded]
    assert types[0] == "job_started" and "job_ready" in types
    assert all(isinstance(e["t"], float) for e in recorded)
    assert recorded[-1]["type"] == "job_exited"
