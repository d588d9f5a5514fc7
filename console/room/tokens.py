"""Access tokens for room-connect mode (``livekit.api``, imported lazily).

Both tokens have short lives: they only need to be valid when the participant joins (a
connected participant gets refreshed tokens from the server), and each job mints its own.
"""

from __future__ import annotations

import datetime

__all__ = ["AGENT_TTL", "PARTICIPANT_TTL", "agent_token", "participant_token"]

AGENT_TTL = datetime.timedelta(minutes=5)
PARTICIPANT_TTL = datetime.timedelta(minutes=5)


def agent_token(api_key: str, api_secret: str, *, room: str, identity: str) -> str:
    """The agent's token: kind ``agent``, may join ``room`` only, publish and subscribe, and
    set its own attributes (the agent state ``lk.agent.state`` lives there)."""
    from livekit import api

    return (
        api.AccessToken(api_key, api_secret)
        .with_identity(identity)
        .with_name("agent")
        .with_kind("agent")
        .with_grants(
            api.VideoGrants(
                room_join=True,
                room=room,
                agent=True,
                can_publish=True,
                can_subscribe=True,
                can_publish_data=True,
                can_update_own_metadata=True,
            )
        )
        .with_ttl(AGENT_TTL)
        .to_jwt()
    )


def participant_token(api_key: str, api_secret: str, *, room: str, identity: str) -> str:
    """The developer's token: a standard participant in ``room`` that may publish its
    microphone (nothing else) and subscribe."""
    from livekit import api

    return (
        api.AccessToken(api_key, api_secret)
        .with_identity(identity)
        .with_name("agentconsole")
        .with_kind("standard")
        .with_grants(
            api.VideoGrants(
                room_join=True,
                room=room,
                can_publish=True,
                can_publish_sources=["microphone"],
                can_subscribe=True,
                can_publish_data=False,
            )
        )
        .with_ttl(PARTICIPANT_TTL)
        .to_jwt()
    )
