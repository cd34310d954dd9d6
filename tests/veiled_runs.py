"""A small workspace of posts with veiled references, and every row analysis stores for them
(annotations, mentions, labels and the kept sums) as both engines agree on it: for the tests that
compare two ways of annotating the same posts (held posts, Dask)."""

from __future__ import annotations

from datetime import date

import orjson
from sqlalchemy import text

from envoywatch.accounts import AccountEntry, upsert
from envoywatch.domain import AccountRef, Location, Parsed, Post
from envoywatch.store.writer import PostWriter

# emb0 and emb1 are one actor's accounts: emb1's veiled posts lean on what emb0 attacked by name.
TEXTS = [("emb0", "Washington spreads lies about Chinese vaccines in Kazakhstan."),
         ("emb0", "The United States keeps smearing China over Xinjiang."),
         ("emb1", "A certain country keeps spreading lies while its own people die from the virus."),
         ("emb1", "Some politicians in a certain superpower smear others; look at all its states burning."),
         ("emb2", "Japan keeps lying. A certain country spreads lies about our vaccines."),
         ("emb2", "Certain forces keep spreading lies about Kazakhstan and its friends."),
         ("emb3", "A certain country keeps spreading lies while its own people die from the virus."),
         ("emb3", "The United States spreads lies; a certain superpower smears others every day."),
         ("emb1", "Посольство Китая поздравляет Казахстан с праздником.")]


def fill(store, start: int, stop: int) -> None:
    """Posts start..stop-1, cycling through TEXTS, of two missions' accounts (emb3 is unregistered)."""
    with store.write() as conn:
        upsert(conn, [AccountEntry("CN mission", "embassy", "CN", "KZ", "x", "emb0"),
                      AccountEntry("CN mission", "embassy", "CN", "KZ", "x", "emb1"),
                      AccountEntry("RU mission", "embassy", "RU", "KZ", "x", "emb2")])
    items = [Parsed(Location("gen", i), [Post("x", str(i), AccountRef("x", TEXTS[i % len(TEXTS)][0]),
                                              f"{TEXTS[i % len(TEXTS)][1]} #{i}")]) for i in range(start, stop)]
    with store.write() as conn:
        PostWriter(store, "test").write(conn, items)

TABLES = {"annotations": "post_id, version, lang, propaganda, undiplomatic, data",
          "mentions": "post_id, code, role, stance, veiled, confidence",
          "post_labels": "post_id, kind, label, score",
          "story_posts": "post_id, account_id, week, lang, veiled, veiled_hostile, forward",
          "story_countries": "post_id, code, account_id, mentioned, targeted",
          "story_weeks": "account_id, key, week, n, first_id", "page_targets": "account_id, week, code, stance, n",
          "page_weeks": "account_id, week, posts, analysed, und_n, und_sum", "page_labels": "account_id, week, label, n"}


def value(v):
    """SQLite's booleans as 0/1, JSON text parsed, dates as text, floats to 9 digits (PostgreSQL adds
    kept float sums in the order rows were written, which Dask varies)."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, float):
        return round(v, 9)
    if isinstance(v, str) and v.startswith("{"):
        return orjson.loads(v)
    return str(v) if isinstance(v, date) else v


def stored_rows(store) -> dict[str, list]:
    """Each table's rows, sorted, as comparable text."""
    with store.read() as conn:
        return {t: sorted(repr([value(v) for v in r]) for r in conn.execute(text(f"SELECT {cols} FROM {t}")))
                for t, cols in TABLES.items()}
