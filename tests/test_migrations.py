"""Migration 0005 on both engines: the deferred-index record comes and goes with its revision."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from envoywatch.store import open_store
from envoywatch.store.db import alembic_config, upgrade


def _tables(store) -> set[str]:
    with store.engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def test_0005_down_and_up_again_keeps_the_posts_indexes(db_url):
    store = open_store(db_url)
    assert "deferred_indexes" in _tables(store)
    cfg = alembic_config()
    with store.write() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    assert "deferred_indexes" not in _tables(store) and "posts" in _tables(store)
    upgrade(store)
    assert "deferred_indexes" in _tables(store)
    with store.engine.connect() as conn:
        names = {ix["name"] for ix in inspect(conn).get_indexes("posts")}
    assert {"ix_posts_created_at", "ix_posts_kind_created_at"} <= names
    store.close()
