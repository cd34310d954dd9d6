"""Events found across posts: cross-posts, backlash waves, block reports and shifts in line."""

from __future__ import annotations

import importlib

from envoywatch.events._data import shared_reads
from envoywatch.events.base import DETECTORS, EVENT_TYPES, Event, detector, save_events
from envoywatch.store.db import Store

# Detectors run in this order: shifts look back at the events found before them.
BUILTIN_MODULES: tuple[str, ...] = ("crossposts", "backlash", "blocks", "shifts")


def load_builtins() -> None:
    for mod in BUILTIN_MODULES:
        importlib.import_module(f"envoywatch.events.{mod}")


def detect_all(store: Store) -> dict[str, int]:
    """Run every registered detector and store its events; returns counts per detector."""
    load_builtins()
    names = [m for m in BUILTIN_MODULES if m in DETECTORS]
    names += [n for n in DETECTORS.names() if n not in names]  # third-party detectors last
    with shared_reads():  # the detectors read the watched posts once between them
        return {name: save_events(store, name, DETECTORS.get(name)(store)) for name in names}


__all__ = ["DETECTORS", "EVENT_TYPES", "Event", "detect_all", "detector", "load_builtins", "save_events"]
