"""Ingest export files into a workspace: detect, stream, write in batches, resume, keep rejects."""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import orjson
from sqlalchemy import Connection, insert, select, update

from envoywatch.domain import Parsed, Reject
from envoywatch.sources import SOURCES, detect_format, load_builtins
from envoywatch.store.db import Store, bulk_pragmas
from envoywatch.store.schema import ingest_files
from envoywatch.store.writer import Counts, PostWriter
from envoywatch.timeutil import utcnow

BATCH = 20_000  # records per transaction at most; also the resume granularity
COMMIT_POSTS = 20_000  # posts per transaction at most: fewer commits rewrite fewer index pages
WRITE_RECORDS = 1000  # records per write batch (a transaction holds several)
BATCH_POSTS = 2000  # posts per write batch at most, so memory stays flat (a twarc2 record is a page of 100)

Progress = Callable[[int, int | None], None]  # (bytes or records done, total) -> None


@dataclass
class FileResult:
    path: str
    format: str
    counts: Counts
    resumed_from: int = 0
    rejects_file: str | None = None


@dataclass
class IngestResult:
    files: list[FileResult] = field(default_factory=list)
    rejects_file: str | None = None

    def summary(self) -> dict:
        total = Counts()
        for f in self.files:
            total.add(f.counts)
        return {**total.as_dict(), "rejects_file": self.rejects_file,
                "files": [{"path": f.path, "format": f.format, **f.counts.as_dict(),
                           "resumed_from_record": f.resumed_from} for f in self.files]}


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def rejects_path(store: Store, source: Path) -> Path:
    base = store.path.parent if store.path else Path.cwd()
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    return base / "rejects" / f"{source.name}.{stamp}.jsonl"


class RejectLog:
    """Appends rejects as JSON Lines, creating the file only when the first reject arrives."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._f = None

    def write(self, r: Reject) -> None:
        if self._f is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._f = open(self.path, "ab")
        rec = {"file": r.where.source_file, "line": r.where.line, "offset": r.where.offset,
               "reason": r.reason, "raw": r.raw[:2000]}
        self._f.write(orjson.dumps(rec) + b"\n")

    def close(self) -> None:
        if self._f:
            self._f.close()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cycle collector for a bulk load: its full passes re-scan every live object while
    batches allocate millions, and ingest makes no cycles that grow with the file (measured)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def ingest_file(store: Store, path: Path, fmt: str | None = None, options: dict | None = None,
                progress: Progress | None = None, rejects: RejectLog | None = None) -> FileResult:
    """Ingest one file; an earlier run that stopped part-way is resumed where it committed."""
    with gc_paused():
        return _ingest_file(store, path, fmt, options, progress, rejects)


def _ingest_file(store: Store, path: Path, fmt: str | None, options: dict | None,
                 progress: Progress | None, rejects: RejectLog | None) -> FileResult:
    load_builtins()
    fmt = fmt or detect_format(path)
    src = SOURCES.get(fmt)()
    importer = f"{fmt}@{src.version}"
    sha, size = file_sha256(path), path.stat().st_size
    skip, counts, row_id = _start(store, sha, path, importer)
    rejects = rejects or RejectLog(rejects_path(store, path))
    load = _Load(store, PostWriter(store, importer), counts, row_id, rejects)
    done = pending = 0
    batch: list[Parsed | Reject] = []
    with load:  # an error rolls back the open transaction; resume starts there
        for item in src.read(path, options or {}):
            done += 1
            if done <= skip:
                continue
            batch.append(item)
            pending += len(item.posts) if isinstance(item, Parsed) else 1
            if len(batch) >= min(WRITE_RECORDS, BATCH) or pending >= BATCH_POSTS:
                load.write(batch, done, pending)
                batch, pending = [], 0
                if progress:
                    progress(_offset(item) or done, size if _offset(item) else None)
        load.write(batch, done, pending, final=True)
    if progress:
        progress(size, size)
    return FileResult(str(path), fmt, counts, resumed_from=skip,
                      rejects_file=str(rejects.path) if counts.rejected else None)


class _Load:
    """Writes one file's batches, committing every BATCH records or COMMIT_POSTS posts.

    Each batch also records how far the file got, in the same transaction as its posts, so a
    commit is always an exact resume point; rejects reach the log once their batch is committed.
    """

    def __init__(self, store: Store, writer: PostWriter, counts: Counts, row_id: int,
                 rejects: RejectLog) -> None:
        self.store, self.writer, self.counts, self.row_id, self.rejects = store, writer, counts, row_id, rejects
        self.tx = ExitStack()
        self.conn: Connection | None = None
        self.held: list[Reject] = []
        self.records = self.posts = 0  # since the last commit

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.tx.__exit__(*exc)  # commits the open transaction, or rolls it back on an error

    def write(self, batch: list[Parsed | Reject], done: int, posts: int, final: bool = False) -> None:
        if self.conn is None:
            self.conn = self.tx.enter_context(self.store.write())
            bulk_pragmas(self.conn)
        self.counts.add(self.writer.write(self.conn, batch) if batch else Counts())
        values = {"records_done": done, "counts": self.counts.as_dict()}
        if final:
            values.update(complete=True, finished_at=utcnow())
        self.conn.execute(update(ingest_files).where(ingest_files.c.id == self.row_id).values(**values))
        self.held += [i for i in batch if isinstance(i, Reject)]
        self.records, self.posts = self.records + len(batch), self.posts + posts
        if final or self.records >= BATCH or self.posts >= COMMIT_POSTS:
            self.commit()

    def commit(self) -> None:
        self.tx.close()  # leaves store.write(): commits
        self.conn = None
        for r in self.held:  # after the commit: a crash before it re-reads these records anyway
            self.rejects.write(r)
        self.held, self.records, self.posts = [], 0, 0


def _offset(item: Parsed | Reject) -> int | None:
    return item.where.offset


def _start(store: Store, sha: str, path: Path, importer: str) -> tuple[int, Counts, int]:
    with store.write() as conn:
        row = conn.execute(select(ingest_files).where(ingest_files.c.sha256 == sha)).first()
        if row is None:
            new_id = conn.execute(insert(ingest_files).values(
                sha256=sha, path=str(path), importer=importer, records_done=0, complete=False,
                counts=Counts().as_dict(), started_at=utcnow()).returning(ingest_files.c.id)).scalar_one()
            return 0, Counts(), new_id
        if row.complete or row.importer != importer:  # a fresh pass: everything is a duplicate now
            conn.execute(update(ingest_files).where(ingest_files.c.id == row.id).values(
                records_done=0, complete=False, counts=Counts().as_dict(), importer=importer,
                started_at=utcnow(), finished_at=None))
            return 0, Counts(), row.id
        return row.records_done, Counts(**(row.counts or {})), row.id


def ingest(store: Store, paths: list[Path], fmt: str | None = None, options: dict | None = None,
           progress_factory: Callable[[Path], Progress | None] | None = None) -> IngestResult:
    """Ingest several files; rejects of the whole run go to one JSON Lines file."""
    result = IngestResult()
    formats = [fmt or detect_format(p) for p in paths]  # every file is recognised before any is read
    log = RejectLog(rejects_path(store, paths[0])) if paths else None
    try:
        for p, f in zip(paths, formats, strict=True):
            progress = progress_factory(p) if progress_factory else None
            fr = ingest_file(store, p, f, options, progress, log)
            result.files.append(fr)
    finally:
        if log:
            log.close()
    if log and log._f is not None:
        result.rejects_file = str(log.path)
    return result
