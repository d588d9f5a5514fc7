"""agentconsole: a terminal console for LiveKit voice agents.

Importing this package is cheap: it loads nothing but the version.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
