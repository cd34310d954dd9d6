"""The analyzer contract: what every analyzer receives, declares and writes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import numpy as np

from envoywatch.plugins import Registry


@dataclass(slots=True)
class PostInput:
    """One post as analyzers see it: text plus what is known about who posted it."""

    id: str
    text: str
    lang: str | None = None
    account: str | None = None  # "platform:handle" or a free label
    sender: str | None = None  # ISO alpha-2 of the posting account's sending country
    host: str | None = None  # ISO alpha-2 of the posting account's host country
    created_at: datetime | None = None
    in_reply_to: str | None = None  # id of the parent post when this is a reply
    parent_account: str | None = None  # account of the parent post, when known
    watched: bool = True  # False for replying members of the public

    @property
    def is_reply(self) -> bool:
        return self.in_reply_to is not None


@dataclass
class Context:
    """Shared state for one annotation run: cached embeddings and per-account priors."""

    embed_fn: Callable[[Sequence[str]], np.ndarray] | None = None
    # account -> {country code: share of that account's earlier posts targeting it}
    target_priors: dict[str, dict[str, float]] = field(default_factory=dict)
    fast: bool = False  # no embeddings: analyzers fall back to their n-gram path
    _cache: dict[str, np.ndarray] = field(default_factory=dict)

    def embeddings(self, posts: Sequence[PostInput]) -> np.ndarray | None:
        """L2-normalised multilingual embeddings, computed once per post id and shared."""
        if self.fast:
            return None
        if self.embed_fn is None:
            from envoywatch.analysis.embed import embed_passages

            self.embed_fn = embed_passages
        missing = [p for p in posts if p.id not in self._cache]
        if missing:
            vecs = self.embed_fn([p.text for p in missing])
            for p, v in zip(missing, vecs, strict=True):
                self._cache[p.id] = v
        return np.stack([self._cache[p.id] for p in posts]) if posts else np.zeros((0, 384), np.float32)

    def put_embedding(self, post_id: str, vec: np.ndarray) -> None:
        self._cache[post_id] = vec


class Analyzer:
    """Base class: declare `name`, `version`, `requires`, `assigns`; implement `run`.

    `run` fills keys of the per-post annotation dicts in place. `requires` names keys
    that earlier analyzers must assign; the pipeline checks the order when it is built.
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    requires: ClassVar[tuple[str, ...]] = ()
    assigns: ClassVar[tuple[str, ...]] = ()

    def setup(self) -> None:
        """Load models; called once per process before the first run."""

    def run(self, posts: Sequence[PostInput], anns: list[dict[str, Any]], ctx: Context) -> None:
        raise NotImplementedError


ANALYZERS: Registry[type[Analyzer]] = Registry("analyzer")


def analyzer(cls: type[Analyzer]) -> type[Analyzer]:
    """Class decorator that registers an analyzer under its `name`."""
    ANALYZERS.add(cls.name, cls)
    return cls
