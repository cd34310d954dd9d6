"""The sums kept beside the annotations, kept up by whoever writes annotations: one place to call.

The story's sums (`store.aggregates`), the actor page's reply sums (`store.replies`) and its counts
of own posts (`store.page_sums`). An analysis run calls `start` before its batches, `written` in
each batch's transaction, and `finish` after the last.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from envoywatch.store import aggregates, page_sums, replies
from envoywatch.store.db import Store


def start(store: Store) -> None:
    """Catch up with the posts stored since the last run (replies linked, new posts' weeks listed)."""
    replies.catch_up_store(store)
    page_sums.catch_up_store(store)


def written(conn: Connection, post_ids: Sequence[int], anns: Sequence[dict[str, Any]] | None = None) -> None:
    """These posts' annotations were just written (`anns`: them, when in hand)."""
    aggregates.refresh(conn, post_ids, anns)
    replies.refresh(conn, post_ids)
    page_sums.touch(conn, post_ids)


def finish(store: Store) -> None:
    """Recount, once, each week of own posts the run touched."""
    page_sums.flush_store(store)
