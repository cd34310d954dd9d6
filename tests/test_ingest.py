"""Ingest end to end: summary, idempotency, exact resume after a kill, rejects with reasons."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from envoywatch import ingest as ingest_mod
from envoywatch.cli import app
from envoywatch.ingest import ingest
from envoywatch.store.schema import posts, rejects
from envoywatch.store.writer import PostWriter


def _tweet(i: int, reply_to: int | None = None) -> dict:
    t = {"id": str(1000 + i), "text": f"post number {i} about the United States", "author_id": str(i % 7),
         "created_at": f"2020-03-{1 + i % 28:02d}T10:00:00.000Z", "conversation_id": str(1000 + i),
         "lang": "en"}
    if reply_to is not None:
        t["referenced_tweets"] = [{"type": "replied_to", "id": str(1000 + reply_to)}]
    return t


def _page(tweets: list[dict]) -> dict:
    users = [{"id": str(u), "username": f"user{u}", "name": f"User {u}"} for u in range(7)]
    return {"data": tweets, "includes": {"users": users}, "meta": {"result_count": len(tweets)}}


@pytest.fixture
def pages(tmp_path):
    """A twarc2 file of 30 pages x 10 tweets, with one truncated line in the middle."""
    path = tmp_path / "pages.jsonl"
    lines = [orjson.dumps(_page([_tweet(p * 10 + k, reply_to=p * 10 if k else None) for k in range(10)]))
             for p in range(30)]
    lines.insert(15, b'{"data": [{"id": "broken", "text": "cut off')
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _count(store, table) -> int:
    with store.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_summary_rejects_and_idempotency(store, pages):
    first = ingest(store, [pages]).summary()
    assert (first["read"], first["inserted"], first["rejected"]) == (301, 300, 1)
    rej = [orjson.loads(line) for line in Path(first["rejects_file"]).read_bytes().splitlines()]
    assert rej[0]["line"] == 16 and rej[0]["reason"]
    second = ingest(store, [pages]).summary()
    assert (second["inserted"], second["duplicates"], second["rejected"]) == (0, 300, 1)
    assert _count(store, posts) == 300


def test_killed_ingest_resumes_to_the_same_counts(store, pages, monkeypatch, tmp_path):
    monkeypatch.setattr(ingest_mod, "BATCH", 4)
    real_write, calls = PostWriter.write_prepared, {"n": 0}

    def dying_write(self, conn, items):  # a prepared batch
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt("killed mid-file")
        return real_write(self, conn, items)

    monkeypatch.setattr(PostWriter, "write_prepared", dying_write)
    with pytest.raises(KeyboardInterrupt):
        ingest(store, [pages])
    partial = _count(store, posts)
    assert 0 < partial < 300
    monkeypatch.setattr(PostWriter, "write_prepared", real_write)
    resumed = ingest(store, [pages]).summary()
    assert resumed["files"][0]["resumed_from_record"] == 16
    assert (resumed["read"], resumed["inserted"], resumed["duplicates"], resumed["rejected"]) == (301, 300, 0, 1)
    assert _count(store, posts) == 300
    assert _count(store, rejects) == 1


def test_cli_ingest_json_and_unknown_format(tmp_path, pages):
    db = str(tmp_path / "cli.db")
    r = CliRunner().invoke(app, ["--db", db, "ingest", str(pages), "--json"])
    assert r.exit_code == 0, r.output
    summary = orjson.loads(r.stdout)
    assert set(summary) >= {"read", "inserted", "updated", "duplicates", "rejected", "rejects_file"}
    odd = tmp_path / "notes.txt"
    odd.write_text("just some notes\nnothing to see\n")
    r = CliRunner().invoke(app, ["--db", db, "ingest", str(odd)])
    assert r.exit_code == 2 and "not a format envoywatch knows" in r.stderr
    r = CliRunner().invoke(app, ["--db", db, "ingest", str(tmp_path / "missing.jsonl")])
    assert r.exit_code == 2 and "no such file" in r.stderr


def test_cli_registry_round_trip(tmp_path):
    db = str(tmp_path / "reg.db")
    csv = tmp_path / "accounts.csv"
    csv.write_text("actor,role,sending_country,host_country,platform,handle\n"
                   "Embassy of China in Kazakhstan,embassy,CN,KZ,x,@ChinaEmbKZ\n"
                   "Embassy of China in Kazakhstan,embassy,CN,KZ,telegram,china_kz\n"
                   "Ambassador Zhao Lin,ambassador,CN,KZ,facebook,zhaolin.amb\n")
    r = CliRunner().invoke(app, ["--db", db, "accounts", "import", str(csv), "--json"])
    assert r.exit_code == 0, r.output
    assert orjson.loads(r.stdout) == {"actors": 2, "accounts_added": 3, "accounts_updated": 0}
    r = CliRunner().invoke(app, ["--db", db, "accounts", "list", "--json"])
    rows = [orjson.loads(line) for line in r.stdout.splitlines()]
    assert {(x["platform"], x["handle"]) for x in rows} == {("x", "chinaembkz"), ("telegram", "china_kz"),
                                                          ("facebook", "zhaolin.amb")}
    r = CliRunner().invoke(app, ["--db", db, "accounts", "export", "--format", "yaml"])
    assert "Ambassador Zhao Lin" in r.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("actor,role,sending_country,host_country,platform,handle\nX,embassy,ZZ,KZ,x,h\n")
    r = CliRunner().invoke(app, ["--db", db, "accounts", "import", str(bad)])
    assert r.exit_code == 2 and "ISO 3166" in r.stderr


def test_a_kill_inside_a_grouped_commit_resumes_from_the_last_commit(store, pages, monkeypatch):
    monkeypatch.setattr(ingest_mod, "WRITE_RECORDS", 4)
    monkeypatch.setattr(ingest_mod, "BATCH", 12)  # three write batches per transaction
    real_write, calls = PostWriter.write_prepared, {"n": 0}

    def dying_write(self, conn, items):  # a prepared batch
        calls["n"] += 1
        if calls["n"] == 5:  # the second write of the second transaction
            raise KeyboardInterrupt("killed mid-transaction")
        return real_write(self, conn, items)

    monkeypatch.setattr(PostWriter, "write_prepared", dying_write)
    with pytest.raises(KeyboardInterrupt):
        ingest(store, [pages])
    assert _count(store, posts) == 120  # 12 pages of 10 tweets committed, the rest rolled back
    monkeypatch.setattr(PostWriter, "write_prepared", real_write)
    resumed = ingest(store, [pages]).summary()
    assert resumed["files"][0]["resumed_from_record"] == 12
    assert (resumed["read"], resumed["inserted"], resumed["duplicates"], resumed["rejected"]) == (301, 300, 0, 1)
    assert _count(store, rejects) == 1


def test_two_runs_in_the_same_second_keep_their_rejects_apart(tmp_path):
    """Rejects files are named by the source file and the second; a second run of the same name in the
    same second (a PostgreSQL workspace puts both in the working directory) gets a file of its own."""
    from envoywatch.domain import Location, Reject
    from envoywatch.ingest import RejectLog

    path = tmp_path / "rejects" / "pages.jsonl.20261130T021135Z.jsonl"
    logs = [RejectLog(path), RejectLog(path)]
    for n, log in enumerate(logs):
        log.write(Reject(Location("pages.jsonl", n + 1, 0), f"bad line {n + 1}", "{"))
        log.close()
    assert [log.path.name for log in logs] == ["pages.jsonl.20261130T021135Z.jsonl",
                                               "pages.jsonl.20261130T021135Z-2.jsonl"]
    assert [orjson.loads(log.path.read_bytes())["reason"] for log in logs] == ["bad line 1", "bad line 2"]
