"""Tokens, options and error texts of room-connect mode (pure units: no server, no fakes)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
from room_support import KEY, SECRET

from agentconsole.room.errors import SdkLogFilter, describe_connect_error, redact
from agentconsole.room.options import AGENT_IDENTITY, RoomConfig, configure_room, read_dotenv
from agentconsole.room.tokens import AGENT_TTL, PARTICIPANT_TTL, agent_token, participant_token


def _decode(token: str) -> dict[str, Any]:
    # verifying the signature with the secret proves the token was signed with it
    claims: dict[str, Any] = jwt.decode(token, SECRET, algorithms=["HS256"])
    return claims


def test_agent_token_identity_kind_grants_and_ttl() -> None:
    before = time.time()
    claims = _decode(agent_token(KEY, SECRET, room="kitchen", identity=AGENT_IDENTITY))
    assert claims["iss"] == KEY
    assert claims["sub"] == AGENT_IDENTITY
    assert claims["kind"] == "agent"
    video = claims["video"]
    assert video["roomJoin"] is True and video["room"] == "kitchen" and video["agent"] is True
    assert video["canPublish"] and video["canSubscribe"] and video["canUpdateOwnMetadata"]
    # no room administration of any kind
    for admin in ("roomAdmin", "roomCreate", "roomList", "roomRecord", "ingressAdmin"):
        assert admin not in video
    assert claims["exp"] - claims["nbf"] == int(AGENT_TTL.total_seconds()) <= 600
    assert before - 5 <= claims["nbf"] <= time.time() + 1


def test_participant_token_is_a_standard_microphone_only_participant() -> None:
    claims = _decode(participant_token(KEY, SECRET, room="kitchen", identity="dev"))
    assert claims["sub"] == "dev"
    assert claims["kind"] == "standard"
    video = claims["video"]
    assert video["roomJoin"] is True and video["room"] == "kitchen"
    assert video["canPublishSources"] == ["microphone"]
    assert video["canSubscribe"] is True and video["canPublishData"] is False
    assert "agent" not in video and "roomAdmin" not in video
    assert claims["exp"] - claims["nbf"] == int(PARTICIPANT_TTL.total_seconds()) <= 600


def test_token_does_not_contain_the_secret() -> None:
    token = agent_token(KEY, SECRET, room="r", identity="a")
    assert SECRET not in token
    assert SECRET not in str(jwt.decode(token, options={"verify_signature": False}))


class _Exit(Exception):
    pass


def _config(tmp_path: Path) -> SimpleNamespace:
    agent = tmp_path / "agent.py"
    agent.write_text("")
    return SimpleNamespace(agent_file=agent, env={}, room=None)


def _fail(message: str, code: int) -> None:
    raise _Exit(code, message)


def test_configure_room_keeps_the_secret_out_of_the_room_config(tmp_path: Path) -> None:
    config = _config(tmp_path)
    configure_room(
        config,
        room="kitchen",
        url="ws://127.0.0.1:7880",
        api_key=KEY,
        api_secret=SECRET,
        identity="dev",
        local_participant=False,
        fail=_fail,
    )
    room = config.room
    assert isinstance(room, RoomConfig)
    assert (room.name, room.url, room.identity, room.local_participant) == (
        "kitchen",
        "ws://127.0.0.1:7880",
        "dev",
        False,
    )
    assert SECRET not in repr(room) and SECRET not in str(room.start_entry())
    assert room.start_entry() == {
        "name": "kitchen",
        "url": "ws://127.0.0.1:7880",
        "identity": AGENT_IDENTITY,
    }
    # the job gets the credentials by environment; the secret's repr hides it
    assert config.env["LIVEKIT_API_SECRET"] == SECRET
    assert SECRET not in repr(config.env)


def test_dotenv_in_the_agent_folder_fills_what_is_missing(tmp_path: Path) -> None:
    config = _config(tmp_path)
    (tmp_path / ".env").write_text(
        "# credentials\n"
        "export LIVEKIT_URL='wss://example.livekit.cloud'\n"
        f'LIVEKIT_API_KEY="{KEY}"\n'
        f"LIVEKIT_API_SECRET={SECRET}  # comment\n"
        "OTHER=1\n"
    )
    configure_room(
        config,
        room="r",
        url=None,
        api_key="from-cli",
        api_secret=None,
        identity="dev",
        local_participant=True,
        fail=_fail,
    )
    assert config.room.url == "wss://example.livekit.cloud"
    assert config.env["LIVEKIT_API_KEY"] == "from-cli"  # the command line wins
    assert config.env["LIVEKIT_API_SECRET"] == SECRET
    assert config.room.env_file == tmp_path / ".env"
    assert read_dotenv(tmp_path / "missing.env") == {}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"url": None}, "--url / LIVEKIT_URL"),
        ({"api_key": None}, "--api-key / LIVEKIT_API_KEY"),
        ({"api_secret": None}, "--api-secret / LIVEKIT_API_SECRET"),
        ({"url": "127.0.0.1:7880"}, "expected ws://"),
        ({"room": "two words"}, "not a room name"),
        ({"identity": AGENT_IDENTITY}, "the agent's identity"),
    ],
)
def test_bad_options_fail_with_one_line_and_code_2(
    tmp_path: Path, overrides: dict[str, Any], expected: str
) -> None:
    args: dict[str, Any] = {
        "room": "kitchen",
        "url": "ws://127.0.0.1:7880",
        "api_key": KEY,
        "api_secret": SECRET,
        "identity": "dev",
    }
    args.update(overrides)
    with pytest.raises(_Exit) as caught:
        configure_room(_config(tmp_path), local_participant=True, fail=_fail, **args)
    code, message = caught.value.args
    assert code == 2 and expected in message and "\n" not in message
    assert SECRET not in message


@pytest.mark.parametrize(
    ("sdk_message", "expected"),
    [
        (
            "engine: signal failure: transport connection error: IO error: Connection refused "
            "(os error 111)",
            "refused the connection",
        ),
        ("engine: signal failure: client error: 404 Not Found - <html>\nmore", "answered 404"),
        ("engine: signal failure: client error: 401 Unauthorized - invalid token", "credentials"),
        ("engine: signal failure: signal connection timed out", "did not answer in time"),
        ("timeout", "no answer from ws://h:1 within 7 s"),
        ("engine: connection error: something new", "something new"),
    ],
)
def test_connect_errors_become_one_line(sdk_message: str, expected: str) -> None:
    line = describe_connect_error(sdk_message, "ws://h:1")
    assert expected in line and "\n" not in line and line.startswith("the agent could not join")


def test_tokens_are_redacted_from_sdk_logs() -> None:
    token = agent_token(KEY, SECRET, room="r", identity="a")
    assert token not in redact(f"connecting to ws://h/rtc?access_token={token}&x=1")
    record = logging.LogRecord("livekit", logging.INFO, "f", 1, "url %s", (token,), None)
    SdkLogFilter().filter(record)
    assert token not in record.getMessage()
    retry = logging.LogRecord("livekit", logging.WARNING, "f", 1, "failed to connect: x", (), None)
    SdkLogFilter().filter(retry)
    assert retry.levelno == logging.DEBUG
