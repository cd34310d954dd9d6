"""The bulk post writer: rows read back exactly as the models type them, races and media handled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import func, select

from envoywatch.domain import AccountRef, Location, Media, Parsed, Post
from envoywatch.sources.twarc2 import map_page
from envoywatch.store import writer as writer_mod
from envoywatch.store.schema import media, posts
from envoywatch.store.writer import PostWriter
from envoywatch.timeutil import as_utc


def _post(pid: str, text: str = "hello", **kw) -> Post:
    return Post(platform="x", platform_id=pid, author=AccountRef("x", handle="@Embassy", platform_id="u1"),
                text=text, **kw)


def _write(store, *ps: Post, line: int = 1):
    with store.write() as conn:
        return PostWriter(store, "test@1").write(conn, [Parsed(Location("f.jsonl", line, 7), posts=list(ps))])


def test_bulk_rows_read_back_typed_like_the_models(store):
    at = datetime(2020, 3, 20, 12, 30, 1, 250, tzinfo=timezone(timedelta(hours=6)))  # Astana time
    p = _post("1", "Дружба & <b>trade</b>", created_at=at, lang="ru", kind="weird", in_reply_to="0",
              in_reply_to_handle="@Critic", metrics={"like_count": 3}, hashtags=["Astana"],
              raw={"id": "1", "nested": {"k": [1, 2]}}, unmapped=["extra_field"])
    c = _write(store, p)
    assert (c.read, c.inserted, c.duplicates) == (1, 1, 0)
    with store.read() as conn:
        row = conn.execute(select(posts)).one()
    assert as_utc(row.created_at) == at.astimezone(UTC)
    assert row.edited_at is None and row.edits is None and row.mentions is None
    assert row.metrics == {"like_count": 3} and row.hashtags == ["Astana"] and row.unmapped == ["extra_field"]
    assert row.kind == "original" and row.in_reply_to_handle == "critic" and row.has_media is False
    assert (row.source_file, row.source_line, row.source_offset, row.importer) == ("f.jsonl", 1, 7, "test@1")
    assert row.text == "Дружба & <b>trade</b>" and '"nested"' in row.raw
    assert as_utc(row.ingested_at) <= datetime.now(UTC)


def test_post_stored_by_someone_else_after_the_lookup_is_a_duplicate(store, monkeypatch):
    _write(store, _post("1"))
    monkeypatch.setattr(writer_mod, "_lookup", lambda conn, keys: {})  # as if another process won the race
    c = _write(store, _post("1"), _post("2"))
    assert (c.inserted, c.duplicates) == (1, 1)
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(posts)).scalar() == 2


def test_a_race_lost_mid_transaction_keeps_the_batches_before_it(store, monkeypatch):
    """PostgreSQL copies new rows straight into posts; a copy that meets a row stored since the look-up
    is rolled back to its savepoint alone, and the transaction's earlier batches stay."""
    _write(store, _post("1"))
    with store.write() as conn:
        w = PostWriter(store, "test@1")
        first = w.write(conn, [Parsed(Location("f.jsonl", 2, 0), posts=[_post("3")])])
        monkeypatch.setattr(writer_mod, "_lookup", lambda conn, keys: {})
        second = w.write(conn, [Parsed(Location("f.jsonl", 3, 0), posts=[_post("1"), _post("4")])])
    assert (first.inserted, second.inserted, second.duplicates) == (1, 1, 1)
    assert w.copy_first is (store.dialect == "sqlite")  # PostgreSQL looks keys up first from then on
    with store.read() as conn:
        assert sorted(conn.execute(select(posts.c.platform_id)).scalars()) == ["1", "3", "4"]


def test_media_of_a_bulk_batch_point_at_their_posts(store):
    ps = [_post(str(i), media=[Media("photo", f"http://img/{i}.png")] * (i % 3)) for i in range(30)]
    assert _write(store, *ps).inserted == 30
    with store.read() as conn:
        rows = conn.execute(select(posts.c.platform_id, media.c.url).join(media, media.c.post_id == posts.c.id))
        pairs = sorted(rows)
    assert len(pairs) == sum(i % 3 for i in range(30))
    assert all(url == f"http://img/{pid}.png" for pid, url in pairs)


def test_edit_in_a_later_batch_is_found_by_the_batched_lookup(store):
    _write(store, *[_post(str(i), f"text {i}") for i in range(600)])  # more ids than one IN (...) chunk
    c = _write(store, *[_post(str(i), f"text {i}" if i != 599 else "text 599, corrected") for i in range(600)])
    assert (c.inserted, c.updated, c.duplicates) == (0, 1, 599)


def test_a_handle_change_between_pages_is_not_hidden_by_the_account_cache():
    def page(name: str) -> dict:
        return {"data": [{"id": "9", "text": "t", "author_id": "77"}],
                "includes": {"users": [{"id": "77", "username": name}]}}

    first = map_page(page("old_name"), Location("f", 1))
    second = map_page(page("new_name"), Location("f", 2))
    assert (first.posts[0].author.handle, second.posts[0].author.handle) == ("old_name", "new_name")
    odd = map_page({"data": [{"id": "9", "text": "t", "author_id": "1"}],
                    "includes": {"users": [{"id": 1, "username": ["x"]}]}}, Location("f", 3))
    assert odd.posts[0].author.platform_id == "1"


def test_new_accounts_of_a_batch_are_created_together_each_once(store):
    from envoywatch.store.schema import accounts

    authors = [AccountRef("x", handle=f"@Mission{i % 7}", platform_id=f"id{i % 7}") for i in range(40)]
    authors += [AccountRef("x", handle="mission3", platform_id="id3"), AccountRef("x", platform_id="only_id"),
                AccountRef("x", handle="MISSION0"), AccountRef("bluesky", handle="mission0.bsky.social")]
    ps = [Post(platform="x", platform_id=str(i), author=a, text=f"t {i}") for i, a in enumerate(authors)]
    assert _write(store, *ps).inserted == len(ps)
    with store.read() as conn:
        accs = {(r.platform, r.handle, r.platform_id): r.id for r in conn.execute(select(accounts))}
        owners = dict(conn.execute(select(posts.c.platform_id, posts.c.account_id)).all())
    assert len(accs) == 9  # 7 missions, one id-only account, one Bluesky account
    assert owners["0"] == owners["7"] == owners["42"] == accs[("x", "mission0", "id0")]
    assert owners["3"] == owners["40"] == accs[("x", "mission3", "id3")]
    assert owners["41"] == accs[("x", None, "only_id")]


def test_a_post_twice_in_one_batch_is_one_duplicate_and_media_still_match(store):
    ps = [_post(str(i), media=[Media("photo", f"http://img/{i}.png")]) for i in range(5)]
    c = _write(store, ps[0], ps[1], ps[0], ps[2], ps[3], ps[3], ps[4])
    assert (c.read, c.inserted, c.duplicates) == (7, 5, 2)
    with store.read() as conn:
        pairs = sorted(conn.execute(select(posts.c.platform_id, media.c.url).join(media, media.c.post_id == posts.c.id)))
    assert pairs == [(str(i), f"http://img/{i}.png") for i in range(5)]
