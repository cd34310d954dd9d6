"""Importers, one module per export format, all registered in SOURCES."""

import importlib

from envoywatch.sources.base import SOURCES, Sample, Source, UnknownFormat, detect_format, source

BUILTIN_MODULES: tuple[str, ...] = (
    "twarc2",
    "x_archive",
    "crowdtangle",
    "telegram",
    "bluesky",
    "mastodon",
    "zeeschuimer",
    "dipromats",
    "generic",
)


def load_builtins() -> None:
    for mod in BUILTIN_MODULES:
        importlib.import_module(f"envoywatch.sources.{mod}")


__all__ = ["SOURCES", "Sample", "Source", "UnknownFormat", "detect_format", "load_builtins", "source"]
