"""Ingest export files into a workspace: detect, stream, write in batches, resume, keep rejects."""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from sqlalchemy import insert, select, update

from envoywatch.domain import Parsed, Reject
from envoywatch.sources import SOURCES, detect_format, load_builtins
from envoywatch.store.db import Store, bulk_pragmas
from envoywatch.store.schema import ingest_files
from envoywatch.store.writer import Counts, PostWriter
from envoywatch.timeutil import utcnow

BATCH = 1000  # records per transaction at most; also the resume granularity
BATCH_POSTS = 2000  # posts per transaction at most (one twarc2 record is a page of up to 100)

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
    writer = PostWriter(store, importer)
    rejects = rejects or RejectLog(rejects_path(store, path))
    done = pending = 0
    batch: list[Parsed | Reject] = []
    for item in src.read(path, options or {}):
        done += 1
        if done <= skip:
            continue
        batch.append(item)
        pending += len(item.posts) if isinstance(item, Parsed) else 1
        if len(batch) >= BATCH or pending >= BATCH_POSTS:
            _commit(store, writer, batch, counts, row_id, done, rejects)
            batch, pending = [], 0
            if progress:
                progress(_offset(item) or done, size if _offset(item) else None)
    _commit(store, writer, batch, counts, row_id, done, rejects, final=True)
    if progress:
        progress(size, size)
    return FileResult(str(path), fmt, counts, resumed_from=skip,
                      rejects_file=str(rejects.path) if counts.rejected else None)


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


def _commit(store: Store, writer: PostWriter, batch: list, counts: Counts, row_id: int, done: int,
            rejects: RejectLog, final: bool = False) -> None:
    with store.write() as conn:
        bulk_pragmas(conn)
        c = writer.write(conn, batch) if batch else Counts()
        counts.add(c)
        values = {"records_done": done, "counts": counts.as_dict()}
        if final:
            values.update(complete=True, finished_at=utcnow())
        conn.execute(update(ingest_files).where(ingest_files.c.id == row_id).values(**values))
    for item in batch:  # after the commit: a crash before it re-reads these records anyway
        if isinstance(item, Reject):
            rejects.write(item)


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
