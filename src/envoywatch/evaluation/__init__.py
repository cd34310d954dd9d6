"""Measured quality on labelled data: each evaluation registers a function returning a report."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from envoywatch.plugins import Registry

Report = dict[str, Any]
EVALUATIONS: Registry[Callable[..., Report]] = Registry("evaluation")

# Each module registers its evaluations with @evaluation("name") when imported.
BUILTIN_MODULES: tuple[str, ...] = ("replies", "targets", "crossposts", "dipromats", "language")

# Labelled sets written by the envoywatch team live in the repository, outside the package.
REPO_EVALDATA = Path(__file__).resolve().parents[3] / "evaldata"


def evaluation(name: str) -> Callable[[Callable[..., Report]], Callable[..., Report]]:
    return EVALUATIONS.register(name)


def load_builtins() -> None:
    for mod in BUILTIN_MODULES:
        importlib.import_module(f"envoywatch.evaluation.{mod}")


def shared_data_dir() -> Path | None:
    """The shared labelled data (`$ENVOYWATCH_SHARED_DATA`, else ../shared/data beside the repo)."""
    env = os.environ.get("ENVOYWATCH_SHARED_DATA")
    candidates = [Path(env)] if env else []
    here = Path(__file__).resolve()
    candidates += [p / "shared" / "data" for p in here.parents]
    candidates += [Path.cwd().parent / "shared" / "data"]
    for c in candidates:
        if (c / "README.md").exists() or (c / "dipromats2023").exists():
            return c
    return None
