"""SQLite full-text index without per-post sizes (0010): the same search results, and the kept mark
of the last post indexed stays right through repeated syncs, deletes and a migration down and up."""

from __future__ import annotations

import pytest
from alembic import command

from envoywatch.queries import fts_query
from envoywatch.store import fts, open_store
from envoywatch.store.db import alembic_config, upgrade

TEXTS = [
    "The embassy statement on trade and visas",
    "Statement of the embassy: trade talks resume",
    "Казахстан и Китай: дружба народов",
    "Посольство Казахстана в Вашингтоне",
    "Café diplomacy at the résidence, naïve questions",
    "cafe owners met the consul",
    "中国 驻 美国 大使馆 声明",
    "🙂🙂🙂",
    "<script>alert('x')</script> trade",
    "",
    "visa visa visa trade-war trade_war",
]
QUERIES = ['"embassy statement"', '"statement" "trade"', fts_query("Казахстан"), fts_query("cafe"),
           fts_query("café"), '"trade"', fts_query("tra"), '"中国"', '"script"', '"visa" NOT "trade"',
           'NEAR("embassy" "trade", 3)', '"trade war"', fts_query("résidence naive")]


def _add(conn, texts, first: int = 1) -> None:
    conn.exec_driver_sql("INSERT OR IGNORE INTO accounts (id, platform, handle, watched, created_at) "
                         "VALUES (1, 'x', 'mission', 0, '2020-01-01 00:00:00.000000')")
    conn.exec_driver_sql(
        "INSERT INTO posts (id, platform, platform_id, account_id, text, kind, has_media, ingested_at) "
        "VALUES (?, 'x', ?, 1, ?, 'original', 0, '2020-01-01 00:00:00.000000')",
        [(first + i, str(first + i), t) for i, t in enumerate(texts)])


def _found(conn, table: str, q: str) -> list[int]:
    return [r[0] for r in conn.exec_driver_sql(f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid", (q,))]


def _intact(conn) -> None:
    conn.exec_driver_sql("INSERT INTO posts_fts(posts_fts, rank) VALUES('integrity-check', 1)")


@pytest.fixture
def ws(tmp_path):
    store = open_store(tmp_path / "ws.db")
    yield store
    store.close()


def test_search_finds_what_an_index_with_sizes_finds(ws):
    with ws.write() as conn:
        _add(conn, TEXTS * 3)
        fts.sync(conn)
        conn.exec_driver_sql("CREATE VIRTUAL TABLE sized USING fts5(text, content='posts', content_rowid='id', "
                             "tokenize='unicode61 remove_diacritics 2')")
        conn.exec_driver_sql("INSERT INTO sized(sized) VALUES('rebuild')")
        for q in QUERIES:
            assert _found(conn, "posts_fts", q) == _found(conn, "sized", q), q
        assert _found(conn, "posts_fts", '"embassy statement"') == [1, 12, 23]
        _intact(conn)


def test_sync_indexes_each_post_once_and_a_deleted_newest_id_again(ws):
    with ws.write() as conn:
        _add(conn, TEXTS)
        fts.sync(conn)
        fts.sync(conn)  # nothing new: nothing indexed twice
        _intact(conn)
        last = len(TEXTS)
        conn.exec_driver_sql("DELETE FROM posts WHERE id = ?", (last,))  # SQLite may give this id again
        _add(conn, ["a fresh greeting from the mission"], first=last)
        fts.sync(conn)
        assert _found(conn, "posts_fts", '"greeting"') == [last] and _found(conn, "posts_fts", '"war"') == []
        _intact(conn)
        assert conn.exec_driver_sql("SELECT last_id FROM posts_fts_synced").scalar() == last


def test_0010_down_and_up_again_keeps_search(ws):
    with ws.write() as conn:
        _add(conn, TEXTS)
        fts.sync(conn)
    cfg = alembic_config()
    with ws.write() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009")
    with ws.write() as conn:
        assert _found(conn, "posts_fts", '"trade"') == [1, 2, 9, 11]
        assert conn.exec_driver_sql("SELECT count(*) FROM posts_fts_docsize").scalar() == len(TEXTS)
    upgrade(ws)
    with ws.write() as conn:
        assert _found(conn, "posts_fts", '"trade"') == [1, 2, 9, 11]
        assert conn.exec_driver_sql("SELECT last_id FROM posts_fts_synced").scalar() == len(TEXTS)
        _intact(conn)
