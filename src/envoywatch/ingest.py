"""Ingest export files into a workspace: detect, stream, write in batches, resume, keep rejects."""

from __future__ import annotations

import gc
import hashlib
import itertools
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from typing import BinaryIO, Protocol, Self

import orjson
from sqlalchemy import Connection, func, insert, select, update

from envoywatch.domain import Reject
from envoywatch.sources import SOURCES, detect_format, load_builtins
from envoywatch.store import fts
from envoywatch.store.db import Store
from envoywatch.store.schema import ingest_files, posts
from envoywatch.store.writer import Counts, PostWriter, Prepared, RowBuilder
from envoywatch.timeutil import utcnow

BATCH = 20_000  # records per transaction at most; also the resume granularity
COMMIT_POSTS = 50_000  # posts per transaction at most: fewer commits rewrite fewer index pages, and a bulk
# load syncs each (200,000 tweets: 10 commits spent 0.86-1.0 s, 4 commits 0.73-0.84, alternately, session 10)
WRITE_RECORDS = 1000  # records per write batch (a transaction holds several)
BATCH_POSTS = 5000  # posts per write batch at most, so memory stays flat (a twarc2 record is a page of 100;
# 5,000 against 2,000: 1.3-1.8 us less CPU a post in the writer, 0.8-1.6 in the reader, measured interleaved)
FIRST_BATCH_POSTS = 500  # the first batch at most, ready in a few milliseconds
BULK_MIN_POSTS = 50_000  # files expected to hold fewer posts keep per-row index upkeep
BYTES_PER_POST = 500  # rough size of one post in an export file (twarc2 pages: about 430 bytes)
PARALLEL_MIN_BYTES = 8 << 20  # files at least this big are read and mapped in a second process
QUEUE_STEPS = 4  # prepared batches in flight between the reading process and the writer
CHECKPOINT_EVERY = 1.0  # seconds between background WAL checkpoints during a bulk load

class Progress(Protocol):
    """Told how far a file got: bytes (or records) done and the total if known; `stage` names what runs
    once reading is done and may take a while (building the indexes a bulk load deferred)."""

    def __call__(self, done: int, total: int | None, stage: str | None = None) -> None: ...


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
            self.path, self._f = _new_file(self.path)
        rec = {"file": r.where.source_file, "line": r.where.line, "offset": r.where.offset,
               "reason": r.reason, "raw": r.raw[:2000]}
        self._f.write(orjson.dumps(rec) + b"\n")

    def close(self) -> None:
        if self._f:
            self._f.close()


def _new_file(path: Path) -> tuple[Path, BinaryIO]:
    """A file of its own at `path`, or at `path` numbered -2, -3 ... when another run (the same file
    name, in the same second) made that one already: the runs' rejects never mix."""
    for n in itertools.count(1):
        candidate = path if n == 1 else path.with_name(f"{path.stem}-{n}{path.suffix}")
        try:
            return candidate, open(candidate, "xb")  # RejectLog.close closes it
        except FileExistsError:
            continue
    raise AssertionError("unreachable")


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
                progress: Progress | None = None, rejects: RejectLog | None = None,
                run: Run | None = None) -> FileResult:
    """Ingest one file; an earlier run that stopped part-way is resumed where it committed.

    Alone, the file is a run of its own; in a run of several files, `run` carries the run's bulk
    decision and its reading process, and the run's last file builds the indexes the run deferred.
    """
    fmt = fmt or detect_format(path)
    with gc_paused(), ExitStack() as stack:
        if run is None:
            run = stack.enter_context(Run.start(store, [(path, fmt)], options))
        return _ingest_file(store, path, fmt, options, progress, rejects, run)


def importer_of(fmt: str) -> str:
    """The importer (and its version) recorded with every post a format's files give."""
    load_builtins()
    return f"{fmt}@{SOURCES.get(fmt)().version}"


class Run:
    """The files of one ingest command, loaded through one connection.

    Together they may be one bulk load: the secondary indexes dropped before the first file and built
    once after the last (see bulk_load_applies). A transaction may hold the end of one file and the
    start of the next (a commit syncs; 100 small files made 100 of them). With no unfinished ingest to
    resume, every file starts at its first record, so one reading process reads them all, one after
    another, from the start: hashing a file (to know it again) overlaps its reading, and the reading of
    the next file begins while this one is written.
    """

    def __init__(self, store: Store, bulk: bool, files: int) -> None:
        self.store, self.bulk, self.left = store, bulk, files  # files still to load
        self.reading: ReadingProcess | None = None
        self.writers: dict[str, PostWriter] = {}
        self.stack = ExitStack()
        conn = self.stack.enter_context(store.loading(CHECKPOINT_EVERY if bulk else None, rollback_journal=bulk))
        self.load = self.stack.enter_context(_Load(store, conn, bulk))  # an error rolls back the open transaction

    @classmethod
    def start(cls, store: Store, files: list[tuple[Path, str]], options: dict | None) -> Run:
        with store.write() as conn:  # indexes a killed bulk load left dropped come back first
            fts.rebuild_deferred(conn)
        size = sum(p.stat().st_size for p, _ in files)
        bulk = bool(files) and bulk_load_applies(store, size)
        if bulk:
            with store.write() as conn:
                fts.defer_indexes(conn)
        reading = [Job(fmt, str(p), options or {}, 0, importer_of(fmt), store.dialect) for p, fmt in files] \
            if files and size >= PARALLEL_MIN_BYTES and not _unfinished(store) else None
        run = cls(store, bulk, len(files))
        if reading:
            run.reading = ReadingProcess(reading)
        return run

    def writer(self, importer: str) -> PostWriter:
        if importer not in self.writers:
            self.writers[importer] = PostWriter(self.store, importer, fts_deferred=self.bulk)
        return self.writers[importer]

    def read_alone(self) -> None:
        """A file turned out to resume part-way (another process's ingest stopped meanwhile): the shared
        reading process, which started every file at its first record, stops; each file is read alone."""
        if self.reading is not None:
            self.reading.close()
            self.reading = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.stack.__exit__(*exc)
        finally:
            self.read_alone()


def _ingest_file(store: Store, path: Path, fmt: str, options: dict | None,
                 progress: Progress | None, rejects: RejectLog | None, run: Run) -> FileResult:
    importer = importer_of(fmt)
    size = path.stat().st_size
    run.left -= 1
    with ExitStack() as stack:
        skip, counts, row_id = _start(run.load.begin(), file_sha256(path), path, importer)
        job = Job(fmt, str(path), options or {}, skip, importer, store.dialect)
        if run.reading is not None and skip != 0:
            run.read_alone()
        if run.reading is not None:
            steps: Iterable[Step] = run.reading.file_steps()
        elif size >= PARALLEL_MIN_BYTES:
            steps = stack.enter_context(ReadingProcess([job])).file_steps()
        else:
            steps = steps_here(job)
        rejects = rejects or stack.enter_context(closing(RejectLog(rejects_path(store, path))))
        target = _File(run.writer(importer), counts, row_id, rejects)
        for step in steps:
            run.load.write(target, step, last=run.left == 0)
            if progress and not step.final:
                progress(step.offset or step.done, size if step.offset else None)
        if run.bulk and run.left == 0:  # the run's last file
            if progress:
                progress(size, size, "building indexes")
            with store.transaction(run.load.conn_for_indexes()) as conn:
                fts.rebuild_deferred(conn)
                if store.dialect == "postgresql":  # the load at least doubled the posts: fresh statistics
                    conn.exec_driver_sql("ANALYZE posts")  # for the analysis that follows (a sample)
    if progress:
        progress(size, size)
    return FileResult(str(path), fmt, counts, resumed_from=skip,
                      rejects_file=str(rejects.path) if counts.rejected else None)


def _unfinished(store: Store) -> bool:
    """Whether an ingest stopped part-way, so that a file may resume after its first record."""
    with store.read() as conn:
        return conn.execute(select(ingest_files.c.id).where(ingest_files.c.complete.is_(False)).limit(1)).first() is not None


def bulk_load_applies(store: Store, size: int) -> bool:
    """Defer index upkeep when the files (of `size` bytes in all) are big and would at least double the
    posts stored."""
    expected = size // BYTES_PER_POST
    if expected < BULK_MIN_POSTS:
        return False
    with store.read() as conn:
        stored = conn.execute(select(func.max(posts.c.id))).scalar() or 0
    return expected >= stored


@dataclass
class Job:
    """What to read and how to prepare it: picklable, for the worker process."""

    fmt: str
    path: str
    options: dict
    skip: int
    importer: str
    dialect: str


@dataclass
class Step:
    """One prepared write batch and how far into the file it reaches."""

    batch: Prepared
    done: int  # records read so far, the batch included
    records: int  # records in this batch
    posts: int  # posts and rejects in this batch
    offset: int | None
    final: bool = False


def steps_here(job: Job) -> Iterator[Step]:
    """Read, map and prepare the file in batches (records before `skip` are already stored)."""
    builder = RowBuilder(job.importer, job.dialect)
    done, records, pending = job.skip, 0, 0
    most = FIRST_BATCH_POSTS  # a small first batch: the writer starts sooner
    for added, offset in _records(job, builder):
        done += 1
        records += 1
        pending += added
        if records >= min(WRITE_RECORDS, BATCH) or pending >= most:
            yield Step(_narrowed(builder.take()), done, records, pending, offset)
            records, pending, most = 0, 0, BATCH_POSTS
    yield Step(_narrowed(builder.take()), done, records, pending, None, final=True)


def _narrowed(batch: Prepared) -> Prepared:
    """The batch without the columns it holds one value of (0.6 us a post here, then ~2.4 fewer to bind)."""
    batch.drop_constants()
    return batch


def _records(job: Job, builder: RowBuilder) -> Iterator[tuple[int, int | None]]:
    """(posts added, byte offset) per record after `skip`: the importer's row fast path if it has one."""
    src = SOURCES.get(job.fmt)()
    fast = getattr(src, "read_rows", None)
    if fast is not None:
        yield from fast(Path(job.path), job.options, builder, job.skip)
        return
    for n, item in enumerate(src.read(Path(job.path), job.options), start=1):
        if n > job.skip:
            yield builder.add(item), item.where.offset


def _work(jobs: list[Job], queue) -> None:
    """The worker process: every step of every job goes to the queue; an error goes as its message."""
    gc.disable()  # as in the parent: no cycles grow with the file
    try:
        for job in jobs:
            for step in steps_here(job):
                queue.put(step)
    except BaseException as err:  # noqa: BLE001 - the writer raises it
        queue.put(f"{type(err).__name__}: {err}")


class ReadingProcess:
    """The steps of `jobs` (files, in order), read and mapped by a second process, started at once,
    while this one writes. Each file's steps end with a final one; `file_steps` gives the next file's.

    The queue holds at most QUEUE_STEPS batches, so memory stays flat however large the files.
    `close` (or leaving its `with`) stops the process if it is still running.
    """

    def __init__(self, jobs: list[Job]) -> None:
        self.jobs, self.done = jobs, 0  # files whose final step was taken
        ctx = multiprocessing.get_context("fork")  # the child inherits plugin sources; it never uses the database
        self.queue = ctx.Queue(maxsize=QUEUE_STEPS)
        self.proc = ctx.Process(target=_work, args=(jobs, self.queue), name="envoywatch-ingest-reader", daemon=True)
        self.proc.start()

    def file_steps(self) -> Iterator[Step]:
        """The next file's steps, its final one last."""
        path = self.jobs[self.done].path
        while True:
            try:
                step = self.queue.get(timeout=1.0)
            except Empty:
                if not self.proc.is_alive() and self.queue.empty():
                    raise RuntimeError(
                        f"the reading process ended without finishing (exit {self.proc.exitcode})") from None
                continue
            if isinstance(step, str):
                raise RuntimeError(f"reading {path} failed: {step}")  # noqa: TRY004 - an error, not a type
            if step.final:
                self.done += 1
            yield step
            if step.final:
                return

    def close(self) -> None:
        if self.proc.is_alive():
            self.proc.terminate()
        self.proc.join()
        self.queue.close()  # closing twice is harmless

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class _File:
    """What the load needs of the file it is writing."""

    writer: PostWriter
    counts: Counts
    row_id: int  # its ingest_files row
    rejects: RejectLog


class _Load:
    """Writes the batches of a run's files on the run's one connection, committing every BATCH records
    or COMMIT_POSTS posts, and after the run's last file.

    Each batch also records how far its file got, in the same transaction as its posts, so a commit
    is always an exact resume point for every file; rejects reach the log once their batch is committed.
    """

    def __init__(self, store: Store, conn: Connection, fts_deferred: bool) -> None:
        self.store, self.fts_deferred = store, fts_deferred  # full text per transaction (a bulk load)
        self.tx = ExitStack()
        self.loading = conn  # the load's one connection (Store.loading)
        self.conn: Connection | None = None  # set while a transaction is open
        self.held: list[tuple[RejectLog, Reject]] = []
        self.records = self.posts = 0  # since the last commit

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.tx.__exit__(*exc)  # commits the open transaction, or rolls it back on an error

    def begin(self) -> Connection:
        """The open transaction, begun if there is none."""
        if self.conn is None:
            self.conn = self.tx.enter_context(self.store.transaction(self.loading))
        return self.conn

    def write(self, f: _File, step: Step, last: bool) -> None:
        conn = self.begin()
        batch = step.batch
        if not batch.empty:
            f.counts.add(f.writer.write_prepared(conn, batch))
        values = {"records_done": step.done, "counts": f.counts.as_dict()}
        if step.final:
            values.update(complete=True, finished_at=utcnow())
        conn.execute(update(ingest_files).where(ingest_files.c.id == f.row_id).values(**values))
        self.held += [(f.rejects, r) for r in batch.rejects]
        self.records += step.records
        self.posts += step.posts
        if (step.final and last) or self.records >= BATCH or self.posts >= COMMIT_POSTS:
            self.commit()

    def commit(self) -> None:
        if self.conn is None:
            return
        if self.fts_deferred:  # full text per transaction, while the reading process works (not after it)
            fts.sync(self.conn)
        self.tx.close()  # leaves the transaction: commits
        self.conn = None
        for log, r in self.held:  # after the commit: a crash before it re-reads these records anyway
            log.write(r)
        self.held, self.records, self.posts = [], 0, 0

    def conn_for_indexes(self) -> Connection:
        """The loading connection with nothing pending, for the index builds at the end."""
        self.commit()
        return self.loading


def _start(conn: Connection, sha: str, path: Path, importer: str) -> tuple[int, Counts, int]:
    """Where the file starts (records already stored), its counts so far and its ingest_files row."""
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
        with Run.start(store, list(zip(paths, formats, strict=True)), options) as run:
            for p, f in zip(paths, formats, strict=True):
                progress = progress_factory(p) if progress_factory else None
                fr = ingest_file(store, p, f, options, progress, log, run)
                result.files.append(fr)
    finally:
        if log:
            log.close()
    if log and log._f is not None:
        result.rejects_file = str(log.path)
    return result
