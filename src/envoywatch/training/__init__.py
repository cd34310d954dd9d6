"""Reproducible model training from the shared labelled data; `make models` runs them all."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

# name -> callable(shared data dir); modules add themselves on import.
TRAINERS: dict[str, Callable[[Path], None]] = {}

# Each entry is a module under envoywatch.training that registers a trainer when imported.
BUILTIN_MODULES: tuple[str, ...] = ("propaganda", "replies")


def trainer(name: str) -> Callable[[Callable[[Path], None]], Callable[[Path], None]]:
    """Register a trainer under `name`."""

    def deco(fn: Callable[[Path], None]) -> Callable[[Path], None]:
        TRAINERS[name] = fn
        return fn

    return deco


def load_builtins() -> None:
    for mod in BUILTIN_MODULES:
        importlib.import_module(f"envoywatch.training.{mod}")
