"""Ingest speed against sqlite-utils and a bare orjson+executemany floor, and on PostgreSQL against COPY.

Usage: python benchmarks/bench_ingest.py [--tweets 200000] [--pg URL]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from _common import WORK, best_of, save, write_twarc_pages  # noqa: E402

from envoywatch.ingest import ingest  # noqa: E402
from envoywatch.store import open_store  # noqa: E402


def flatten(pages: Path, out: Path) -> Path:
    with open(pages, "rb") as f, open(out, "wb") as o:
        for line in f:
            for t in orjson.loads(line)["data"]:
                o.write(orjson.dumps(t) + b"\n")
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


def fresh(path: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    shutil.rmtree(path.parent / "rejects", ignore_errors=True)
    return path


def pg_reset(url: str) -> None:
    import sqlalchemy as sa

    eng = sa.create_engine(url)
    with eng.begin() as c:
        c.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    eng.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tweets", type=int, default=200_000)
    ap.add_argument("--pg", default=os.environ.get("ENVOYWATCH_BENCH_PG"))
    args = ap.parse_args()
    work = WORK / "ingest"
    work.mkdir(parents=True, exist_ok=True)
    pages = write_twarc_pages(work / "pages.jsonl", args.tweets)
    flat = flatten(pages, work / "flat.jsonl")
    t = {
        "envoywatch_sqlite": best_of(lambda: run_envoywatch(pages, str(fresh(work / "ew.db")))),
        "sqlite_utils_insert_nl": best_of(lambda: run_sqlite_utils(flat, fresh(work / "su.db"))),
        "floor_orjson_executemany": best_of(lambda: run_floor(pages, fresh(work / "floor.db"))),
    }
    result = {"workload": f"{args.tweets} generated tweets in twarc2 pages (100 per page), fresh workspace",
              "seconds": t, "tweets_per_second": {k: args.tweets / v for k, v in t.items()},
              "ratios": {"envoywatch_vs_sqlite_utils": t["sqlite_utils_insert_nl"] / t["envoywatch_sqlite"],
                         "envoywatch_vs_floor": t["floor_orjson_executemany"] / t["envoywatch_sqlite"]},
              "goals": {"envoywatch_vs_sqlite_utils": ">= 1.0", "envoywatch_vs_floor": ">= 0.4"},
              "notes": "envoywatch does full normalisation, raw payload, provenance, accounts and FTS5; "
                       "sqlite-utils stores the flattened JSON as columns; the floor stores (id, text, json)."}
    if args.pg:
        pg_reset(args.pg)
        t_pg = best_of(lambda: run_envoywatch(pages, args.pg))
        t_copy = best_of(lambda: run_pg_copy(pages, args.pg))
        result["postgresql"] = {"envoywatch_seconds": t_pg, "copy_seconds": t_copy,
                                "envoywatch_vs_copy": t_copy / t_pg}
    save("ingest", result)


if __name__ == "__main__":
    main()
