"""agentconsole.room: room-connect mode (``--room NAME``).

* ``options``: the CLI's options -> ``RoomConfig`` and the job's environment (credentials);
* ``tokens``: access tokens for the agent and for the console's own participant;
* ``errors``: one-line messages for connection failures, and the SDK's log noise;
* ``agent_room``: the job side (the agent's ``rtc.Room``, bounded connect, ``room`` events);
* ``participant``: the console side (the developer joins with the microphone, hears the agent).

Nothing here is imported by the console unless ``--room`` is given: livekit loads lazily.
"""
