"""Units of the turn timeline (issue 10): the job's segment builder, the console's clock move
and playout, and the framework taps on the real livekit-agents classes."""

from __future__ import annotations

import time
from typing import Any

from agentconsole.events import EVENTS, Event
from agentconsole.job.timeline import PLAYBACK_SEGMENT_KEY, TurnTimeline
from agentconsole.turns import TurnClock


class _Item:
    def __init__(self, role: str, text: str, metrics: dict[str, float] | None = None) -> None:
        self.role = role
        self.text_content = text
        self.metrics = metrics or {}
        self.created_at = time.time()
        self.interrupted = False


def _timeline() -> tuple[TurnTimeline, list[Event]]:
    sent: list[Event] = []
    timeline = TurnTimeline(sent.append)
    timeline._settings = {"vad": "min_silence_duration=0.55s", "llm": "LLM x", "tts": "TTS y"}
    return timeline, sent


def test_segments_tile_from_end_of_speech_to_first_audio() -> None:
    timeline, sent = _timeline()
    now = time.time()
    timeline._vad_end = now - 0.6  # the VAD's end of speech
    timeline.on_user_item(
        _Item(
            "user",
            "turn on the kitchen lights",
            {
                "stopped_speaking_at": now - 1.2,
                "transcription_delay": 0.4,  # final before the VAD's window closed
                "end_of_turn_delay": 0.8,
                "on_user_turn_completed_delay": 0.01,
            },
        )
    )
    timeline.on_tools([("turn_on_lights", now - 0.3, now - 0.25)])
    timeline._observe("text", now - 0.2, None)
    timeline._observe("audio", now - 0.1, 7)
    timeline.on_agent_item("The kitchen lights are on.", False)
    timeline.on_agent_state("listening")
    wrapper = sent[-1].to_dict()
    assert wrapper["type"] == "job_clock"
    turn = wrapper["event"]
    names = [s["name"] for s in turn["segments"]]
    assert names == [
        "vad_silence",
        "stt_final",
        "end_of_turn",
        "on_user_turn_completed",
        "llm_ttft",
        "tools",
        "llm_ttft",
        "tts_ttfb",
    ]
    segs = turn["segments"]
    assert segs[0]["start"] == turn["start"] == now - 1.2
    for a, b in zip(segs, segs[1:], strict=False):
        assert b["start"] == a["end"] and b["end"] >= b["start"]
    by = {s["name"]: s for s in segs}
    assert by["stt_final"]["end"] == by["stt_final"]["start"]  # the STT did not make anyone wait
    assert by["tools"]["setting"] == "tool turn_on_lights"
    assert turn[PLAYBACK_SEGMENT_KEY] == 7
    # the console: job clock -> console clock, then the playout segment closes the tile
    clock = TurnClock("prebuffer")
    clock.on_playback_start(7, 50.0)
    clock.on_heard(50.03)
    ev = clock.on_job_clock(wrapper, now=50.0 + (time.time() - wrapper["clock"]) * 0)
    assert ev is not None and ev["type"] == "turn" and ev["id"] == 1
    out = ev["segments"]
    assert out[-1]["name"] == "playout" and out[-1]["setting"] == "prebuffer"
    for a, b in zip(out, out[1:], strict=False):
        assert b["start"] == a["end"]
    total = sum(s["end"] - s["start"] for s in out)
    assert abs(total - ev["heard_latency"]) < 1e-3
    assert abs(ev["start"] - (50.0 - (wrapper["clock"] - (now - 1.2)))) < 1e-3
    assert EVENTS["turn"](**{k: v for k, v in ev.items() if k not in ("type", "t")})


def test_a_cleared_segment_is_never_heard_and_the_turn_says_so() -> None:
    clock = TurnClock()
    clock.on_playback_start(3, 10.0)
    clock.on_clear()
    clock.on_heard(10.5)  # belongs to nothing: the queue was cleared
    turn: dict[str, Any] = {
        "type": "turn",
        "start": 1.0,
        "segments": [{"name": "vad_silence", "start": 1.0, "end": 1.5, "setting": "x"}],
        PLAYBACK_SEGMENT_KEY: 3,
    }
    ev = clock.on_job_clock({"event": turn, "clock": 2.0}, now=2.0)
    assert ev is not None and ev["heard_latency"] is None
    assert [s["name"] for s in ev["segments"]] == ["vad_silence"]
    assert clock.on_job_clock({"event": turn}, now=2.0) is None  # malformed wrapper


def test_discarded_speech_needs_both_the_discard_and_the_vad() -> None:
    timeline, sent = _timeline()
    timeline._settings["aec_warmup"] = "aec_warmup_duration=3s"
    timeline.on_user_frame("aec_warmup")  # the agent speaks, the user is silent: nothing
    assert not sent
    timeline.on_vad(True)  # the user speaks during the warm-up
    timeline.on_vad(True)
    timeline.on_user_frame(None)  # the warm-up is over: the rest of the speech is heard
    timeline.on_vad(False)
    assert len(sent) == 1
    ev = sent[0].to_dict()["event"]
    assert ev["type"] == "user_audio_discarded" and ev["reason"] == "aec_warmup"
    assert ev["setting"] == "aec_warmup_duration=3s" and ev["end"] >= ev["start"]


def test_usage_is_per_turn_and_per_session() -> None:
    class M:
        def __init__(self, kind: str, **f: Any) -> None:
            self.type = kind
            self.__dict__.update(f)

    timeline, sent = _timeline()
    timeline.on_metrics(M("llm_metrics", prompt_tokens=40, completion_tokens=5))  # greeting
    timeline.on_agent_state("listening")  # no user turn: not charged to the next one
    timeline.on_metrics(M("stt_metrics", audio_duration=1.5))
    timeline.on_user_item(_Item("user", "hi", {"stopped_speaking_at": time.time() - 1}))
    timeline.on_metrics(
        M("llm_metrics", prompt_tokens=60, completion_tokens=7, prompt_cached_tokens=32)
    )
    timeline.on_metrics(M("tts_metrics", characters_count=12))
    timeline.on_agent_item("Hello!", False)
    timeline.on_agent_state("listening")
    usage_events = [e.to_dict() for e in sent if e.TYPE == "usage"]
    assert usage_events[-1]["llm_prompt_tokens"] == 100
    assert usage_events[-1]["stt_seconds"] == 1.5
    turn = sent[-1].to_dict()["event"]
    assert turn["usage"] == {
        "llm_prompt_tokens": 60,
        "llm_completion_tokens": 7,
        "llm_cached_tokens": 32,
        "tts_characters": 12,
        "stt_seconds": 1.5,
    }


def test_llm_input_has_no_credentials(monkeypatch: Any) -> None:
    monkeypatch.setenv("SOME_API_KEY", "sk-very-secret-value")

    from livekit.agents import Agent, ChatContext, function_tool

    class A(Agent):
        @function_tool
        async def lights(self, room: str) -> str:
            """Turn on the lights."""
            return "on"

    ctx = ChatContext()
    ctx.add_message(role="user", content="my key is sk-very-secret-value")
    agent = A(instructions="Be brief.", chat_ctx=ctx)

    class S:
        current_agent = agent

    timeline, _ = _timeline()
    timeline.session = S()
    llm_input = timeline._llm_input()
    assert llm_input is not None
    text = str(llm_input)
    assert "sk-very-secret-value" not in text
    assert llm_input["messages"][-1] == {"role": "user", "text": "my key is [redacted]"}
    assert llm_input["tools"] == [{"name": "lights", "description": "Turn on the lights."}]


def test_eot_tap_on_the_real_agent_activity() -> None:
    """The turn detector's prediction reaches the timeline through the framework's own hook
    (livekit-agents with ``AgentActivity.on_eot_prediction``; older versions report False)."""
    from livekit.agents.voice.agent_activity import AgentActivity

    from agentconsole.job import framework

    got: list[tuple[float, float | None, float | None]] = []
    if not framework.tap_eot(lambda p, thr, d: got.append((p, thr, d))):
        assert not hasattr(AgentActivity, "on_eot_prediction")
        return
    from livekit.agents.voice.events import EotPredictionEvent

    class _Session:
        _session_host = None

    activity = AgentActivity.__new__(AgentActivity)
    activity._session = _Session()  # type: ignore[assignment]
    ev = EotPredictionEvent(probability=0.3, threshold=0.5, inference_duration=0.0, delay=0.2)
    activity.on_eot_prediction(ev)
    assert got == [(0.3, 0.5, 0.2)]


def test_room_mode_turn_ends_when_the_audio_left_for_the_room() -> None:
    from agentconsole.job.timeline import ROOM_SEGMENT

    turn: dict[str, Any] = {
        "type": "turn",
        "start": 1.0,
        "segments": [{"name": "tts_ttfb", "start": 1.0, "end": 1.7, "setting": "TTS"}],
        PLAYBACK_SEGMENT_KEY: ROOM_SEGMENT,
    }
    ev = TurnClock().on_job_clock({"event": turn, "clock": 2.0}, now=2.0)
    assert ev is not None and ev["heard_latency"] == 0.7
    assert [s["name"] for s in ev["segments"]] == ["tts_ttfb"]
