"""Live collectors, one module per platform, all registered in COLLECTORS."""

import importlib

from envoywatch.collect.base import (
    COLLECTORS,
    AccountGone,
    Collector,
    FetchError,
    Http,
    Malformed,
    Politeness,
    collector,
)

BUILTIN_MODULES: tuple[str, ...] = ("bluesky", "mastodon", "telegram", "web")


def load_builtins() -> None:
    for mod in BUILTIN_MODULES:
        importlib.import_module(f"envoywatch.collect.{mod}")


__all__ = ["COLLECTORS", "AccountGone", "Collector", "FetchError", "Http", "Malformed",
           "Politeness", "collector", "load_builtins"]
