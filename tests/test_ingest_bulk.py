"""Bulk loads: indexes dropped and rebuilt once, a killed load repaired on the next open, and the
second reading process giving the same counts as reading in one process."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, inspect, select, text

from envoywatch import ingest as ingest_mod
from envoywatch.ingest import bulk_load_applies, ingest
from envoywatch.store import fts, open_store
from envoywatch.store.schema import deferred_indexes, posts
from envoywatch.store.writer import PostWriter


def _page(p: int) -> bytes:
    tweets = [{"id": str(5000 + p * 10 + k), "text": f"embassy statement {p} {k} about trade",
               "author_id": str(k % 4), "created_at": f"2021-05-0{1 + k % 9}T10:00:00.000Z",
               "lang": "en"} for k in range(10)]
    users = [{"id": str(u), "username": f"mission{u}", "name": f"Mission {u}"} for u in range(4)]
    return orjson.dumps({"data": tweets, "includes": {"users": users}})


@pytest.fixture
def pages(tmp_path):
    path = tmp_path / "pages.jsonl"
    lines = [_page(p) for p in range(30)]
    lines.insert(10, b'{"data": [{"id": "cut')
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.fixture
def bulk(monkeypatch):
    """Every file counts as a bulk load, as a 100 MB export into a new workspace would."""
    monkeypatch.setattr(ingest_mod, "BULK_MIN_POSTS", 1)
    monkeypatch.setattr(ingest_mod, "BYTES_PER_POST", 1)


def _state(store) -> tuple[int, set[str], int, int]:
    with store.read() as conn:
        n = conn.execute(select(func.count()).select_from(posts)).scalar()
        names = {ix["name"] for ix in inspect(conn).get_indexes("posts")}
        pending = conn.execute(select(func.count()).select_from(deferred_indexes)).scalar()
        if store.dialect == "sqlite":
            found = conn.execute(text("SELECT count(*) FROM posts_fts WHERE posts_fts MATCH 'statement'")).scalar()
        else:
            found = conn.execute(text("SELECT count(*) FROM posts WHERE fts_vector "
                                      "@@ plainto_tsquery('simple', 'statement')")).scalar()
    return n, names, pending, found


def _missing(names: set[str], store) -> set[str]:
    return {n for n in fts.deferrable(store.dialect) if n != fts.PG_FTS_INDEX} - names


def _killed_at(monkeypatch, call: int, store, files, message: str = "killed") -> None:
    """Ingest `files`, killed (KeyboardInterrupt) at the writer's `call`-th batch; the writer is real again after."""
    real, calls = PostWriter.write_prepared, {"n": 0}

    def dying(self, conn, batch):
        calls["n"] += 1
        if calls["n"] == call:
            raise KeyboardInterrupt(message)
        return real(self, conn, batch)

    monkeypatch.setattr(PostWriter, "write_prepared", dying)
    with pytest.raises(KeyboardInterrupt):
        ingest(store, files)
    monkeypatch.setattr(PostWriter, "write_prepared", real)


def _readers(monkeypatch) -> list[list[int]]:
    """The reading processes started from now on, each as the records its files start at."""
    started: list[list[int]] = []
    real_init = ingest_mod.ReadingProcess.__init__

    def init(self, jobs):
        real_init(self, jobs)
        started.append([job.skip for job in jobs])

    monkeypatch.setattr(ingest_mod.ReadingProcess, "__init__", init)
    return started


def test_bulk_load_rebuilds_every_index_and_finds_posts(store, pages, bulk, monkeypatch):
    monkeypatch.setattr(ingest_mod, "BATCH", 7)  # several transactions
    told: list[tuple] = []
    s = ingest(store, [pages], progress_factory=lambda p: lambda *a: told.append(a)).summary()
    size = pages.stat().st_size  # the index builds are named while they run, after the last batch
    assert told[-2:] == [(size, size, "building indexes"), (size, size)]
    assert (s["read"], s["inserted"], s["rejected"]) == (301, 300, 1)
    n, names, pending, found = _state(store)
    assert (n, pending, found) == (300, 0, 300) and not _missing(names, store)
    again = ingest(store, [pages]).summary()  # now the workspace is not small: per-row upkeep, all duplicates
    assert (again["inserted"], again["duplicates"]) == (0, 300)


def test_killed_bulk_load_is_repaired_on_open_and_resumes(store, db_url, pages, bulk, monkeypatch):
    monkeypatch.setattr(ingest_mod, "WRITE_RECORDS", 4)
    monkeypatch.setattr(ingest_mod, "BATCH", 8)
    _killed_at(monkeypatch, 5, store, [pages])
    n, names, pending, _ = _state(store)
    assert n == 150 and pending == len(fts.deferrable(store.dialect)) and _missing(names, store)
    reopened = open_store(db_url)  # the next command to open the workspace repairs it
    n, names, pending, found = _state(reopened)
    assert (n, pending, found) == (150, 0, 150) and not _missing(names, reopened)
    resumed = ingest(reopened, [pages]).summary()
    assert (resumed["read"], resumed["inserted"], resumed["duplicates"], resumed["rejected"]) == (301, 300, 0, 1)
    assert _state(reopened)[0::2] == (300, 0)
    reopened.close()


def test_small_append_to_a_big_workspace_keeps_per_row_upkeep(store, pages, monkeypatch):
    monkeypatch.setattr(ingest_mod, "BULK_MIN_POSTS", 1)
    assert bulk_load_applies(store, pages.stat().st_size)  # empty workspace, many posts expected
    ingest(store, [pages])
    assert not bulk_load_applies(store, 100 * ingest_mod.BYTES_PER_POST)  # 100 posts onto 300
    assert not bulk_load_applies(store, 10)


def test_reading_process_gives_the_same_counts_and_rows(store, pages, monkeypatch, tmp_path):
    monkeypatch.setattr(ingest_mod, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(ingest_mod, "WRITE_RECORDS", 3)
    seen: list[tuple[int, int | None]] = []
    s = ingest(store, [pages], progress_factory=lambda p: lambda done, total, stage=None: seen.append((done, total))).summary()
    assert (s["read"], s["inserted"], s["rejected"]) == (301, 300, 1)
    assert len(seen) > 5 and seen[-1][0] == seen[-1][1] == pages.stat().st_size
    with store.read() as conn:
        rows = conn.execute(select(posts.c.platform_id, posts.c.source_line).order_by(posts.c.platform_id)).all()
    assert rows[0] == ("5000", 1) and rows[-1] == ("5299", 31)


def test_a_failing_reading_process_stops_the_ingest_with_its_error(store, pages, monkeypatch):
    monkeypatch.setattr(ingest_mod, "PARALLEL_MIN_BYTES", 0)

    def broken(job):
        raise OSError("disk gone")
        yield  # pragma: no cover

    monkeypatch.setattr(ingest_mod, "steps_here", broken)
    with pytest.raises(RuntimeError, match="disk gone"):
        ingest(store, [pages])


def _stored(store) -> list[dict]:
    skip = {"id", "ingested_at"}
    with store.read() as conn:
        cols = [c for c in posts.c if c.name not in skip]
        rows = [r._asdict() for r in conn.execute(select(*cols).order_by(posts.c.platform_id))]
    for r in rows:  # when an edit was seen differs between the two runs
        r["edits"] = [{k: v for k, v in e.items() if k != "seen_at"} for e in r["edits"] or []]
    return rows


def test_reading_process_stores_the_same_rows_with_batch_constants(tmp_path, monkeypatch):
    """A batch handed between processes leaves out the columns it holds one value of (file name with a
    quote in it); the rows stored, and an edit arriving later, are the same as read in one process."""
    path = tmp_path / "it's pages.jsonl"
    path.write_bytes(b"\n".join(_page(p) for p in range(12)) + b"\n")
    edited = tmp_path / "edited.jsonl"
    edited.write_bytes(_page(3).replace(b"about trade", b"about trade and visas") + b"\n")
    got = []
    for parallel in (1 << 62, 0):
        monkeypatch.setattr(ingest_mod, "PARALLEL_MIN_BYTES", parallel)
        store = open_store(tmp_path / f"w{parallel}.db")
        assert ingest(store, [path]).summary()["inserted"] == 120
        assert ingest(store, [edited]).summary()["updated"] == 10
        got.append(_stored(store))
        store.close()
    assert got[0] == got[1] and got[1][0]["source_file"] == str(path) and any(r["edits"] for r in got[1])


def test_batch_constants_stop_at_a_column_that_varies_or_cannot_be_a_literal():
    from envoywatch.store.writer import POST_COLUMNS, batch_constants, insert_statement

    row = [f"v{i}" for i in range(len(POST_COLUMNS))]
    other = list(row)
    assert batch_constants([row, other]) == tuple(row[-5:])
    other[-3] = "another file"
    assert batch_constants([row, other]) == tuple(row[-2:])
    assert batch_constants([row[:-1]]) == ()
    nul = list(row)
    nul[-1] = "a\0b"
    assert batch_constants([nul]) == ()
    from envoywatch.store.writer import Prepared

    batch = Prepared(rows=[list(row), list(row)])
    batch.drop_constants()
    assert batch.consts == tuple(row[-5:]) and len(batch.rows[1]) == len(row) - 5 and batch.full(1) == row
    sql = insert_statement(("it's", -1))
    assert "'it''s', -1)" in sql and sql.count("?") == len(POST_COLUMNS) - 2


@pytest.mark.parametrize("seen_unfinished", [True, False], ids=["unfinished-seen", "unfinished-missed"])
def test_a_killed_load_through_the_reading_process_resumes_where_it_committed(store, pages, monkeypatch,
                                                                               seen_unfinished):
    """With no unfinished ingest, the reading process starts before the file is hashed, at record 0;
    otherwise it starts where the file's last commit left it. One started at 0 that turns out wrong (an
    unfinished ingest it did not see: another process's) is stopped and replaced."""
    monkeypatch.setattr(ingest_mod, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(ingest_mod, "WRITE_RECORDS", 4)
    monkeypatch.setattr(ingest_mod, "BATCH", 8)
    _killed_at(monkeypatch, 5, store, [pages])
    assert _state(store)[0] == 150 and ingest_mod._unfinished(store)
    if not seen_unfinished:
        monkeypatch.setattr(ingest_mod, "_unfinished", lambda s: False)
    started = _readers(monkeypatch)
    resumed = ingest(store, [pages]).summary()
    assert started == ([[16]] if seen_unfinished else [[0], [16]])
    assert resumed["files"][0]["resumed_from_record"] == 16
    assert (resumed["read"], resumed["inserted"], resumed["duplicates"], resumed["rejected"]) == (301, 300, 0, 1)
    assert _state(store)[0] == 300 and not ingest_mod._unfinished(store)
    with store.read() as conn:
        lines = conn.execute(select(posts.c.source_line).order_by(posts.c.platform_id)).scalars().all()
    assert lines == sorted(lines) and lines[0] == 1 and lines[-1] == 31


def test_a_new_file_is_hashed_while_the_reading_process_reads_it(store, pages, monkeypatch):
    monkeypatch.setattr(ingest_mod, "PARALLEL_MIN_BYTES", 0)
    order: list[str] = []
    real_init, real_hash = ingest_mod.ReadingProcess.__init__, ingest_mod.file_sha256

    def init(self, jobs):
        order.append(f"read from {[job.skip for job in jobs]}")
        real_init(self, jobs)

    def hashed(path):
        order.append("hash")
        return real_hash(path)

    monkeypatch.setattr(ingest_mod.ReadingProcess, "__init__", init)
    monkeypatch.setattr(ingest_mod, "file_sha256", hashed)
    assert ingest(store, [pages]).summary()["inserted"] == 300
    assert order == ["read from [0]", "hash"]


def test_many_files_into_a_small_workspace_load_as_one_bulk_load(store, tmp_path, monkeypatch):
    """Ten files that together would at least double the workspace drop the indexes once and build them
    once, after the last file, though none of them would alone (each below the bulk threshold)."""
    monkeypatch.setattr(ingest_mod, "BULK_MIN_POSTS", 50)
    monkeypatch.setattr(ingest_mod, "BYTES_PER_POST", 100)
    files = []
    for f in range(10):
        path = tmp_path / f"part{f}.jsonl"
        path.write_bytes(b"\n".join(_page(f * 3 + p) for p in range(3)) + b"\n")
        files.append(path)
    assert not bulk_load_applies(store, files[0].stat().st_size)
    assert bulk_load_applies(store, sum(p.stat().st_size for p in files))
    dropped, built = [], []
    real_defer, real_rebuild = fts.defer_indexes, fts.rebuild_deferred
    monkeypatch.setattr(fts, "defer_indexes", lambda conn: dropped.append(real_defer(conn)) or dropped[-1])
    monkeypatch.setattr(fts, "rebuild_deferred", lambda conn: built.append(real_rebuild(conn)) or built[-1])
    told: list[tuple] = []
    s = ingest(store, files, progress_factory=lambda p: lambda *a: told.append((p.name, *a))).summary()
    assert (s["read"], s["inserted"]) == (300, 300)
    assert len(dropped) == 1 and [b for b in built if b] == dropped  # once each: before the first, after the last
    assert [t[0] for t in told if t[-1] == "building indexes"] == ["part9.jsonl"]
    n, names, pending, found = _state(store)
    assert (n, pending, found) == (300, 0, 300) and not _missing(names, store)


def _parts(tmp_path, n: int = 4) -> list:
    """n files of three pages each; the second holds a truncated line."""
    files = []
    for f in range(n):
        lines = [_page(f * 3 + p) for p in range(3)]
        if f == 1:
            lines.insert(1, b'{"data": [{"id": "cut')
        path = tmp_path / f"part{f}.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        files.append(path)
    return files


def _rows(store) -> list[tuple]:
    with store.read() as conn:
        return conn.execute(select(posts.c.platform_id, posts.c.source_file, posts.c.source_line, posts.c.text,
                                   posts.c.raw).order_by(posts.c.platform_id)).all()


def test_one_reading_process_reads_every_file_of_a_run(tmp_path, monkeypatch):
    """Files too small for a reading process each, but not together, are read by one, one after another:
    the same rows, rejects and counts as reading each file in this process; a file named twice is read
    twice (all duplicates the second time)."""
    files = _parts(tmp_path)
    monkeypatch.setattr(ingest_mod, "PARALLEL_MIN_BYTES", sum(p.stat().st_size for p in files) - 1)
    started = _readers(monkeypatch)
    shared = open_store(f"sqlite:///{tmp_path / 'shared.db'}")
    s = ingest(shared, [*files, files[0]]).summary()
    assert started == [[0] * 5]
    monkeypatch.setattr(ingest_mod, "PARALLEL_MIN_BYTES", 1 << 40)
    alone = open_store(f"sqlite:///{tmp_path / 'alone.db'}")
    a = ingest(alone, [*files, files[0]]).summary()
    assert started == [[0] * 5]  # no reading process the second time
    assert [(f["read"], f["inserted"], f["duplicates"], f["rejected"]) for f in s["files"]] == \
        [(f["read"], f["inserted"], f["duplicates"], f["rejected"]) for f in a["files"]] == \
        [(30, 30, 0, 0), (31, 30, 0, 1), (30, 30, 0, 0), (30, 30, 0, 0), (30, 0, 30, 0)]
    assert _rows(shared) == _rows(alone) and len(_rows(shared)) == 120
    rejected = [orjson.loads(line) for line in Path(s["rejects_file"]).read_bytes().splitlines()]
    assert [(r["file"], r["line"]) for r in rejected] == [(str(files[1]), 2)]
    shared.close()
    alone.close()


def test_a_run_whose_file_turns_out_to_resume_reads_each_file_alone_from_there(store, tmp_path, monkeypatch):
    """An unfinished ingest the run did not see at its start (another process's): the shared reading
    process, which started every file at its first record, stops, and the file resumes where it stopped."""
    files = _parts(tmp_path)
    monkeypatch.setattr(ingest_mod, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(ingest_mod, "WRITE_RECORDS", 1)
    monkeypatch.setattr(ingest_mod, "BATCH", 2)
    _killed_at(monkeypatch, 3, store, [files[2]])
    monkeypatch.setattr(ingest_mod, "_unfinished", lambda s: False)
    started = _readers(monkeypatch)
    s = ingest(store, files).summary()
    assert started == [[0, 0, 0, 0], [2], [0]]  # the run's, then file 3 resumed alone, then file 4
    assert [f["resumed_from_record"] for f in s["files"]] == [0, 0, 2, 0]
    assert (s["inserted"], s["rejected"]) == (120, 1)  # a resumed file counts its first part too
    assert len(_rows(store)) == 120


def test_a_transaction_spans_files_and_a_kill_resumes_each_file_where_it_committed(store, tmp_path, monkeypatch):
    """Small files share transactions (a commit syncs); a run killed in its third file keeps what was
    committed, and the next run resumes the second file part-way and stores every post once."""
    files = _parts(tmp_path)
    commits = {"n": 0}
    real_commit = ingest_mod._Load.commit

    def counted(self):
        commits["n"] += self.conn is not None
        return real_commit(self)

    monkeypatch.setattr(ingest_mod._Load, "commit", counted)
    monkeypatch.setattr(ingest_mod, "WRITE_RECORDS", 1)
    monkeypatch.setattr(ingest_mod, "COMMIT_POSTS", 40)  # commits inside the 2nd file (posts 31-60)
    _killed_at(monkeypatch, 8, store, files)  # at the 2nd page of the 3rd file
    assert commits["n"] == 1 and _state(store)[0] == 40  # the 1st file and a page of the 2nd
    monkeypatch.setattr(ingest_mod, "COMMIT_POSTS", 10_000)
    commits["n"] = 0
    s = ingest(store, files).summary()
    assert commits["n"] == 1  # four files, one transaction
    assert [f["resumed_from_record"] for f in s["files"]] == [0, 1, 0, 0]
    assert [(f["inserted"], f["duplicates"]) for f in s["files"]] == [(0, 30), (30, 0), (30, 0), (30, 0)]
    assert len(_rows(store)) == 120
