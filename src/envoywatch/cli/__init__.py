"""The `envoywatch` command line: commands parse arguments and call the library."""

from envoywatch.cli import accounts, alerts, analysis, collect, demo, export, ingest, report, story, web  # noqa: F401  (registers commands)
from envoywatch.cli.app import app

__all__ = ["app"]
