"""Build the analyzer pipeline in dependency order and annotate batches of posts."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from envoywatch.analysis.base import ANALYZERS, Analyzer, Context, PostInput

# Built-in analyzers register themselves when their module is imported, the same way a
# third-party analyzer would. Each entry is a module under envoywatch.analysis.
BUILTIN_MODULES: tuple[str, ...] = ("lang", "countries", "topics", "replies", "propaganda")


class PipelineError(RuntimeError):
    """The analyzers cannot be ordered: something required is never assigned."""


def load_builtins() -> None:
    for mod in BUILTIN_MODULES:
        importlib.import_module(f"envoywatch.analysis.{mod}")


def _rank(cls: type[Analyzer]) -> tuple[int, str]:
    """Built-ins in BUILTIN_MODULES order, then the others by name: a process that imported one
    analyzer's module early (a test, a plugin) runs them in the same order as any other, so the
    annotations it stores are the same to the byte."""
    module = cls.__module__.removeprefix("envoywatch.analysis.")
    return (BUILTIN_MODULES.index(module) if module in BUILTIN_MODULES else len(BUILTIN_MODULES), cls.name)


def order(analyzers: Sequence[type[Analyzer]]) -> list[type[Analyzer]]:
    """Order analyzers so that each runs after those assigning what it requires."""
    assigned: set[str] = set()
    pending = sorted(analyzers, key=_rank)
    ordered: list[type[Analyzer]] = []
    while pending:
        ready = [a for a in pending if set(a.requires) <= assigned]
        if not ready:
            missing = {a.name: sorted(set(a.requires) - assigned) for a in pending}
            raise PipelineError(f"analyzers need fields nothing assigns: {missing}")
        for a in ready:
            ordered.append(a)
            assigned.update(a.assigns)
            pending.remove(a)
    return ordered


def version_of(classes: Iterable[type[Analyzer]]) -> str:
    """Changes whenever any analyzer's version changes, so stale annotations are redone.

    Sorted by name: processes that imported analyzers in another order agree on it.
    """
    return "+".join(sorted(f"{a.name}@{a.version}" for a in classes))


def current_version() -> str:
    """The version a full pipeline would have, without loading any model."""
    load_builtins()
    return version_of(order(list(ANALYZERS)))


class Pipeline:
    """The ordered, set-up analyzers; one instance per process (models load once)."""

    def __init__(self, names: Iterable[str] | None = None) -> None:
        load_builtins()
        classes = [ANALYZERS.get(n) for n in names] if names else list(ANALYZERS)
        self.analyzers: list[Analyzer] = [cls() for cls in order(classes)]
        for a in self.analyzers:
            a.setup()

    @property
    def version(self) -> str:
        return version_of(type(a) for a in self.analyzers)

    def run(self, posts: Sequence[PostInput], ctx: Context | None = None) -> list[dict[str, Any]]:
        ctx = ctx or Context()
        anns: list[dict[str, Any]] = [{"id": p.id} for p in posts]
        for a in self.analyzers:
            a.run(posts, anns, ctx)
        return [public(ann) for ann in anns]

    def stream(
        self, posts: Iterable[PostInput], ctx: Context | None = None, batch_size: int = 256
    ) -> Iterator[dict[str, Any]]:
        ctx = ctx or Context()
        batch: list[PostInput] = []
        for p in posts:
            batch.append(p)
            if len(batch) >= batch_size:
                yield from self.run(batch, ctx)
                batch = []
        if batch:
            yield from self.run(batch, ctx)


def public(ann: dict[str, Any]) -> dict[str, Any]:
    """Drop internal working keys (leading underscore) from an annotation."""
    return {k: v for k, v in ann.items() if not k.startswith("_")}
