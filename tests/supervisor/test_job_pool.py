"""The job pool's policies with an injected spawn: no real processes, seconds to run.

The fake jobs (fake_jobs.py) speak the real wire over real socketpairs; only the process is
simulated. The real-process paths are covered by tests/reload and tests/job.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fake_jobs import Behaviour, FakeProcess, FakeSpawner

from agentconsole import jobs
from agentconsole.events import Event, Start
from agentconsole.jobs import Job, JobPool

pytestmark = pytest.mark.timeout(30)


class Harness:
    """A pool with recording callbacks."""

    def __init__(self, spawner: FakeSpawner, *, keep_spare: bool = True) -> None:
        self.spawner = spawner
        self.emitted: list[dict[str, Any]] = []
        self.seen: list[tuple[int, dict[str, Any]]] = []
        self.audio: list[tuple[int, bytes]] = []
        self.exits: list[tuple[int, str | None]] = []
        self.pool = JobPool(
            spawner,
            Start(agent_file=str(Path("agent.py")), log_level="debug"),
            keep_spare=keep_spare,
            emit=self._emit,
            on_event=lambda job, ev: self.seen.append((job.pid, ev)),
            on_audio=lambda job, pcm: self.audio.append((job.pid, pcm)),
            on_exit=lambda job, error: self.exits.append((job.pid, error)),
        )

    def _emit(self, ev: Event) -> None:
        self.emitted.append(ev.to_dict())

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [e for e in self.emitted if e["type"] == type_]

    async def first_job(self) -> Job:
        job = await self.pool.spawn()
        assert job is not None
        self.pool.promote(job)
        await until(lambda: job.ready)
        return job


async def until(cond: Callable[[], object], timeout: float = 10.0) -> None:
    """Wait for a condition (the loop keeps running the pool and the fake jobs)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not cond():
        if loop.time() > deadline:
            raise AssertionError("condition not met")
        await asyncio.sleep(0.005)


async def settled() -> None:
    """Wait until every other task has ended (nothing left that could spawn a job)."""
    await until(lambda: asyncio.all_tasks() == {asyncio.current_task()})


def starts(proc: FakeProcess) -> list[dict[str, Any]]:
    return [c for c in proc.commands if c["cmd"] == "start"]


async def test_first_job_starts_then_a_spare_is_spawned_once_ready() -> None:
    h = Harness(FakeSpawner())
    job = await h.pool.spawn()
    assert job is not None
    assert len(h.spawner.spawned) == 1  # no spare before the first job is ready
    h.pool.promote(job)
    await until(lambda: h.pool.spare_warm)
    (first, spare) = h.spawner.spawned
    (start,) = starts(first)
    assert start == {
        "cmd": "start",
        "agent_file": "agent.py",
        "history": None,
        "log_level": "debug",
        "room": None,
        "mock_tools": None,
        "settings": {},
        "deployment": None,
        "answer_pending": True,
    }
    assert starts(spare) == []  # the spare waits, warm
    assert h.of_type("job_started") == [{"type": "job_started", "pid": first.pid}]
    # every event reached the coordinator, including the spare's hello
    assert [ev["type"] for pid, ev in h.seen if pid == spare.pid] == ["hello"]
    await h.pool.stop()
    await settled()


async def test_reload_takes_the_spare_retires_the_old_job_and_carries_history() -> None:
    h = Harness(FakeSpawner(Behaviour(modules=["json", "livekit.plugins.silero"])))
    job = await h.first_job()
    await until(lambda: h.pool.spare_warm)
    chat = {"items": [{"type": "message", "role": "user", "content": ["hi"]}]}
    wire = h.spawner.spawned[0].wire
    assert wire is not None
    wire.send({"type": "history", "chat_ctx": chat})
    await until(lambda: h.pool.history == chat)
    first, spare = h.spawner.spawned
    h.pool.settings["min_endpointing_delay"] = 2.0  # a live-settings override (the supervisor's)

    new = await h.pool.reload()

    assert new is not None and new.pid == spare.pid and h.pool.active is new
    assert len(h.spawner.spawned) == 2  # nothing spawned on the reload's critical path
    await until(lambda: starts(spare))
    assert starts(spare)[0]["history"] == chat
    assert starts(spare)[0]["settings"] == {"min_endpointing_delay": 2.0}  # they outlive reloads
    await until(lambda: first.returncode is not None)
    assert first.returncode == 0 and job.retired
    assert [c["cmd"] for c in first.commands] == ["start", "shutdown"]
    assert first.signals == []  # it left when asked
    assert h.exits == []  # a retired job's exit is not a crash
    # the next spare imports what the last job reported
    await until(lambda: len(h.spawner.spawned) == 3)
    assert h.spawner.spawned[2].preload == ["json", "livekit.plugins.silero"]
    await h.pool.stop()
    await settled()


async def test_a_crashed_job_is_reported_once_and_not_restarted() -> None:
    traceback_text = 'Traceback (most recent call last):\n  File "agent.py"\nNameError: x'
    h = Harness(FakeSpawner(Behaviour(crash_at_start=traceback_text)))
    job = await h.pool.spawn()
    assert job is not None
    h.pool.promote(job)
    await until(lambda: bool(h.exits))
    await settled()

    assert h.exits == [(job.pid, traceback_text)]
    (exited,) = h.of_type("job_exited")
    assert exited == {"type": "job_exited", "pid": job.pid, "code": 1, "error": traceback_text}
    assert len(h.spawner.spawned) == 1  # no restart, no spare for a job that never got ready
    assert h.pool.active is None and h.pool.spare is None and not h.pool.jobs

    # the next save starts a fresh job: one spawn, then a spare once it is ready
    new = await h.pool.reload()
    assert new is not None and new.pid == h.spawner.spawned[1].pid
    await until(lambda: h.pool.spare_warm)
    assert len(h.spawner.spawned) == 3
    await h.pool.stop()
    await settled()


async def test_a_spare_that_dies_is_reported_and_not_respawned_in_a_loop() -> None:
    broken = Behaviour(die_at_spawn=3, hello=False, stderr=["ImportError: no livekit"])
    h = Harness(FakeSpawner(Behaviour(), default=broken))
    await h.first_job()
    await until(lambda: bool(h.of_type("log")) and h.pool.spare is None)
    await until(lambda: len(h.pool.jobs) == 1)
    (log,) = [e for e in h.of_type("log") if e["logger"] == "agentconsole"]
    assert log["level"] == "error" and "the spare job exited (3)" in log["message"]
    assert h.pool.spare is None
    # a spare's stderr is not part of the session
    assert [e for e in h.of_type("log") if e["logger"] == "stderr"] == []
    assert len(h.spawner.spawned) == 2
    assert h.exits == [] and h.of_type("job_exited") == []
    await h.pool.stop()
    await settled()
    assert len(h.spawner.spawned) == 2


async def test_a_job_killed_without_a_word_is_reported_with_its_last_stderr_lines() -> None:
    h = Harness(FakeSpawner(Behaviour(stderr=["Fatal Python error: Segmentation fault"])))
    job = await h.first_job()
    proc = h.spawner.spawned[0]
    proc.send_signal(signal.SIGKILL)  # as if the OOM killer came by
    await until(lambda: bool(h.exits))
    error = "the job was killed by SIGKILL:\nFatal Python error: Segmentation fault"
    assert h.exits == [(job.pid, error)]
    logs = [e for e in h.of_type("log") if e["logger"] == "stderr"]
    assert logs == [
        {
            "type": "log",
            "level": "warning",
            "message": "Fatal Python error: Segmentation fault",
            "logger": "stderr",
            "pid": job.pid,
        }
    ]
    await h.pool.stop()
    await settled()


async def test_retire_escalates_to_sigterm_then_sigkill(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "STOP_GRACE", 0.05)
    monkeypatch.setattr(jobs, "KILL_GRACE", 0.05)
    stubborn = Behaviour(ignore_shutdown=True)
    deaf = Behaviour(ignore_shutdown=True, ignore_sigterm=True)
    h = Harness(FakeSpawner(stubborn, deaf), keep_spare=False)
    first = await h.first_job()
    second = await h.pool.reload()
    assert second is not None
    await until(lambda: h.spawner.spawned[0].returncode is not None)
    assert h.spawner.spawned[0].signals == [signal.SIGTERM]
    assert h.spawner.spawned[0].returncode == -signal.SIGTERM and first.retired

    await h.pool.stop()
    proc = h.spawner.spawned[1]
    assert proc.signals == [signal.SIGTERM, signal.SIGKILL]
    assert proc.returncode == -signal.SIGKILL
    await settled()
    assert h.exits == []  # stopping: no crash policy
    assert [e["code"] for e in h.of_type("job_exited")] == [-signal.SIGKILL]


async def test_stop_waits_for_a_spare_being_spawned_and_stops_it() -> None:
    h = Harness(FakeSpawner())
    await h.first_job()
    await until(lambda: len(h.spawner.spawned) == 2)  # the spare is on its way
    await h.pool.stop()
    assert all(p.returncode == 0 for p in h.spawner.spawned)
    await settled()
    assert not h.pool.jobs and len(h.spawner.spawned) == 2
    h.pool.ensure_spare()  # stopping: nothing new
    assert len(h.spawner.spawned) == 2


async def test_a_spawn_failure_is_one_error_and_no_job() -> None:
    spawner = FakeSpawner()
    spawner.fail_next = FileNotFoundError(2, "No such file or directory", "/no/python")
    h = Harness(spawner)
    assert await h.pool.spawn() is None
    (error,) = h.of_type("error")
    assert error["message"].startswith("cannot start the job process: [Errno 2]")
    assert not h.pool.jobs


async def test_terminate_unstarted_spares_the_running_session() -> None:
    h = Harness(FakeSpawner())
    await h.first_job()
    await until(lambda: h.pool.spare_warm)
    active, spare = h.spawner.spawned
    h.pool.terminate_unstarted()
    await until(lambda: spare.returncode is not None)
    assert spare.signals == [signal.SIGTERM] and active.signals == []
    await h.pool.stop()
    await settled()


async def test_agent_audio_only_from_the_active_job() -> None:
    from agentconsole import protocol

    h = Harness(FakeSpawner())
    job = await h.first_job()
    await until(lambda: h.pool.spare_warm)
    active, spare = h.spawner.spawned
    for proc, pcm in ((active, b"\x01\x00" * 240), (spare, b"\x02\x00" * 240)):
        assert proc.wire is not None
        proc.wire.send_audio(protocol.KIND_PLAY, pcm)
    # a marker after the audio on each wire: once both arrived, the audio was handled
    for proc in (active, spare):
        assert proc.wire is not None
        proc.wire.send({"type": "log", "level": "info", "message": "marker"})
    await until(lambda: len([1 for _, ev in h.seen if ev.get("message") == "marker"]) == 2)
    assert h.audio == [(job.pid, b"\x01\x00" * 240)]
    await h.pool.stop()
    await settled()


async def test_update_start_reaches_the_next_job() -> None:
    """A live ``mock_tool`` changes the ``start`` a reload sends (the mocks survive it)."""
    h = Harness(FakeSpawner(), keep_spare=False)
    await h.first_job()
    h.pool.update_start(mock_tools={"turn_on_lights": "mocked"})
    second = await h.pool.reload()
    assert second is not None
    await until(lambda: starts(h.spawner.spawned[-1]))
    (start,) = starts(h.spawner.spawned[-1])
    assert start["mock_tools"] == {"turn_on_lights": "mocked"}
    (first_start,) = starts(h.spawner.spawned[0])
    assert first_start["mock_tools"] is None
    await h.pool.stop()
    await settled()
