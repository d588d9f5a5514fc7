"""Every touch of livekit-agents' non-public surface, fenced in one module.

The job host needs a few things the framework does not expose publicly:

* the console singleton ``cli.cli.AgentsConsole._instance`` that ``AgentSession.start()`` asks
  for its IO (the hook LiveKit's own consoles use);
* intercepting ``cli.run_app`` so the user's file can be run unmodified;
* ``AgentServer._entrypoint_fnc`` / ``_session_end_fnc`` (no public getters);
* building a fake-job ``JobContext`` around a mock room, as ``livekit.agents.testing`` does;
* tapping ``vad.VADStream.__anext__`` to see the session's own VAD probabilities;
* wrapping ``AgentSession.start`` to know when a session is live and to seed its history;
* the attributes the framework reads on its console singleton beyond ``acquire_io``
  (``_tcp_transport`` and its audio, LiveKit's own TCP console; ``None`` here);
* putting a carried-over conversation in front of the session's history (no public setter).

``check_version()`` runs first in the job and refuses an unsupported livekit-agents with one
clear line. See docs/compatibility.md for what differs between supported versions.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

__all__ = [
    "SUPPORTED",
    "AgentFileError",
    "UnsupportedFramework",
    "Entrypoints",
    "agents_version",
    "check_version",
    "discard_reason",
    "install_console",
    "seed_history",
    "intercept_run_app",
    "listen",
    "make_job_context",
    "pipeline_settings",
    "resolve_entrypoints",
    "set_tool_mocks",
    "tap_eot",
    "tap_push_audio",
    "running_tool_tasks",
    "tap_session_start",
    "tap_vad",
    "tap_activity",
    "is_agent_task",
    "task_outcome",
    "configure_participant",
    "warm_turn_detector",
    "warm_up",
    "skip_close_transcript_wait",
]

SUPPORTED = ((1, 3), (1, 8))
"""Lowest and highest supported livekit-agents (major, minor), inclusive."""


class UnsupportedFramework(RuntimeError):
    """The installed livekit-agents is outside the supported range."""


class AgentFileError(RuntimeError):
    """The agent file does not define something the console can run."""


def agents_version() -> str:
    """The installed livekit-agents version string."""
    from livekit.agents import __version__

    return str(__version__)


def _parse(version: str) -> tuple[int, int]:
    parts = version.split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return (0, 0)


def check_version() -> str:
    """Return the livekit-agents version, or raise ``UnsupportedFramework``."""
    version = agents_version()
    low, high = SUPPORTED
    if not low <= _parse(version) <= high:
        raise UnsupportedFramework(
            f"livekit-agents {version} is not supported by this agentconsole "
            f"(supported: {low[0]}.{low[1]} to {high[0]}.{high[1]}.x)"
        )
    return version


_CONSOLE_PRIVATE = ("_tcp_transport", "_tcp_audio_input", "_tcp_audio_output")
"""Private attributes ``AgentSession.start`` reads on the console singleton (livekit-agents
with the TCP console): ``None`` means no TCP session host."""


def install_console(console: Any) -> None:
    """Make ``console`` the framework's console singleton (``AgentSession.start`` asks it).

    ``console`` provides the public side (``enabled``, ``io_acquired``, ``acquire_io``...); the
    private attributes the framework also reads are set here, so they stay inside the fence.
    """
    from livekit.agents.cli import cli as lk_cli_mod

    for name in _CONSOLE_PRIVATE:
        if not hasattr(console, name):
            setattr(console, name, None)
    lk_cli_mod.AgentsConsole._instance = console


def intercept_run_app(captured: list[Any]) -> None:
    """Replace ``cli.run_app`` so that running the user's ``__main__`` block only records
    the server or options it was given, instead of starting LiveKit's CLI."""
    import livekit.agents.cli as lk_cli
    from livekit.agents.cli import cli as lk_cli_mod

    def run_app(server: Any, *args: Any, **kwargs: Any) -> None:
        captured.append(server)

    lk_cli.run_app = run_app
    lk_cli_mod.run_app = run_app


@dataclass
class Entrypoints:
    """What the console runs from the user's file."""

    entrypoint: Callable[[Any], Awaitable[None]]
    setup: Callable[[Any], Any] | None
    session_end: Callable[[Any], Awaitable[None]] | None


def resolve_entrypoints(captured: list[Any], namespace: dict[str, Any]) -> Entrypoints:
    """Find the entrypoint from what ``cli.run_app`` received, or an ``AgentServer`` global."""
    from livekit.agents import AgentServer, WorkerOptions

    candidates = list(captured) + [v for v in namespace.values() if isinstance(v, AgentServer)]
    if not candidates:
        raise AgentFileError(
            "the agent file never calls cli.run_app() and defines no AgentServer "
            '(is the call under `if __name__ == "__main__":`?)'
        )
    server = candidates[0]
    if isinstance(server, WorkerOptions):
        return Entrypoints(
            entrypoint=server.entrypoint_fnc,
            setup=server.prewarm_fnc,
            session_end=None,
        )
    if not isinstance(server, AgentServer):
        raise AgentFileError(f"cli.run_app() got {type(server).__name__}, not an AgentServer")
    entry = getattr(server, "_entrypoint_fnc", None)
    if entry is None:
        raise AgentFileError("the AgentServer has no @server.rtc_session() entrypoint")
    return Entrypoints(
        entrypoint=entry,
        setup=getattr(server, "setup_fnc", None) or getattr(server, "_setup_fnc", None),
        session_end=getattr(server, "_session_end_fnc", None),
    )


def make_job_context(
    *,
    room: Any,
    proc: Any,
    on_shutdown: Callable[[str], None],
    fake: bool = True,
    url: str = "",
    token: str = "",
    identity: str = "agent",
    metadata: str = "",
) -> Any:
    """Build a ``JobContext`` for a job with no worker, as ``livekit.agents.testing`` does,
    and make it the current job context. Returns the context."""
    from livekit.agents import utils
    from livekit.agents.job import (
        JobAcceptArguments,
        JobContext,
        RunningJobInfo,
        _JobContextVar,
    )
    from livekit.protocol import agent as agent_proto
    from livekit.protocol import models

    room_name = getattr(room, "name", None) or "console"
    job = agent_proto.Job(
        id=utils.shortuuid("AJ_console_"),
        room=models.Room(name=str(room_name), sid=utils.shortuuid("RM_")),
        type=agent_proto.JobType.JT_ROOM,
        metadata=metadata,  # ctx.job.metadata (--job-metadata)
    )
    info = RunningJobInfo(
        accept_arguments=JobAcceptArguments(identity=identity, name="", metadata=""),
        job=job,
        url=url,
        token=token,
        worker_id="agentconsole",
        fake_job=fake,
    )

    class _NoInference:
        async def do_inference(self, method: str, data: bytes) -> bytes | None:
            raise NotImplementedError("no inference executor in an agentconsole job")

    ctx = JobContext(
        proc=proc,
        info=info,
        room=room,
        on_connect=lambda: None,
        on_shutdown=on_shutdown,
        inference_executor=_NoInference(),
    )
    if fake:
        # the mock room is "connected" already: JobContext.connect() must be a no-op
        ctx._connected = True
    _JobContextVar.set(ctx)
    return ctx


def make_job_process() -> Any:
    """A ``JobProcess`` for prewarm (``proc.userdata``)."""
    from livekit.agents.job import JobExecutorType, JobProcess

    return JobProcess(executor_type=JobExecutorType.THREAD, user_arguments=None, http_proxy=None)


def create_mock_room() -> Any:
    """The framework's mock room for console jobs (connected, one remote participant)."""
    from livekit.agents.ipc.mock_room import create_mock_room as _create

    return _create()


async def run_shutdown_callbacks(ctx: Any, reason: str) -> None:
    """Run the callbacks the user registered with ``ctx.add_shutdown_callback``."""
    callbacks = list(getattr(ctx, "_shutdown_callbacks", []))
    if callbacks:
        await asyncio.gather(*(cb(reason) for cb in callbacks), return_exceptions=True)


def skip_close_transcript_wait(session: Any) -> bool:
    """Let ``session.aclose()`` skip waiting for a last user transcript when none can come.

    On close the framework commits the user's turn: with no final transcript in the last
    0.5 s it pushes 2 s of silence into the STT and waits up to 2 s for one (both 1.3 and
    1.8). When the user is not speaking and nothing is transcribed but uncommitted, that wait
    only delays the exit; the audio recognition is told it is closing, which makes the commit
    a no-op. Returns True when it was.
    """
    activity = getattr(session, "_activity", None)
    recognition = getattr(activity, "_audio_recognition", None)
    closing = getattr(recognition, "_closing", None)
    if not isinstance(closing, asyncio.Event):
        return False
    pending = (
        getattr(recognition, "_speaking", False)
        or getattr(recognition, "_audio_interim_transcript", "")
        or getattr(recognition, "_audio_transcript", "")
    )
    if pending:
        return False
    closing.set()
    return True


def primary_session(ctx: Any) -> Any | None:
    """The session the entrypoint started, if any."""
    return getattr(ctx, "_primary_agent_session", None)


def tap_vad(on_inference: Callable[[float | None, bool], None]) -> None:
    """Call ``on_inference(probability, speaking)`` for every INFERENCE_DONE of any VAD
    stream in this process (the session's own VAD; no second VAD is run), and for every
    START_OF_SPEECH / END_OF_SPEECH.

    Any VAD: ``speaking`` follows START_OF_SPEECH/END_OF_SPEECH when the inference events carry
    no flag (some VADs signal speech by those events only); ``probability`` is None until the
    VAD has given a non-zero one (a VAD with no probability reports None throughout).
    """
    import sys

    from livekit.agents import stt as lkstt
    from livekit.agents import vad as lkvad

    original = lkvad.VADStream.__anext__
    if getattr(original, "_agentconsole_tap", False):
        return
    original_init = lkvad.VADStream.__init__

    @functools.wraps(original_init)
    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        # A non-streaming STT is wrapped in a StreamAdapter that runs its own stream of the
        # same VAD, and a streaming STT may run one too (the offline Moonshine stream does):
        # same audio, their own speaking state. Report only the session's turn-taking one.
        frame = sys._getframe(1)
        secondary = False
        while frame is not None:
            if frame.f_globals.get("__name__", "").endswith("stt.stream_adapter") or isinstance(
                frame.f_locals.get("self"), lkstt.RecognizeStream
            ):
                secondary = True
                break
            frame = frame.f_back  # type: ignore[assignment]
        self._agentconsole_secondary = secondary
        self._agentconsole_speaking = False
        self._agentconsole_has_probability = False
        self._agentconsole_last_probability = None

    @functools.wraps(original)
    async def tapped(self: Any) -> Any:
        ev = await original(self)
        if getattr(self, "_agentconsole_secondary", False):
            return ev
        kind = ev.type
        has_p = getattr(self, "_agentconsole_has_probability", False)
        last_p = getattr(self, "_agentconsole_last_probability", None) if has_p else None
        # A boundary is reported when it happens: Silero sends the inference that decides it
        # (still flagged with the old state) before the START/END event, and the next
        # inference can come late under load, after the framework already acted on the end.
        if kind is lkvad.VADEventType.START_OF_SPEECH:
            self._agentconsole_speaking = True
            on_inference(last_p, True)
        elif kind is lkvad.VADEventType.END_OF_SPEECH:
            self._agentconsole_speaking = False
            on_inference(last_p, False)
        elif kind is lkvad.VADEventType.INFERENCE_DONE:
            probability = float(getattr(ev, "probability", 0.0) or 0.0)
            if probability:
                self._agentconsole_has_probability = True
            self._agentconsole_last_probability = probability
            speaking = bool(ev.speaking) or bool(getattr(self, "_agentconsole_speaking", False))
            has_p = self._agentconsole_has_probability
            on_inference(probability if has_p else None, speaking)
        return ev

    tapped._agentconsole_tap = True  # type: ignore[attr-defined]
    lkvad.VADStream.__init__ = init  # type: ignore[method-assign]
    lkvad.VADStream.__anext__ = tapped  # type: ignore[method-assign]


def tap_session_start(
    before: Callable[[Any, Any], Coroutine[Any, Any, None]],
    after: Callable[[Any], Coroutine[Any, Any, None]],
) -> None:
    """Wrap ``AgentSession.start``: ``before(session, agent)`` runs first (seed history),
    ``after(session)`` once the session is started (the job is ready)."""
    from livekit.agents import AgentSession

    original = AgentSession.start
    if getattr(original, "_agentconsole_tap", False):
        return

    @functools.wraps(original)
    async def start(self: Any, agent: Any, *args: Any, **kwargs: Any) -> Any:
        await before(self, agent)
        # the end-of-turn model loads on a worker thread, not on the session's loop
        await asyncio.to_thread(warm_turn_detector, self, agent)
        result = await original(self, agent, *args, **kwargs)
        await after(self)
        return result

    start._agentconsole_tap = True  # type: ignore[attr-defined]
    AgentSession.start = start  # type: ignore[method-assign]


async def seed_history(session: Any, agent: Any, chat_ctx: dict[str, Any]) -> int:
    """Put the previous job's conversation in front of the new agent's context and the
    session's history, before ``AgentSession.start``. Instructions (system/developer messages)
    are left to the new code. Returns the number of items carried over."""
    import logging

    from livekit.agents import llm

    try:
        previous = llm.ChatContext.from_dict(chat_ctx)
    except Exception as exc:  # a bad history must not stop the job
        logging.getLogger("agentconsole.job").warning("could not restore the conversation: %s", exc)
        return 0
    items = [
        item
        for item in previous.items
        if not (
            getattr(item, "type", "") == "message"
            and getattr(item, "role", "") in ("system", "developer")
        )
        and getattr(item, "type", "") != "agent_handoff"
    ]
    if not items:
        return 0
    # the agent: its public update_chat_ctx (before start it only replaces the context); the
    # carried calls stay even if the new code renamed its tools, as the history shows them
    merged = agent.chat_ctx.copy()
    merged.items[:0] = list(items)
    try:
        await agent.update_chat_ctx(merged, exclude_invalid_function_calls=False)
    except TypeError:  # livekit-agents without that keyword: nothing is excluded anyway
        await agent.update_chat_ctx(merged)
    # the session: ``history`` is the live context and there is no public setter
    session.history.items[:0] = list(items)
    return len(items)


# replay (issue 12)


def set_tool_mocks(session: Any, agent_type: type, mocks: dict[str, Any]) -> bool:
    """Make ``mocks`` (tool name -> the value it returns) the session's mock set for
    ``agent_type``, through the framework's ``mock_tools(..., session=...)``. False when this
    livekit-agents has no session-scoped mocks (the tools then run for real)."""
    try:
        from livekit.agents.voice.run_result import mock_tools
    except ImportError:
        return False

    def returning(value: Any) -> Callable[[], Awaitable[Any]]:
        async def mock() -> Any:
            return value

        return mock

    try:
        mock_tools(agent_type, {n: returning(v) for n, v in mocks.items()}, session=session)
    except TypeError:  # mock_tools without session=: only the test-scoped form exists
        return False
    return True


# ---------------------------------------------------------------------------------------------
# Agent shapes (issue 9): handoffs and tasks, the deployment's participant


def tap_activity(on_switch: Callable[[Any, Any, bool], None]) -> None:
    """Call ``on_switch(session, agent, resumed)`` whenever an agent's activity starts
    (session start, a handoff, an ``AgentTask``) or resumes (back from an ``AgentTask``).
    It runs at the switch itself, before the new agent's ``on_enter``."""
    from livekit.agents.voice.agent_activity import AgentActivity

    original_start = AgentActivity.start
    if getattr(original_start, "_agentconsole_tap", False):
        return
    original_resume = AgentActivity.resume

    def notify(activity: Any, resumed: bool) -> None:
        try:
            on_switch(activity.session, activity.agent, resumed)
        except Exception:  # reporting must never break the session
            pass

    @functools.wraps(original_start)
    async def start(self: Any, *args: Any, **kwargs: Any) -> Any:
        notify(self, False)
        return await original_start(self, *args, **kwargs)

    @functools.wraps(original_resume)
    async def resume(self: Any, *args: Any, **kwargs: Any) -> Any:
        notify(self, True)
        return await original_resume(self, *args, **kwargs)

    start._agentconsole_tap = True  # type: ignore[attr-defined]
    AgentActivity.start = start  # type: ignore[method-assign]
    AgentActivity.resume = resume  # type: ignore[method-assign]


def is_agent_task(agent: Any) -> bool:
    """True for an ``AgentTask`` (a sub-agent awaited for a result)."""
    from livekit.agents.voice.agent import AgentTask

    return isinstance(agent, AgentTask)


def task_outcome(task: Any) -> tuple[Any, BaseException | None]:
    """``(result, error)`` of a finished ``AgentTask`` (``(None, None)`` if not finished)."""
    fut = getattr(task, "_AgentTask__fut", None)
    if not isinstance(fut, asyncio.Future) or not fut.done():
        return None, None
    if fut.cancelled():
        return None, asyncio.CancelledError("cancelled")
    error = fut.exception()
    return (None, error) if error is not None else (fut.result(), None)


def configure_participant(
    room: Any, *, identity: str | None, attributes: dict[str, str] | None
) -> None:
    """Console mode: give the mock room's remote participant (what ``ctx.wait_for_participant()``
    returns) the identity and attributes a deployment would. SIP-style attributes
    (``sip.*``) make it a SIP participant, as a phone caller is."""
    from livekit import rtc

    participants = getattr(room, "remote_participants", None) or {}
    for participant in list(participants.values()):
        if identity:
            participant.identity = identity
        participant.attributes = dict(attributes or {})
        if any(key.startswith("sip.") for key in attributes or {}):
            participant.kind = rtc.ParticipantKind.PARTICIPANT_KIND_SIP


# -- turn timeline (issue 10) ----------------------------------------------------------------


def discard_reason(activity: Any) -> str | None:
    """Why ``AgentActivity.push_audio`` withholds this frame from the STT, or None.

    Mirrors the framework's own test: the AEC warm-up (the agent's first
    ``aec_warmup_duration`` seconds of speech, livekit-agents >= 1.4) and uninterruptible
    speech with ``discard_audio_if_uninterruptible``.
    """
    session = getattr(activity, "_session", None)
    if session is None:
        return None
    if (
        getattr(session, "agent_state", "") == "speaking"
        and (getattr(session, "_aec_warmup_remaining", 0) or 0) > 0
        and getattr(session, "_aec_warmup_timer", None) is not None
    ):
        return "aec_warmup"
    speech = getattr(activity, "_current_speech", None)
    if speech is None or speech.done() or getattr(speech, "interrupted", False):
        return None
    if getattr(speech, "allow_interruptions", True):
        return None
    options = session.options
    interruption = getattr(options, "interruption", None)
    if isinstance(interruption, dict):
        discard = interruption.get("discard_audio_if_uninterruptible", True)
    else:
        discard = getattr(options, "discard_audio_if_uninterruptible", True)
    return "uninterruptible" if discard else None


def tap_push_audio(on_frame: Callable[[Any, str | None], None]) -> None:
    """Call ``on_frame(activity, reason)`` for every user audio frame the session receives,
    with the reason it is withheld from the STT (see :func:`discard_reason`) or None."""
    from livekit.agents.voice.agent_activity import AgentActivity

    original = AgentActivity.push_audio
    if getattr(original, "_agentconsole_tap", False):
        return

    @functools.wraps(original)
    def push_audio(self: Any, frame: Any) -> None:
        if getattr(self, "_started", False):
            try:
                reason = discard_reason(self)
            except Exception:  # a framework change must not cost the user their audio
                reason = None
            on_frame(self, reason)
        original(self, frame)

    push_audio._agentconsole_tap = True  # type: ignore[attr-defined]
    AgentActivity.push_audio = push_audio  # type: ignore[method-assign]


def tap_eot(on_eot: Callable[[float, float | None, float | None], None]) -> bool:
    """Call ``on_eot(probability, threshold, delay)`` for every end-of-turn prediction of the
    session's turn detector. Returns False on framework versions without the hook."""
    from livekit.agents.voice.agent_activity import AgentActivity

    original = getattr(AgentActivity, "on_eot_prediction", None)
    if original is None:
        return False
    if getattr(original, "_agentconsole_tap", False):
        return True

    @functools.wraps(original)
    def on_eot_prediction(self: Any, ev: Any) -> None:
        try:
            on_eot(
                float(ev.probability),
                _float_or_none(getattr(ev, "threshold", None)),
                _float_or_none(getattr(ev, "delay", None)),
            )
        finally:
            original(self, ev)

    on_eot_prediction._agentconsole_tap = True  # type: ignore[attr-defined]
    AgentActivity.on_eot_prediction = on_eot_prediction  # type: ignore[method-assign]
    return True


def _float_or_none(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


def _model_name(component: Any) -> str:
    if component is None:
        return "none"
    names = []
    for attr in ("provider", "model"):
        try:
            value = getattr(component, attr, None)
        except Exception:  # some plugins raise for an unset model
            value = None
        if isinstance(value, str) and value and value.lower() != "unknown":
            names.append(value)
    return " ".join(dict.fromkeys(names)) or type(component).__name__


def pipeline_settings(session: Any) -> dict[str, str]:
    """What owns each wait of a turn, as short human-readable settings."""
    out: dict[str, str] = {}
    vad = getattr(session, "vad", None)
    opts = getattr(vad, "_opts", None)
    silence = getattr(opts, "min_silence_duration", None)
    out["vad"] = (
        f"min_silence_duration={silence:g}s ({_model_name(vad)})"
        if isinstance(silence, (int, float))
        else f"VAD silence window ({_model_name(vad)})"
    )
    out["stt"] = f"STT {_model_name(getattr(session, 'stt', None))}"
    options = getattr(session, "options", None)
    endpointing = getattr(options, "endpointing", None)
    if isinstance(endpointing, dict) and "min_delay" in endpointing:
        min_delay: Any = endpointing.get("min_delay")
    else:
        min_delay = getattr(options, "min_endpointing_delay", None)
    detector = getattr(session, "_turn_detection", None) or getattr(session, "turn_detection", None)
    delay = f"min_endpointing_delay={min_delay:g}s" if isinstance(min_delay, (int, float)) else ""
    if detector is None or isinstance(detector, str):
        mode = detector or "vad"
        out["endpointing"] = f"{delay} (turn detection: {mode})".strip()
    else:
        out["endpointing"] = f"turn detector {_model_name(detector)}; {delay}".strip("; ")
    out["llm"] = f"LLM {_model_name(getattr(session, 'llm', None))}"
    out["tts"] = f"TTS {_model_name(getattr(session, 'tts', None))}"
    warmup = getattr(options, "aec_warmup_duration", None)
    out["aec_warmup"] = (
        f"aec_warmup_duration={warmup:g}s"
        if isinstance(warmup, (int, float))
        else "aec_warmup_duration"
    )
    out["uninterruptible"] = "allow_interruptions=False, discard_audio_if_uninterruptible"
    return out


def listen(session: Any, name: str, callback: Callable[[Any], None]) -> None:
    """Subscribe to a session event without the session's deprecation warning.

    ``AgentSession.on("metrics_collected")`` logs a deprecation warning on livekit-agents 1.8
    (into the user's logs, on every start), but the event is the only usage report that every
    supported version emits. The base emitter's ``on`` registers the same listener quietly.
    Subscribing to a name the installed version never emits is harmless.
    """
    from livekit import rtc

    rtc.EventEmitter.on(session, name, callback)


# ---------------------------------------------------------------------------------------------
# live settings (issue 15): read and change a running session's turn-taking options
#
# livekit-agents 1.3-1.4 keep them flat on ``session.options`` (``min_endpointing_delay``,
# ``min_interruption_duration``, ...); 1.5+ group them in ``session.options.turn_handling``
# (``endpointing.min_delay``, ``interruption.min_duration``, ...). Both read the interruption
# options from ``session.options`` on every use, so changing them there applies at once;
# endpointing and turn detection go through the public ``session.update_options``.

_INTERRUPTION_KEYS = {
    "min_interruption_duration": "min_duration",
    "min_interruption_words": "min_words",
    "false_interruption_timeout": "false_interruption_timeout",
}
_VAD_KEYS = (
    "activation_threshold",
    "deactivation_threshold",
    "min_speech_duration",
    "min_silence_duration",
    "prefix_padding_duration",
)


def uses_turn_handling() -> bool:
    """True when ``AgentSession`` takes ``turn_handling={...}`` (livekit-agents 1.5+)."""
    import inspect

    from livekit.agents import AgentSession

    return "turn_handling" in inspect.signature(AgentSession.__init__).parameters


def session_vad(session: Any, agent: Any = None) -> Any | None:
    """The VAD the session's turn-taking uses: the agent's own, else the session's."""
    own = getattr(agent, "vad", None) if agent is not None else None
    if own is not None and type(own).__name__ != "NotGiven":
        return own
    return getattr(session, "vad", None)


def vad_factory(vad: Any) -> str:
    """How the user builds this VAD, for the code to paste (``silero.VAD.load``)."""
    module = type(vad).__module__
    if module.startswith("livekit.plugins.silero"):
        return "silero.VAD.load"
    return f"{type(vad).__name__}"


def read_vad_options(vad: Any) -> dict[str, Any]:
    """The VAD's current options that the console can change (empty for an unknown VAD)."""
    opts = getattr(vad, "_opts", None)
    if opts is None or not callable(getattr(vad, "update_options", None)):
        return {}
    return {
        name: round(float(getattr(opts, name)), 4)
        for name in _VAD_KEYS
        if isinstance(getattr(opts, name, None), int | float)
    }


def apply_vad_option(vad: Any, name: str, value: float) -> None:
    """``vad.update_options(name=value)``: the VAD and its open streams take it at once."""
    vad.update_options(**{name: value})


def _turn_detection_label(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return type(value).__name__  # a turn detector model: shown by its class


def read_session_options(session: Any) -> dict[str, Any]:
    """The session's endpointing, turn detection and interruption options."""
    opts = session.options
    out: dict[str, Any] = {}
    handling = getattr(opts, "turn_handling", None)
    if isinstance(handling, dict):  # 1.5+
        endpointing = handling.get("endpointing") or {}
        interruption = handling.get("interruption") or {}
        out["min_endpointing_delay"] = endpointing.get("min_delay")
        out["max_endpointing_delay"] = endpointing.get("max_delay")
        for name, key in _INTERRUPTION_KEYS.items():
            out[name] = interruption.get(key)
    else:  # 1.3-1.4
        out["min_endpointing_delay"] = opts.min_endpointing_delay
        out["max_endpointing_delay"] = opts.max_endpointing_delay
        for name in _INTERRUPTION_KEYS:
            out[name] = getattr(opts, name, None)
    out["turn_detection"] = _turn_detection_label(getattr(session, "turn_detection", None))
    if hasattr(opts, "aec_warmup_duration"):  # 1.6+
        out["aec_warmup_duration"] = opts.aec_warmup_duration
    return out


def raw_turn_detection(session: Any) -> Any:
    """The session's turn detection as the framework has it (a mode or a model)."""
    return getattr(session, "turn_detection", None)


def apply_session_option(session: Any, name: str, value: Any) -> None:
    """Change one session option now (``name`` is the flat ``AgentSession`` keyword)."""
    opts = session.options
    handling = getattr(opts, "turn_handling", None)
    if name in ("min_endpointing_delay", "max_endpointing_delay"):
        if isinstance(handling, dict):
            key = "min_delay" if name == "min_endpointing_delay" else "max_delay"
            session.update_options(endpointing_opts={key: value})
        else:
            session.update_options(**{name: value})
    elif name == "turn_detection":
        session.update_options(turn_detection=value)
    elif name in _INTERRUPTION_KEYS:
        if isinstance(handling, dict):
            handling["interruption"][_INTERRUPTION_KEYS[name]] = value
        else:
            setattr(opts, name, value)
    elif name == "aec_warmup_duration":
        opts.aec_warmup_duration = value
        # the warm-up starts with the agent's first speech: until then the new length applies
        if getattr(session, "_aec_warmup_timer", True) is None:
            session._aec_warmup_remaining = value or 0.0
    else:
        raise KeyError(name)


# ---------------------------------------------------------------------------------------------
# Watchdog: the tasks that run tool calls (stuck tools, cancel_tool)

_TASK_INFO_ATTR = "__livekit_agents_activity_task"  # set by voice.agent._set_activity_task_info


def running_tool_tasks() -> list[tuple[str, str, asyncio.Task[Any]]]:
    """``(call_id, name, task)`` for every task running a tool call on this loop.

    The framework tags each tool task with the function call it runs (1.3 to 1.8); newer
    versions run the body in a second task tagged the same way, so a call may have two.
    """
    found: list[tuple[str, str, asyncio.Task[Any]]] = []
    for task in asyncio.all_tasks():
        info = getattr(task, _TASK_INFO_ATTR, None)
        call = getattr(info, "function_call", None)
        call_id = getattr(call, "call_id", None)
        if call_id and not task.done():
            found.append((str(call_id), str(getattr(call, "name", "?")), task))
    return found


# ---------------------------------------------------------------------------------------------
# Watchdog: the framework's lazy one-time work, done before the session is live
#
# Each of these would otherwise run on the event loop after ``job_ready``, a 0.1-0.5 s stall
# the watchdog would (rightly) report, though it is not the agent's doing.


def warm_up() -> None:
    """Build what the framework builds lazily on first use, in every session: the basic
    hyphenator the ``TranscriptSynchronizer`` uses at the first segment (~0.1 s of Python),
    and the pydantic schemas of the chat items (built at the first ``ChatMessage``, when the
    session starts: 0.1-0.4 s)."""
    import contextlib

    with contextlib.suppress(Exception):
        from livekit.agents.tokenize import basic

        basic.hyphenate_word("warm")
    with contextlib.suppress(Exception):
        from livekit.agents import llm

        ctx = llm.ChatContext.empty()
        ctx.add_message(role="system", content="warm")
        ctx.add_message(role="user", content="warm")
        call = llm.FunctionCall(call_id="warm", name="warm", arguments="{}")
        ctx.items.append(call)
        ctx.items.append(llm.FunctionCallOutput(call_id="warm", output="", is_error=False))
        ctx.copy()
        ctx.to_dict(exclude_timestamp=False)


def warm_turn_detector(session: Any, agent: Any) -> None:
    """Load the local end-of-turn model before the session starts, when the session will use
    it (the framework's default turn detector in 1.8): its first use costs ~0.45 s."""
    try:
        from livekit.agents.voice.turn import _StreamingTurnDetector
    except ImportError:  # livekit-agents without the streaming turn detector
        return
    modes = (getattr(session, "turn_detection", None), getattr(agent, "turn_detection", None))
    if not any(isinstance(mode, _StreamingTurnDetector) for mode in modes):
        return
    try:
        import livekit.local_inference as local_inference

        local_inference.init_eot()
    except Exception:  # the first real use reports a proper error
        return
