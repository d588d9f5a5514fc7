"""``python -m agentconsole.job``: the job process (started by the console's supervisor)."""

from .runner import main

main()
