"""Migrations on both engines: 0005 (deferred-index record), 0006-0008 (the story, reply and page sums),
0011 (the accounts each event concerns), 0012 (the country page's kept rows), 0013 (the watched accounts' index)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, select

from envoywatch.store import open_store
from envoywatch.store.db import alembic_config, upgrade


def _tables(store) -> set[str]:
    with store.engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def _downgrade(store, revision: str) -> None:
    """Take the workspace down to `revision` through alembic, in one transaction."""
    cfg = alembic_config()
    with store.write() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_0005_down_and_up_again_keeps_the_posts_indexes(db_url):
    store = open_store(db_url)
    assert "deferred_indexes" in _tables(store)
    _downgrade(store, "0004")
    assert "deferred_indexes" not in _tables(store) and "posts" in _tables(store)
    upgrade(store)
    assert "deferred_indexes" in _tables(store)
    with store.engine.connect() as conn:
        names = {ix["name"] for ix in inspect(conn).get_indexes("posts")}
    assert {"ix_posts_created_at", "ix_posts_kind_created_at"} <= names
    store.close()


def test_0006_backfills_the_story_sums_as_refresh_keeps_them(db_url):
    from datetime import timedelta

    from sqlalchemy import select
    from test_events import T0, Workspace

    from envoywatch.store import aggregates
    from envoywatch.store.schema import story_countries, story_posts, story_weeks

    store = open_store(db_url)
    ws = Workspace(store)
    acc = ws.account("x", "migrated", ws.actor("Embassy of Migrland"))
    ids = [ws.post(acc, f"post {i}", T0 + timedelta(days=i), ann={
        "lang": "en", "targets": ["US"] if i % 2 else [],
        "countries": [{"code": "US", "stance": "hostile" if i % 2 else "neutral", "veiled": i == 3}]})[0]
        for i in range(12)]
    ws.post(acc, "post 5", T0 + timedelta(days=5, minutes=4), ann={"lang": "en"})  # a forwarded copy

    def rows():
        with store.engine.connect() as conn:
            return [sorted(tuple(r) for r in conn.execute(select(t))) for t in (story_posts, story_countries,
                                                                                story_weeks)]

    with store.write() as conn:
        aggregates.refresh(conn, ids + [ids[-1] + 1])
    kept = rows()
    assert len(kept[0]) == 13 and sum(r[-1] for r in kept[0]) == 1 and len(kept[1]) == 12
    _downgrade(store, "0005")
    assert "story_weeks" not in _tables(store)
    upgrade(store)
    assert rows() == kept
    with store.engine.connect() as conn:
        assert "ix_posts_own_account_id_created_at" in {ix["name"] for ix in inspect(conn).get_indexes("posts")}
    store.close()


def test_0007_backfills_the_reply_sums_as_catch_up_keeps_them(db_url):
    from test_reply_sums import Case, _kept

    from envoywatch.store import replies

    store = open_store(db_url)
    c = Case(store)
    for d in range(6):
        plat = c.post(c.x if d % 2 else c.fb, d)[1]
        c.reply(c.public[d % 4], plat, d + 1, hostile=d % 3 == 0, block=d == 4)
        c.reply(c.fb, plat, d + 2)
    with store.write() as conn:
        replies.catch_up(conn)
        kept = [_kept(conn, ids) for ids in c.subjects]
    _downgrade(store, "0006")
    assert "reply_weeks" not in _tables(store)
    upgrade(store)
    with store.engine.connect() as conn:
        assert replies.mark(conn) > 0
        assert [_kept(conn, ids) for ids in c.subjects] == kept
    c.check()
    store.close()


def test_0008_backfills_the_page_counts_as_flush_keeps_them(db_url):
    from datetime import timedelta

    from test_events import T0, Workspace
    from test_page_sums import _ann, _equal, _kept, _same

    from envoywatch.store import page_sums

    store = open_store(db_url)
    ws = Workspace(store)
    x = ws.account("x", "paged", ws.actor("Embassy of Pages"))
    for i in range(9):
        ws.post(x, f"post {i}", T0 + timedelta(days=3 * i), ann=_ann(i) if i % 3 else None)
    with store.write() as conn:
        page_sums.catch_up(conn)
        page_sums.flush(conn)
    kept = _kept(store, [x])
    _downgrade(store, "0007")
    assert "page_weeks" not in _tables(store)
    upgrade(store)
    _equal(_kept(store, [x]), kept)
    _same(store, [x])
    store.close()


def test_0011_backfills_the_event_accounts_as_saving_events_keeps_them(db_url):
    from test_events import T0, Workspace

    from envoywatch.events.base import Event, save_events
    from envoywatch.store.schema import event_accounts

    store = open_store(db_url)
    w = Workspace(store)
    a = w.actor("Embassy of Links")
    xa, xb = w.account("x", "links_a", a), w.account("facebook", "links:b")  # a handle with a colon
    save_events(store, "crossposts", [
        Event(type="crosspost", key="one", start=T0, account_id=xa, actor_id=a,
              data={"accounts": ["x:links_a", "facebook:links:b", "x:unknown"]}),
        Event(type="shift", key="two", start=T0, actor_id=a, data={"accounts": "not a list"}),
        Event(type="backlash", key="three", start=T0, account_id=xb, data={})])

    def links() -> list:
        with store.read() as conn:
            return sorted(conn.execute(select(event_accounts.c.event_id, event_accounts.c.account_id)).all())

    kept = links()
    assert len(kept) == 3 and {acc for _, acc in kept} == {xa, xb}
    _downgrade(store, "0010")
    assert "event_accounts" not in _tables(store)
    upgrade(store)
    assert links() == kept
    store.close()


def test_the_cli_says_when_it_upgrades_an_existing_workspace(tmp_path):
    """An older workspace is upgraded by the first command that opens it, which says so on stderr
    (migrations that rebuild indexes take minutes on millions of posts); a new one is created silently."""
    from alembic.script import ScriptDirectory
    from typer.testing import CliRunner

    from envoywatch.cli import app

    path = tmp_path / "old.db"
    store = open_store(path)
    _downgrade(store, "0009")
    store.close()
    runner = CliRunner()
    result = runner.invoke(app, ["--db", str(path), "accounts", "list"])
    assert result.exit_code == 0, result.output
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert f"Upgrading the workspace from schema 0009 to {head}" in result.stderr
    fresh = runner.invoke(app, ["--db", str(tmp_path / "new.db"), "accounts", "list"])
    assert fresh.exit_code == 0 and "Upgrading" not in fresh.stderr


def test_0012_counts_the_country_page_rows_as_flush_keeps_them(db_url):
    from datetime import timedelta

    from test_events import T0, Workspace
    from test_page_sums import _countries, _country_ann

    from envoywatch.store import page_sums
    from envoywatch.store.schema import page_targets

    store = open_store(db_url)
    ws = Workspace(store)
    x = ws.account("x", "mapped", ws.actor("Embassy of Maps"))
    for i in range(9):
        ws.post(x, f"post {i}", T0 + timedelta(days=3 * i), ann=_country_ann(i))
    with store.write() as conn:
        page_sums.catch_up(conn)
        page_sums.flush(conn)

    def rows() -> list:
        with store.read() as conn:
            return sorted(tuple(r) for r in conn.execute(select(page_targets)))

    kept, shown = rows(), _countries(store, live=False)
    assert kept and shown[0]["accounts"][0]["veiled"] > 0
    _downgrade(store, "0011")
    with store.engine.connect() as conn:
        assert "veiled" not in {c["name"] for c in inspect(conn).get_columns("page_targets")}
    upgrade(store)
    assert rows() == kept
    assert _countries(store, live=False) == shown == _countries(store, live=True)
    store.close()


def test_0013_down_and_up_again_keeps_the_watched_index(db_url):
    store = open_store(db_url)

    def names() -> set[str]:
        with store.engine.connect() as conn:
            return {ix["name"] for ix in inspect(conn).get_indexes("accounts")}
    assert "ix_accounts_watched" in names()
    _downgrade(store, "0012")
    assert "ix_accounts_watched" not in names()
    upgrade(store)
    assert "ix_accounts_watched" in names()
    store.close()
