"""The `envoywatch` command line: commands parse arguments and call the library."""

from envoywatch.cli import accounts, analysis, ingest  # noqa: F401  (registers commands)
from envoywatch.cli.app import app

__all__ = ["app"]
