"""restate-play: an interactive playground for Restate's patterns and use cases."""

__version__ = "0.1.0"
RESTATE_SERVER_VERSION = "1.7.12"
