"""``python -m agentconsole``: the same as the ``agentconsole`` command."""

from .cli import main

main(prog_name="agentconsole")
