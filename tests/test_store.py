"""The workspace: migrations match the models, writes are idempotent, edits are kept."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from envoywatch.domain import AccountRef, Block, Location, Media, Parsed, Post, Reject
from envoywatch.store.schema import accounts, blocks, media, metadata, posts, rejects
from envoywatch.store.writer import PostWriter


def _post(pid: str, text: str = "hello", handle: str = "someone", **kw) -> Post:
    return Post(platform="x", platform_id=pid, author=AccountRef("x", handle=handle, platform_id="u" + handle),
                text=text, created_at=datetime(2020, 3, 20, tzinfo=UTC), **kw)


def _parsed(*ps: Post, line: int = 1) -> Parsed:
    return Parsed(where=Location("f.jsonl", line, 0), posts=list(ps))


def _ignore_fts(obj, name, type_, reflected, compare_to):
    """Full-text search objects are made by raw SQL in migrations 0002 and 0009, not by the models."""
    return not (name or "").startswith(("posts_fts", "ix_posts_fts", "alembic_version", "fts_vector"))


def test_migrations_build_exactly_the_models(store):
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_object": _ignore_fts})
        diff = compare_metadata(ctx, metadata)
    assert diff == []


def test_write_is_idempotent_and_counts(store):
    w = PostWriter(store, "test@1")
    items = [_parsed(_post("1"), _post("2", "reply", handle="b", kind="reply", in_reply_to="1",
                                       media=[Media("photo", "http://img/1.png")])),
             Reject(Location("f.jsonl", 3, 10), "truncated JSON", "{\"data\":")]
    with store.write() as conn:
        c1 = w.write(conn, items)
    assert (c1.read, c1.inserted, c1.duplicates, c1.rejected) == (3, 2, 0, 1)
    with store.write() as conn:
        c2 = PostWriter(store, "test@1").write(conn, items)
    assert (c2.inserted, c2.duplicates, c2.rejected) == (0, 2, 1)
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(posts)).scalar() == 2
        assert conn.execute(select(func.count()).select_from(media)).scalar() == 1
        assert conn.execute(select(func.count()).select_from(accounts)).scalar() == 2
        assert conn.execute(select(func.count()).select_from(rejects)).scalar() == 2


def test_same_post_twice_in_a_batch_is_one_row(store):
    with store.write() as conn:
        c = PostWriter(store, "t").write(conn, [_parsed(_post("9"), _post("9"))])
    assert (c.inserted, c.duplicates) == (1, 1)


def test_later_edit_updates_text_and_keeps_the_earlier(store):
    w = PostWriter(store, "t")
    with store.write() as conn:
        w.write(conn, [_parsed(_post("5", "first text"))])
    edited = _post("5", "second text", edited_at=datetime(2020, 3, 21, tzinfo=UTC))
    with store.write() as conn:
        c = w.write(conn, [_parsed(edited)])
    assert c.updated == 1
    with store.read() as conn:
        row = conn.execute(select(posts.c.text, posts.c.edits)).one()
    assert row.text == "second text"
    assert row.edits[0]["text"] == "first text"
    with store.write() as conn:  # the older version arriving again changes nothing
        c = w.write(conn, [_parsed(_post("5", "first text"))])
    assert c.duplicates == 1


def test_accounts_found_by_id_when_handle_changes(store):
    w = PostWriter(store, "t")
    with store.write() as conn:
        w.write(conn, [_parsed(_post("1", handle="old"))])
    a = Post(platform="x", platform_id="2", author=AccountRef("x", platform_id="uold"), text="t")
    with store.write() as conn:
        PostWriter(store, "t").write(conn, [_parsed(a)])
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(accounts)).scalar() == 1


def test_block_records_are_stored_once(store):
    b = Block("bluesky", AccountRef("bluesky", "embassy.bsky.social", "did:plc:e"),
              AccountRef("bluesky", "critic.bsky.social", "did:plc:c"), uri="at://did:plc:e/app.bsky.graph.block/1")
    with store.write() as conn:
        assert PostWriter(store, "t").write(conn, [Parsed(Location("b.json", 1), blocks=[b, b])]).blocks == 1
    with store.write() as conn:
        assert PostWriter(store, "t").write(conn, [Parsed(Location("b.json", 1), blocks=[b])]).blocks == 0
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(blocks)).scalar() == 1


def test_full_text_search_finds_new_posts_and_tolerates_operators(store):
    from envoywatch.queries import PostFilter, list_posts

    with store.write() as conn:
        PostWriter(store, "t").write(conn, [_parsed(_post("1", "Washington owes the UN money"),
                                                    _post("2", "Дружба Казахстана и Китая"))])
    rows, total = list_posts(store, PostFilter(q="washington"))
    assert total == 1 and rows[0]["platform_id"] == "1"
    rows, total = list_posts(store, PostFilter(q='Казахстана" * ('))
    assert [r["platform_id"] for r in rows] == ["2"] or store.dialect != "sqlite"
    rows, total = list_posts(store, PostFilter(q="Казахстан"))  # a prefix finds the inflected form
    assert total == 1


def test_bulk_loading_checkpoints_in_the_background(tmp_path, monkeypatch):
    """A load with checkpoint_every copies the WAL into the database from another thread while it
    writes; the rows and a later open are as without it."""
    import time

    from envoywatch.store import db as db_mod

    store = db_mod.open_store(tmp_path / "w.db")
    seen: list[db_mod.Checkpointer] = []
    real = db_mod.Checkpointer
    monkeypatch.setattr(db_mod, "Checkpointer", lambda *a: seen.append(real(*a)) or seen[-1])
    with store.loading(checkpoint_every=0.01) as conn:
        for n in range(5):
            with store.transaction(conn):
                conn.exec_driver_sql("INSERT INTO actors (name, role, created_at) VALUES (?, 'embassy', '2020-01-01')",
                                     (f"mission {n}",))
            time.sleep(0.05)
    assert seen and seen[0].runs > 0 and not seen[0]._thread.is_alive()
    store.close()
    with db_mod.open_store(tmp_path / "w.db").read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM actors").scalar() == 5


def _add_actor(store, conn, name: str) -> None:
    with store.transaction(conn):
        conn.exec_driver_sql("INSERT INTO actors (name, role, created_at) VALUES (?, 'embassy', '2020-01-01')", (name,))


def _journal(path) -> str:
    import sqlite3

    con = sqlite3.connect(path)
    try:
        return con.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        con.close()


def test_a_bulk_load_alone_writes_through_a_rollback_journal_then_the_wal_returns(tmp_path, monkeypatch):
    """Alone with the workspace, the load leaves the WAL (its pages are written once) with full syncs,
    starts no checkpoint thread, and hands the workspace back in WAL mode with every row."""
    from envoywatch.store import db as db_mod

    store = db_mod.open_store(tmp_path / "w.db")
    started: list = []
    monkeypatch.setattr(db_mod, "Checkpointer", lambda *a: started.append(a))
    with store.loading(checkpoint_every=0.01, rollback_journal=True) as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        conn.commit()
        for n in range(3):
            _add_actor(store, conn, f"mission {n}")
        assert not (tmp_path / "w.db-wal").exists()
    assert not started
    store.close()
    assert _journal(tmp_path / "w.db") == "wal"
    with db_mod.open_store(tmp_path / "w.db").read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM actors").scalar() == 3


def test_a_bulk_load_beside_an_open_reader_keeps_the_wal(tmp_path):
    """Another connection has the workspace open (the dashboard): SQLite refuses the switch, and the load
    goes on in the WAL; a reader opening during a rollback-journal load connects and reads."""
    from envoywatch.store import db as db_mod

    store = db_mod.open_store(tmp_path / "w.db")
    other = db_mod.open_store(tmp_path / "w.db", migrate=False)
    with other.read() as reading:
        reading.exec_driver_sql("SELECT count(*) FROM actors").scalar()
        with store.loading(rollback_journal=True) as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            conn.commit()
            _add_actor(store, conn, "mission")
    other.close()
    with store.loading(rollback_journal=True) as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
        conn.commit()
        with store.transaction(conn):
            conn.exec_driver_sql("INSERT INTO actors (name, role, created_at) VALUES ('held', 'embassy', '2020-01-01')")
            late = db_mod.open_store(tmp_path / "w.db", migrate=False)  # its WAL pragma cannot apply now
            with late.read() as reading:
                assert reading.exec_driver_sql("SELECT count(*) FROM actors").scalar() == 1
            late.close()
    store.close()
    assert _journal(tmp_path / "w.db") == "wal"


def _load_and_die(path) -> None:
    """A loading process killed inside its second transaction (no Python clean-up runs)."""
    import os

    from envoywatch.store import db as db_mod

    store = db_mod.open_store(path, migrate=False)
    with store.loading(rollback_journal=True) as conn:
        _add_actor(store, conn, "committed")
        conn.begin()
        for n in range(2000):  # more than the page cache holds, so pages reach the file before the commit
            conn.exec_driver_sql("INSERT INTO actors (name, role, created_at) VALUES (?, 'embassy', '2020-01-01')",
                                 (f"lost {n} " + "x" * 500,))
        os._exit(9)


def test_a_load_killed_in_its_rollback_journal_is_rolled_back_on_the_next_open(tmp_path):
    import multiprocessing

    from envoywatch.store import db as db_mod

    db_mod.open_store(tmp_path / "w.db").close()
    proc = multiprocessing.get_context("spawn").Process(target=_load_and_die, args=(tmp_path / "w.db",))
    proc.start()
    proc.join(60)
    assert proc.exitcode == 9 and (tmp_path / "w.db-journal").exists()  # hot: the next open rolls it back
    store = db_mod.open_store(tmp_path / "w.db")
    with store.read() as conn:
        assert [r[0] for r in conn.exec_driver_sql("SELECT name FROM actors")] == ["committed"]
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    store.close()
    assert _journal(tmp_path / "w.db") == "wal"


def test_prepared_batches_cross_processes_with_their_rows():
    """SQLite rows (str, int, None) go through marshal, PostgreSQL rows with datetimes through pickle."""
    import pickle
    from datetime import UTC, datetime

    from envoywatch.store.writer import Prepared

    for rows in ([["x", "1", 3, -1, None, 1.5, "🙂"]], [["x", "2", datetime(2020, 3, 14, tzinfo=UTC), None]]):
        batch = Prepared(rows=rows, media={0: []})
        back = pickle.loads(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))
        assert back.rows == rows and type(back.rows[0]) is list and back.media == {0: []}
