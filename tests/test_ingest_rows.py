"""The twarc2 fast path (pages straight to writer rows) gives exactly the rows of the usual mapping."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from sqlalchemy import select

from envoywatch.ingest import ingest
from envoywatch.sources.twarc2 import Twarc2Source, read_rows
from envoywatch.store.schema import posts
from envoywatch.store.writer import NULL_MARK, NULLABLE_AT, RowBuilder

USERS = [{"id": "1", "username": "EmbassyKZ", "name": "Embassy"}, {"id": 2, "username": "critic_2"},
         {"id": "3", "username": ["odd"]}, {"id": "4"}]


def _tweet(i: int, **extra) -> dict:
    return {"id": str(700 + i), "text": f"statement {i} on trade", "author_id": "1",
            "created_at": "2021-03-14T07:00:00.000Z", "lang": "en", **extra}


ODD_TWEETS = [
    _tweet(1, in_reply_to_user_id="2", referenced_tweets=[{"type": "replied_to", "id": "9"}],
           conversation_id="9", entities={"mentions": [{"username": "critic_2"}, {"x": 1}],
                                          "hashtags": [{"tag": "Astana"}, "bad"]}),
    _tweet(2, referenced_tweets=[{"type": "quoted", "id": "8"}, {"type": "retweeted", "id": "7"}, "junk"]),
    _tweet(3, attachments={"media_keys": ["m1", "m2", "missing"]}, public_metrics={"like_count": 3, 5: "x"}),
    _tweet(4, note_tweet={"text": "a long note " * 50}),
    _tweet(5, text="ctrl\x00chars\x07 and \u2028 more"),
    _tweet(6, text="🙂🙂🙂"),
    _tweet(7, text="<script>alert(1)</script><b>bold</b>"),
    _tweet(8, text="x" * 100_500),
    _tweet(9, text=None),
    _tweet(10, text=12345),
    _tweet(11, created_at="2021-02-30T07:00:00.000Z"),
    _tweet(12, created_at="0000-01-01T00:00:00.000Z"),
    _tweet(13, created_at="2020-W01-1T00:00:00.000Z"),
    _tweet(14, created_at="2021-03-14T07:00:00+06:00"),
    _tweet(15, created_at="2021-03-31T23:59:59.999Z"),
    _tweet(16, created_at=1615705200),
    _tweet(17, created_at=None, lang=None),
    _tweet(18, lang=["en"], conversation_id={"id": 1}),
    _tweet(19, author_id="99"),
    _tweet(20, author_id="2", extra_field=1, __twarc={"url": "u"}),
    _tweet(21, author_id="3"),
    _tweet(22, author_id="4", lang=" kk "),
    _tweet(1),  # a repeat inside the page
    {"id": None, "text": "no id"},
    "not a tweet",
    _tweet(23, created_at="2021-03-14T07:00:00.000Z\u0660"),
]
MEDIA = [{"media_key": "m1", "type": "photo", "url": "https://img/1.jpg"},
         {"media_key": "m2", "type": "video", "variants": [{"bit_rate": 10, "url": "https://v/lo.mp4"},
                                                           {"bit_rate": 99, "url": "https://v/hi.mp4"}]}]


def _lines() -> list[bytes]:
    plain = [orjson.dumps({"data": [_tweet(100 + 10 * p + k) for k in range(10)],
                           "includes": {"users": USERS}, "meta": {}}) for p in range(3)]
    odd = orjson.dumps({"data": ODD_TWEETS, "includes": {"users": USERS, "media": MEDIA,
                                                         "tweets": [_tweet(50), _tweet(2)]}, "__twarc": {}},
                       option=orjson.OPT_NON_STR_KEYS)
    lone = orjson.dumps({"data": [_tweet(64, text="LONE")], "includes": {"users": USERS}}).replace(
        b"LONE", b"\\ud800 lone")  # orjson refuses it: the line is repaired and noted
    one = orjson.dumps({"data": _tweet(60), "includes": {"users": USERS}})
    unhashable = orjson.dumps({"data": [_tweet(61, attachments={"media_keys": [["m1"]]})],
                               "includes": {"users": USERS, "media": MEDIA}})
    flat = orjson.dumps({**_tweet(62), "author": USERS[0]})
    bad_bytes = orjson.dumps({"data": [_tweet(63)], "includes": {"users": USERS}}).replace(b"trade", b"tr\xffde")
    return [*plain, odd, lone, one, b"", unhashable, b'{"data": [{"id": "cut', flat, bad_bytes, b"[1, 2]", b"{}"]


@pytest.fixture
def pages(tmp_path) -> Path:
    path = tmp_path / "pages.jsonl"
    path.write_bytes(b"\n".join(_lines()) + b"\n")
    return path


def _both(path: Path, dialect: str, skip: int = 0):
    fast, usual = RowBuilder("twarc2@1", dialect), RowBuilder("twarc2@1", dialect)
    usual.now = fast.now
    added_fast = [n for n, _ in read_rows(path, fast, skip)]
    items = list(Twarc2Source().read(path))[skip:]
    added_usual = [usual.add(item) for item in items]
    return fast.take(), usual.take(), added_fast, added_usual


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
@pytest.mark.parametrize("skip", [0, 3])
def test_fast_path_rows_equal_the_usual_mapping(pages, dialect, skip):
    fast, usual, added_fast, added_usual = _both(pages, dialect, skip)
    assert added_fast == added_usual
    assert len(fast.rows) > 20 and fast.rows == usual.rows
    assert fast.refs == usual.refs and fast.extra_refs == usual.extra_refs and fast.media == usual.media
    assert fast.blocks == usual.blocks
    assert [(r.where, r.reason, r.raw) for r in fast.rejects] == [(r.where, r.reason, r.raw) for r in usual.rejects]
    assert fast.rejects, "the cut line and the odd records are rejected with reasons"


def test_sqlite_rows_carry_the_null_mark_and_store_null(pages, store):
    fast = _both(pages, "sqlite")[0]
    assert all(row[i] is not None for row in fast.rows for i in NULLABLE_AT)
    assert any(row[i] == NULL_MARK for row in fast.rows for i in NULLABLE_AT)
    s = ingest(store, [pages]).summary()
    assert s["inserted"] == len({(r[0], r[1]) for r in fast.rows})
    with store.read() as conn:
        stored = conn.execute(select(posts.c.edited_at, posts.c.in_reply_to, posts.c.source_line,
                                     posts.c.has_media)).all()
    assert all(r.edited_at is None for r in stored) and any(r.in_reply_to is None for r in stored)
    assert all(r.source_line and r.source_line > 0 for r in stored)
    assert {r.has_media for r in stored} == {True, False}


def test_the_fast_path_is_the_declared_optional_protocol():
    from envoywatch.sources.base import RowSource, Source

    assert isinstance(Twarc2Source(), RowSource) and not isinstance(Source(), RowSource)
