"""Read posts for analysis and write their annotations, mentions, labels and embeddings."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson
from sqlalchemy import Connection, and_, delete, func, insert, or_, select
from sqlalchemy.orm import aliased

from envoywatch.analysis.base import PostInput
from envoywatch.store.db import Store
from envoywatch.store.schema import (
    accounts,
    actors,
    annotations,
    embeddings,
    mentions,
    post_labels,
    posts,
)
from envoywatch.timeutil import as_utc, utcnow

parent = aliased(posts)
parent_acc = aliased(accounts)


def _inputs_query():
    return (
        select(posts.c.id, posts.c.text, posts.c.created_at, posts.c.in_reply_to,
               accounts.c.platform, accounts.c.handle, accounts.c.watched,
               actors.c.sending_country, actors.c.host_country,
               parent.c.id.label("parent_id"), parent_acc.c.handle.label("parent_handle"))
        .select_from(
            posts.join(accounts, posts.c.account_id == accounts.c.id)
            .outerjoin(actors, accounts.c.actor_id == actors.c.id)
            .outerjoin(parent, and_(parent.c.platform == posts.c.platform,
                                    parent.c.platform_id == posts.c.in_reply_to))
            .outerjoin(parent_acc, parent.c.account_id == parent_acc.c.id)))


def _to_input(r) -> PostInput:
    """A row of the inputs query (a tuple in its column order) as an analyzer input."""
    pid, text, created_at, in_reply_to, platform, handle, watched, sender, host, parent_id, parent_handle = r
    return PostInput(
        id=str(pid), text=text or "", account=f"{platform}:{handle}",
        sender=sender, host=host, created_at=as_utc(created_at),
        in_reply_to=str(parent_id) if parent_id is not None else in_reply_to,
        parent_account=f"{platform}:{parent_handle}" if parent_handle else None,
        watched=bool(watched))


def count_pending(store: Store, version: str) -> int:
    q = (select(func.count()).select_from(posts.outerjoin(annotations, annotations.c.post_id == posts.c.id))
         .where(or_(annotations.c.post_id.is_(None), annotations.c.version != version)))
    with store.read() as conn:
        return conn.execute(q).scalar_one()


def pending_ids(store: Store, version: str) -> list[int]:
    """Ids of posts never annotated, or annotated by another pipeline version, oldest first."""
    q = (select(posts.c.id).select_from(posts.outerjoin(annotations, annotations.c.post_id == posts.c.id))
         .where(or_(annotations.c.post_id.is_(None), annotations.c.version != version))
         .order_by(posts.c.created_at, posts.c.id))
    with store.read() as conn:
        return list(conn.execute(q).scalars())


def load_inputs(store: Store, ids: Sequence[int]) -> list[PostInput]:
    """The analyzers' view of these posts, in the order of `ids` (unknown ids are left out)."""
    out: dict[int, PostInput] = {}
    with store.read() as conn:
        for i in range(0, len(ids), 500):
            for r in _input_rows(conn, list(ids[i : i + 500])):
                out[r[0]] = _to_input(r)
    return [out[i] for i in ids if i in out]


def _input_rows(conn: Connection, ids: list[int]) -> list[tuple]:
    """Rows of the inputs query for these ids. On SQLite and PostgreSQL the query is compiled
    once and run on the driver's cursor: no per-row result processing (`as_utc` parses times)."""
    dialect = conn.dialect.name
    if dialect == "sqlite":
        cur = conn.connection.dbapi_connection.cursor()
        try:
            where = f" WHERE posts.id IN ({', '.join('?' * len(ids))})"
            return cur.execute(_inputs_sql(conn.dialect) + where, ids).fetchall()
        finally:
            cur.close()
    if dialect == "postgresql":
        with conn.connection.driver_connection.cursor() as cur:
            return cur.execute(_inputs_sql(conn.dialect) + " WHERE posts.id = ANY(%s)", (ids,)).fetchall()
    return [tuple(r) for r in conn.execute(_inputs_query().where(posts.c.id.in_(ids)))]


_INPUTS_SQL: dict[str, str] = {}


def _inputs_sql(dialect) -> str:
    if dialect.name not in _INPUTS_SQL:
        _INPUTS_SQL[dialect.name] = str(_inputs_query().compile(dialect=dialect))
    return _INPUTS_SQL[dialect.name]


def iter_inputs(store: Store, version: str, batch: int = 256) -> Iterator[list[PostInput]]:
    ids = pending_ids(store, version)
    for i in range(0, len(ids), batch):
        yield load_inputs(store, ids[i : i + batch])


def load_embeddings(store: Store, ids: Sequence[int], model: str) -> dict[int, np.ndarray]:
    found: dict[int, np.ndarray] = {}
    with store.read() as conn:
        for i in range(0, len(ids), 500):
            q = select(embeddings.c.post_id, embeddings.c.vector).where(
                embeddings.c.post_id.in_(ids[i : i + 500]), embeddings.c.model == model)
            for pid, blob in conn.execute(q):
                found[pid] = np.frombuffer(blob, dtype="<f2").astype(np.float32)
    return found


def save_embeddings(conn: Connection, vecs: dict[int, np.ndarray], model: str) -> None:
    if not vecs:
        return
    ids = list(vecs)
    conn.execute(delete(embeddings).where(embeddings.c.post_id.in_(ids)))
    conn.execute(insert(embeddings), [
        {"post_id": pid, "model": model, "vector": v.astype("<f2").tobytes()} for pid, v in vecs.items()])


ANNOTATION_COLUMNS = ("post_id", "version", "lang", "propaganda", "propaganda_score", "undiplomatic", "hostility",
                      "hostile", "stance", "block_claim", "data", "annotated_at")
MENTION_COLUMNS = ("post_id", "code", "role", "stance", "veiled", "confidence")
LABEL_COLUMNS = ("post_id", "kind", "label", "score")
TABLE_COLUMNS = {"annotations": ANNOTATION_COLUMNS, "mentions": MENTION_COLUMNS, "post_labels": LABEL_COLUMNS}
CHUNK = 500  # ids per DELETE ... IN (...)


def _dumps(value: Any) -> str:
    """JSON text exactly as the store's engines serialise a JSON column (see store.db). Keys that
    are not strings are rare: orjson is asked for them only when plain dumping refuses (30% faster)."""
    try:
        return orjson.dumps(value, default=str).decode()
    except orjson.JSONEncodeError:
        return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def annotation_rows(anns: Sequence[dict[str, Any]], version: str, annotated_at: Any
                    ) -> dict[str, list[tuple]]:
    """Prepared row tuples per table (columns as in TABLE_COLUMNS) for these annotations."""
    rows, mrows, lrows = [], [], []
    for a in anns:
        pid, reply = int(a["id"]), a.get("reply") or {}
        rows.append((pid, version, a.get("lang"), a.get("propaganda"), a.get("propaganda_score"),
                     a.get("undiplomatic"), reply.get("hostility"), reply.get("hostile"), reply.get("stance"),
                     bool(a.get("block_claim")) if "block_claim" in a else None, _dumps(a), annotated_at))
        mrows += [(pid, m.get("code"), m.get("role"), m.get("stance"), bool(m.get("veiled")), m.get("confidence"))
                  for m in a.get("countries") or []]
        lrows += [(pid, "technique", t["label"], t.get("score")) for t in a.get("techniques") or []]
        scores = a.get("topic_scores") or {}
        lrows += [(pid, "topic", topic, scores.get(topic)) for topic in a.get("topics") or []]
    return {"annotations": rows, "mentions": mrows, "post_labels": lrows}


def write_annotations(conn: Connection, anns: Sequence[dict[str, Any]], version: str) -> None:
    """Replace the annotations of these posts (idempotent: a re-run writes the same rows).

    Rows are prepared as tuples and written through the driver in one statement per table
    (executemany on SQLite, COPY on PostgreSQL): SQLAlchemy's per-row parameter handling cost
    more than the analysis of a post in fast mode.
    """
    if not anns:
        return
    ids = [int(a["id"]) for a in anns]
    now = utcnow()
    dialect = conn.dialect.name
    if dialect == "sqlite":
        _write_sqlite(conn, ids, annotation_rows(anns, version, _sqlite_time(now)))
    elif dialect == "postgresql":
        _write_pg(conn, ids, annotation_rows(anns, version, now))
    else:
        _write_generic(conn, ids, annotation_rows(anns, version, now))


def _sqlite_time(value: datetime) -> str:
    """UTC time as SQLAlchemy's SQLite DateTime stores it: 'YYYY-MM-DD HH:MM:SS.ffffff'."""
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]


def delete_annotations(conn: Connection, ids: Sequence[int]) -> None:
    """Remove these posts' annotations, mentions and labels (posts annotated again, written later)."""
    ids = [int(i) for i in ids]
    if not ids:
        return
    dialect = conn.dialect.name
    if dialect == "sqlite":
        cur = conn.connection.dbapi_connection.cursor()
        try:
            _delete_sqlite(cur, ids)
        finally:
            cur.close()
    elif dialect == "postgresql":
        with conn.connection.driver_connection.cursor() as cur:
            _delete_pg(cur, ids)
    else:
        for table in (annotations, mentions, post_labels):
            conn.execute(delete(table).where(table.c.post_id.in_(ids)))


def _delete_sqlite(cur, ids: list[int]) -> None:
    for table in TABLE_COLUMNS:
        for i in range(0, len(ids), CHUNK):
            chunk = ids[i : i + CHUNK]
            cur.execute(f"DELETE FROM {table} WHERE post_id IN ({', '.join('?' * len(chunk))})", chunk)


def _delete_pg(cur, ids: list[int]) -> None:
    for table in TABLE_COLUMNS:
        cur.execute(f"DELETE FROM {table} WHERE post_id = ANY(%s)", (ids,))


def _write_sqlite(conn: Connection, ids: list[int], tables: dict[str, list[tuple]]) -> None:
    cur = conn.connection.dbapi_connection.cursor()
    try:
        _delete_sqlite(cur, ids)
        for table, cols in TABLE_COLUMNS.items():
            if tables[table]:
                sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
                cur.executemany(sql, tables[table])
    finally:
        cur.close()


def _write_pg(conn: Connection, ids: list[int], tables: dict[str, list[tuple]]) -> None:
    with conn.connection.driver_connection.cursor() as cur:
        _delete_pg(cur, ids)
        for table, cols in TABLE_COLUMNS.items():
            if tables[table]:
                with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in tables[table]:
                        copy.write_row(row)


def _write_generic(conn: Connection, ids: list[int], tables: dict[str, list[tuple]]) -> None:
    """Any other engine SQLAlchemy supports: its own executemany (JSON re-parsed for its serialiser)."""
    for table in (annotations, mentions, post_labels):
        conn.execute(delete(table).where(table.c.post_id.in_(ids)))
        rows = [dict(zip(TABLE_COLUMNS[table.name], r, strict=True)) for r in tables[table.name]]
        if table is annotations:
            for r in rows:
                r["data"] = orjson.loads(r["data"])
        if rows:
            conn.execute(insert(table), rows)


def target_priors(store: Store, unwritten: Mapping[str, Mapping[str, int]] | None = None
                  ) -> dict[str, dict[str, float]]:
    """Per account, the share of explicitly hostile mentions aimed at each country.

    Accounts of one actor share their actor's history: an ambassador's new page inherits
    what the embassy has been attacking. `unwritten` adds, per account ("platform:handle"), the
    counts per country of such mentions in annotations not written yet (see `explicit_targets`).
    """
    q = (select(accounts.c.platform, accounts.c.handle, accounts.c.actor_id, mentions.c.code, func.count())
         .select_from(mentions.join(posts, posts.c.id == mentions.c.post_id)
                      .join(accounts, accounts.c.id == posts.c.account_id))
         .where(mentions.c.stance == "hostile", mentions.c.veiled.is_(False), mentions.c.code.is_not(None))
         .group_by(accounts.c.platform, accounts.c.handle, accounts.c.actor_id, mentions.c.code))
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    with store.read() as conn:
        for platform, handle, actor_id, code, n in conn.execute(q):
            counts[f"actor:{actor_id}" if actor_id is not None else f"{platform}:{handle}"][code] += n
        members = conn.execute(select(accounts.c.platform, accounts.c.handle, accounts.c.actor_id)
                               .where(accounts.c.actor_id.is_not(None))).all()
    if unwritten:
        actor_of = {f"{platform}:{handle}": actor_id for platform, handle, actor_id in members}
        for account, codes in unwritten.items():
            counts[f"actor:{actor_of[account]}" if account in actor_of else account].update(codes)
    shares = {g: {c: n / sum(cs.values()) for c, n in cs.items()} for g, cs in counts.items()}
    priors = {g: v for g, v in shares.items() if not g.startswith("actor:")}
    for platform, handle, actor_id in members:
        if f"actor:{actor_id}" in shares:
            priors[f"{platform}:{handle}"] = shares[f"actor:{actor_id}"]
    return priors


def load_annotations(store: Store, ids: Sequence[int], version: str) -> dict[int, dict[str, Any]]:
    """The stored annotation of each of these posts, when written by this pipeline version."""
    found: dict[int, dict[str, Any]] = {}
    with store.read() as conn:
        for i in range(0, len(ids), 500):
            q = select(annotations.c.post_id, annotations.c.data).where(
                annotations.c.post_id.in_(ids[i : i + 500]), annotations.c.version == version)
            found.update((pid, data) for pid, data in conn.execute(q) if isinstance(data, dict))
    return found


def explicit_targets(anns: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, dict[str, int]]:
    """Per account, the mentions `target_priors` would count in these (account, annotation) pairs
    once written: explicit (not veiled), hostile, of a known country."""
    out: dict[str, dict[str, int]] = {}
    for account, a in anns:
        for m in a.get("countries") or []:
            code = m.get("code")
            if code is not None and m.get("stance") == "hostile" and not bool(m.get("veiled")):
                codes = out.setdefault(account, {})
                codes[code] = codes.get(code, 0) + 1
    return out


def veiled_post_ids(store: Store) -> list[int]:
    q = select(mentions.c.post_id).where(mentions.c.veiled.is_(True)).distinct()
    with store.read() as conn:
        return list(conn.execute(q).scalars())
