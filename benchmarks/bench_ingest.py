"""Ingest speed against sqlite-utils and a bare orjson+executemany floor, and on PostgreSQL against COPY.

Also: growth (the same ingest at a tenth of the tweets) and where the time goes (stages timed alone).
Wall seconds are the headline; CPU seconds are given too, since the machine is shared.

Usage: python benchmarks/bench_ingest.py [--tweets 200000] [--pg URL]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from _common import WORK, save, write_twarc_pages

from envoywatch.ingest import BATCH_POSTS, Step, gc_paused, ingest
from envoywatch.sources._util import iter_lines, read_jsonl
from envoywatch.sources.twarc2 import map_record, read_rows
from envoywatch.store import open_store
from envoywatch.store.writer import RowBuilder

ROUNDS = 3  # each contender's best wall time of this many counts
PG_SCHEMA = "bench_ingest"  # its own schema: the benchmark never touches other workspaces on the server


def cpu() -> float:
    """CPU seconds of this process and of finished children (sqlite-utils runs as one)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def split_cpu(fn) -> dict:
    """Wall seconds, and CPU seconds of this process and of its children (the reading process)."""
    own0, kids0, t0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN), \
        time.perf_counter()
    fn()
    own1, kids1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall": time.perf_counter() - t0,
            "cpu_writer_process": own1.ru_utime + own1.ru_stime - own0.ru_utime - own0.ru_stime,
            "cpu_reading_process": kids1.ru_utime + kids1.ru_stime - kids0.ru_utime - kids0.ru_stime}


def timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one call, the cycle collector paused as the ingest pauses it."""
    with gc_paused():
        c0, t0 = cpu(), time.perf_counter()
        fn()
        return time.perf_counter() - t0, cpu() - c0


def flatten(pages: Path, out: Path) -> Path:
    with open(pages, "rb") as f, open(out, "wb") as o:
        for line in f:
            o.writelines(orjson.dumps(t) + b"\n" for t in orjson.loads(line)["data"])
    return out


def run_envoywatch(pages: Path, db: str) -> None:
    store = open_store(db)
    s = ingest(store, [pages]).summary()
    assert s["inserted"] > 0, s
    store.close()


def run_sqlite_utils(flat: Path, db: Path) -> None:
    exe = Path(sys.executable).with_name("sqlite-utils")
    subprocess.run([str(exe), "insert", str(db), "tweets", str(flat), "--nl"], check=True)


def run_floor(pages: Path, db: Path) -> None:
    """The least any importer must do: parse, and one executemany in one transaction."""
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE t (id TEXT PRIMARY KEY, text TEXT, json TEXT)")
    rows = []
    with open(pages, "rb") as f:
        for line in f:
            for t in orjson.loads(line)["data"]:
                rows.append((t["id"], t["text"], orjson.dumps(t).decode()))
    with con:
        con.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
    con.close()


class StorageFloor:
    """The SQLite work any importer storing what envoywatch stores must do, and nothing else: the very
    rows an envoywatch ingest wrote (read back beforehand, not timed) go into a copy of the same empty
    workspace (its accounts already there) with one executemany in one transaction, then the full-text
    index and the five secondary indexes of posts are built, as a bulk load builds them.

    Against it, envoywatch's ratio says what reading, mapping and resumable batching cost on top of the
    storage; against the floor above, what the storage itself costs."""

    def __init__(self, pages: Path, work: Path) -> None:
        from envoywatch.store import fts
        from envoywatch.store.writer import POST_COLUMNS

        loaded = fresh(work / "storage-loaded.db")
        run_envoywatch(pages, str(loaded))
        self.template = fresh(work / "storage-template.db")
        open_store(str(self.template)).close()
        con = sqlite3.connect(self.template)
        self.indexes = [sql for name, sql in con.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'posts'")
            if name in set(fts.deferrable("sqlite"))]
        for name in fts.deferrable("sqlite"):
            con.execute(f"DROP INDEX {name}")
        con.execute("ATTACH DATABASE ? AS loaded", (str(loaded),))
        con.execute("INSERT INTO accounts SELECT * FROM loaded.accounts")
        cols = ", ".join(POST_COLUMNS)
        self.rows = con.execute(f"SELECT {cols} FROM loaded.posts ORDER BY id").fetchall()
        con.commit()
        con.execute("DETACH DATABASE loaded")
        con.execute("PRAGMA journal_mode=DELETE")
        con.close()
        self.insert = f"INSERT INTO posts ({cols}) VALUES ({', '.join('?' * len(POST_COLUMNS))})"
        self.sync = str(fts.SYNC_SQLITE)
        fresh(loaded)

    def run(self, db: Path) -> None:
        shutil.copyfile(self.template, db)
        con = sqlite3.connect(db, isolation_level=None)
        # as a bulk load sets them, but for a page cache the whole load fits in (1 GiB; the load's 32 MiB
        # made the one big transaction spill pages, and this contender 15-20% slower)
        for pragma in ("journal_mode=DELETE", "synchronous=FULL", "foreign_keys=ON", "cache_size=-1048576"):
            con.execute(f"PRAGMA {pragma}")
        con.execute("BEGIN")
        con.executemany(self.insert, self.rows)
        con.execute(self.sync)
        for sql in self.indexes:
            con.execute(sql)
        con.execute("COMMIT")
        con.close()


def run_pg_copy(pages: Path, url: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as con:
        con.execute("DROP TABLE IF EXISTS bench_copy")
        con.execute("CREATE TABLE bench_copy (id TEXT PRIMARY KEY, text TEXT, json TEXT)")
        with con.cursor().copy("COPY bench_copy (id, text, json) FROM STDIN") as cp, open(pages, "rb") as f:
            for line in f:
                for t in orjson.loads(line)["data"]:
                    cp.write_row((t["id"], t["text"], orjson.dumps(t).decode()))
        con.execute("DROP TABLE bench_copy")


def stage_parse(pages: Path) -> None:
    for _, _, line in iter_lines(pages):
        orjson.loads(line)


def stage_map(pages: Path) -> None:
    """The usual mapping to Post objects, then rows (other importers take this path)."""
    builder = RowBuilder("twarc2@1", "sqlite")
    for item in read_jsonl(pages, map_record):
        builder.add(item)
        if len(builder.out.rows) >= BATCH_POSTS:
            builder.take()


def stage_rows(pages: Path) -> None:
    """The twarc2 fast path the ingest uses: pages straight to writer rows."""
    builder = RowBuilder("twarc2@1", "sqlite")
    for _ in read_rows(pages, builder):
        if len(builder.out.rows) >= BATCH_POSTS:
            builder.take()


def handoff_part(pages: Path, tweets: int = 20_000) -> dict:
    """CPU microseconds per post to hand prepared batches between the processes: the batch as the
    ingest pickles it (rows through marshal), against plain pickle and orjson of the rows alone."""
    import pickle

    builder, steps = RowBuilder("twarc2@1", "sqlite"), []
    for _, offset in read_rows(pages, builder):
        if len(builder.out.rows) >= BATCH_POSTS:
            steps.append(Step(builder.take(), 0, 0, BATCH_POSTS, offset))
        if len(steps) * BATCH_POSTS >= tweets:
            break
    n = sum(len(s.batch.rows) for s in steps)
    blobs = [pickle.dumps(s, protocol=pickle.HIGHEST_PROTOCOL) for s in steps]
    plain = [pickle.dumps(s.batch.rows, protocol=pickle.HIGHEST_PROTOCOL) for s in steps]
    rows = [orjson.dumps(s.batch.rows) for s in steps]
    per_post = {
        "batch_dumps_rows_via_marshal": timed(lambda: [pickle.dumps(s, protocol=pickle.HIGHEST_PROTOCOL)
                                                       for s in steps])[1],
        "batch_loads_rows_via_marshal": timed(lambda: [pickle.loads(b) for b in blobs])[1],
        "pickle_dumps_rows_only": timed(lambda: [pickle.dumps(s.batch.rows, protocol=pickle.HIGHEST_PROTOCOL)
                                                 for s in steps])[1],
        "pickle_loads_rows_only": timed(lambda: [pickle.loads(b) for b in plain])[1],
        "orjson_dumps_rows_only": timed(lambda: [orjson.dumps(s.batch.rows) for s in steps])[1],
        "orjson_loads_rows_only": timed(lambda: [orjson.loads(b) for b in rows])[1],
    }
    return {"posts": n, "bytes_per_post_pickled": sum(map(len, blobs)) / n,
            "cpu_us_per_post": {k: v / n * 1e6 for k, v in per_post.items()}}


def fresh(path: Path) -> Path:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    shutil.rmtree(path.parent / "rejects", ignore_errors=True)
    return path


def pg_schema_url(url: str, schema: str = PG_SCHEMA) -> str:
    """A URL whose tables live in `schema`, emptied first."""
    import sqlalchemy as sa

    eng = sa.create_engine(url)
    with eng.begin() as c:
        c.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"))
    eng.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def pg_drop(url: str, schema: str = PG_SCHEMA) -> None:
    import sqlalchemy as sa

    eng = sa.create_engine(url)
    with eng.begin() as c:
        c.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    eng.dispose()


def pg_storage_floor(url: str, loaded: str) -> float:
    """The PostgreSQL storage floor, in wall seconds: the rows envoywatch stored in schema `loaded`,
    moved by the server itself (INSERT ... SELECT, no client at all) into the same empty workspace in one
    transaction, then the full-text GIN index and the five secondary indexes built and posts analysed,
    as a bulk load ends."""
    from sqlalchemy import text

    from envoywatch.store import fts
    from envoywatch.store.writer import POST_COLUMNS

    schema = f"{PG_SCHEMA}_floor"
    store = open_store(pg_schema_url(url, schema))
    try:
        with store.write() as conn:
            conn.execute(text(f"INSERT INTO accounts SELECT * FROM {loaded}.accounts"))
            fts.defer_indexes(conn)
        cols = ", ".join(POST_COLUMNS)

        def run() -> None:
            with store.write() as conn:
                conn.execute(text(f"INSERT INTO posts ({cols}) SELECT {cols} FROM {loaded}.posts ORDER BY id"))
                fts.rebuild_deferred(conn)
                conn.exec_driver_sql("ANALYZE posts")

        return timed(run)[0]
    finally:
        store.close()
        pg_drop(url, schema)


def sqlite_part(args, work: Path, pages: Path) -> dict:
    flat = flatten(pages, work / "flat.jsonl")
    storage = StorageFloor(pages, work)
    runs = {
        "envoywatch_sqlite": lambda: run_envoywatch(pages, str(fresh(work / "ew.db"))),
        "sqlite_utils_insert_nl": lambda: run_sqlite_utils(flat, fresh(work / "su.db")),
        "floor_orjson_executemany": lambda: run_floor(pages, fresh(work / "floor.db")),
        "storage_floor_same_rows_fts_indexes": lambda: storage.run(fresh(work / "storage.db")),
    }
    wall, cpu_s = {}, {}
    for _ in range(ROUNDS):  # alternating, so a busy spell on a shared machine falls on every contender
        for name, fn in runs.items():
            w, c = timed(fn)
            if w < wall.get(name, float("inf")):
                wall[name], cpu_s[name] = w, c
    ew, su, fl = "envoywatch_sqlite", "sqlite_utils_insert_nl", "floor_orjson_executemany"
    st = "storage_floor_same_rows_fts_indexes"
    return {
        "seconds": wall, "cpu_seconds": cpu_s,
        "tweets_per_second": {k: args.tweets / v for k, v in wall.items()},
        "ratios": {"envoywatch_vs_sqlite_utils": wall[su] / wall[ew], "envoywatch_vs_floor": wall[fl] / wall[ew],
                   "envoywatch_vs_storage_floor": wall[st] / wall[ew],
                   "storage_floor_vs_floor": wall[fl] / wall[st]},
        "cpu_ratios": {"envoywatch_vs_sqlite_utils": cpu_s[su] / cpu_s[ew],
                       "envoywatch_vs_floor": cpu_s[fl] / cpu_s[ew],
                       "envoywatch_vs_storage_floor": cpu_s[st] / cpu_s[ew]},
        "goals": {"envoywatch_vs_sqlite_utils": ">= 1.0", "envoywatch_vs_floor": ">= 0.4"},
        "runs": f"best of {ROUNDS} per contender, in alternating rounds",
    }


def stages_part(pages: Path, total: tuple[float, float]) -> dict:
    """Where the ingest's time goes: read+parse, pages to rows (the fast path the ingest uses, and the
    usual mapping through Post objects for comparison), and the rest (hand-off, SQL, FTS, commits)."""
    parse = timed(lambda: stage_parse(pages))
    rows = timed(lambda: stage_rows(pages))
    usual = timed(lambda: stage_map(pages))
    out = {}
    for i, unit in enumerate(("seconds", "cpu_seconds")):
        out[unit] = {"read_and_orjson_parse": parse[i], "pages_to_rows_fast_path": rows[i] - parse[i],
                     "usual_mapping_via_posts_not_used": usual[i] - parse[i],
                     "handoff_write_index_fts_commit": total[i] - rows[i], "total": total[i]}
    return out


def write_breakdown(pages: Path, work: Path, tweets: int) -> dict:
    """CPU microseconds per tweet of the writer's steps, from one more ingest in one process
    (the steps of the reading process cannot be timed from here; see stages)."""
    import envoywatch.ingest as ingest_mod
    from envoywatch.store import writer

    spent: dict[str, float] = {}
    steps = [(writer, "_lookup", "lookup_existing_posts"),
             (writer, "_insert_sqlite", "sqlite_insert_executemany"),
             (writer.fts, "rebuild_deferred", "rebuild_indexes_and_fts5_at_the_end"),
             (writer.AccountIndex, "resolve", "accounts"), (ingest_mod._Load, "commit", "commit"),
             (writer.fts, "sync", "fts5_sync_inside_commit")]  # the commit's figure includes this one
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in steps]

    def timed_step(fn, key):
        def run(*a, **kw):
            t0 = time.process_time()
            try:
                return fn(*a, **kw)
            finally:
                spent[key] = spent.get(key, 0.0) + time.process_time() - t0
        return run

    for (owner, name, key), (_, _, fn) in zip(steps, saved, strict=True):
        setattr(owner, name, timed_step(fn, key))
    parallel, ingest_mod.PARALLEL_MIN_BYTES = ingest_mod.PARALLEL_MIN_BYTES, 1 << 62
    try:
        run_envoywatch(pages, str(fresh(work / "ew-steps.db")))
    finally:
        ingest_mod.PARALLEL_MIN_BYTES = parallel
        for owner, name, fn in saved:
            setattr(owner, name, fn)
    return {k: v / tweets * 1e6 for k, v in spent.items()}


def growth_part(args, work: Path, pages: Path, first: tuple[float, float]) -> dict:
    """The small size's best of ROUNDS runs against the full size's (the headline's), so one stall on a
    shared machine is not growth."""
    small_n = args.tweets // 10
    small = write_twarc_pages(work / "pages-small.jsonl", small_n)
    s = min(timed(lambda: run_envoywatch(small, str(fresh(work / "ew-small.db")))) for _ in range(ROUNDS))
    b = first
    return {"tweets": [small_n, args.tweets], "seconds": [s[0], b[0]], "cpu_seconds": [s[1], b[1]],
            "time_ratio": b[0] / s[0], "cpu_time_ratio": b[1] / s[1], "runs": f"best of {ROUNDS} per size",
            "goal": "10x the data <= 11x the time"}


def pg_part(pages: Path, url: str, tweets: int) -> dict:
    scoped = pg_schema_url(url)
    try:
        t_pg = timed(lambda: run_envoywatch(pages, scoped))[0]
        t_copy = timed(lambda: run_pg_copy(pages, scoped))[0]
        t_floor = pg_storage_floor(url, PG_SCHEMA)
    finally:
        pg_drop(url)
    return {"envoywatch_seconds": t_pg, "copy_seconds": t_copy, "envoywatch_vs_copy": t_copy / t_pg,
            "storage_floor_seconds": t_floor, "envoywatch_vs_storage_floor": t_floor / t_pg,
            "storage_floor_vs_copy": t_copy / t_floor, "envoywatch_tweets_per_second": tweets / t_pg,
            "storage_floor": "the rows envoywatch stored, moved by the server (INSERT ... SELECT) into the same "
                             "empty workspace, then the GIN full-text index and the five indexes built, ANALYZE"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tweets", type=int, default=200_000)
    ap.add_argument("--pg", default=os.environ.get("ENVOYWATCH_BENCH_PG"))
    args = ap.parse_args()
    work = WORK / "ingest"
    work.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    pages = write_twarc_pages(work / "pages.jsonl", args.tweets)
    result = {"workload": f"{args.tweets} generated tweets in twarc2 pages (100 per page), fresh workspace",
              **sqlite_part(args, work, pages),
              "notes": "envoywatch does full normalisation, raw payload, provenance, accounts and FTS5; "
                       "sqlite-utils stores the flattened JSON as columns; the floor stores (id, text, json)."}
    total = (result["seconds"]["envoywatch_sqlite"], result["cpu_seconds"]["envoywatch_sqlite"])
    result["stages"] = stages_part(pages, total)
    result["stages"]["write_stage_cpu_us_per_tweet"] = write_breakdown(pages, work, args.tweets)
    split = split_cpu(lambda: run_envoywatch(pages, str(fresh(work / "ew-split.db"))))
    result["stages"]["two_processes_us_per_tweet"] = {k: v / args.tweets * 1e6 for k, v in split.items()}
    result["stages"]["handoff"] = handoff_part(pages)
    result["load_average_1min_at_start"] = load
    result["growth"] = growth_part(args, work, pages, total)
    if args.pg:
        result["postgresql"] = pg_part(pages, args.pg, args.tweets)
    save("ingest", result)


if __name__ == "__main__":
    main()
