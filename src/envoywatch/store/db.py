"""Open a workspace (SQLite file or PostgreSQL URL), migrate it, and give one write scope."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError

MIGRATIONS = Path(__file__).parent / "migrations"
DEFAULT_DB = "envoywatch.db"


def resolve_url(db: str | os.PathLike[str] | None = None) -> str:
    """`--db` value, else $ENVOYWATCH_DB, else ./envoywatch.db, as an SQLAlchemy URL."""
    value = str(db) if db else os.environ.get("ENVOYWATCH_DB") or DEFAULT_DB
    if value.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + value.split("://", 1)[1]
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def _json_dumps(value) -> str:
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError:  # a bulk load holds the workspace in a rollback journal; it restores the WAL
        pass
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


BULK_CACHE_KIB = 32 * 1024  # page cache of a connection while it bulk-loads (SQLite's default is 2 MiB)
BULK_WAL_PAGES = 10_000  # checkpoint the WAL every ~40 MB instead of every ~4 MB while bulk-loading
DEFAULT_CACHE, DEFAULT_WAL_PAGES = -2000, 1000  # SQLite's own defaults, restored after a load


def bulk_pragmas(conn: Connection, wal_pages: int = BULK_WAL_PAGES) -> None:
    """Settings for a long bulk load on SQLite: a larger page cache and fewer WAL checkpoints
    (none with `wal_pages` 0).

    Both hold for this connection only and cost no durability (WAL with synchronous=NORMAL stays).
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
        conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={wal_pages}")


def _rollback_journal(conn: Connection) -> bool:
    """Switch a loading connection from the WAL to a rollback journal, if no other connection has the
    workspace open (SQLite refuses otherwise, and the load keeps the WAL).

    Pages a load appends to the file are then written once, straight into it; through the WAL every
    page is written twice (into the log, then copied by a checkpoint): about a tenth of a fresh load's
    time, and the writer's CPU (benchmarks/bench_ingest.py). Commits sync fully, so a commit survives a power cut as in WAL mode
    and a killed load is rolled back from its journal on the next open. Readers arriving meanwhile
    wait while a commit writes (busy_timeout); one that opens the workspace turns the WAL back on,
    which SQLite allows between two of the load's transactions, and the load goes on in it.
    """
    try:
        mode = conn.exec_driver_sql("PRAGMA journal_mode=DELETE").scalar()
    except OperationalError:
        mode = None
    if str(mode).lower() != "delete":
        conn.commit()
        return False
    conn.exec_driver_sql("PRAGMA synchronous=FULL")
    conn.commit()
    return True


def _wal_again(conn: Connection) -> None:
    """Back to the WAL every connection opens the workspace in (a reader holding it open may delay this
    to its own next open, whose connection sets the WAL itself)."""
    conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
    try:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL").fetchall()
    except OperationalError:
        pass


class Checkpointer:
    """Copies committed WAL pages into an SQLite database every few seconds, from its own thread.

    A passive checkpoint never blocks the writer, and pysqlite releases the GIL while it runs, so
    the copying and fsyncs overlap the load instead of following it.
    """

    def __init__(self, path: Path, every: float) -> None:
        self.path, self.every = path, every
        self.runs = 0  # checkpoints done
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="envoywatch-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        con = None
        try:
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            while not self._stop.wait(self.every):
                con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                self.runs += 1
        except sqlite3.Error:
            pass  # the final checkpoint of the load copies whatever is left
        finally:
            if con is not None:
                con.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Store:
    """A migrated workspace. Writes go through `write()`, one at a time; reads use `read()`."""

    engine: Engine
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def path(self) -> Path | None:
        """The SQLite file, or None on a server database."""
        db = self.engine.url.database
        return Path(db) if self.dialect == "sqlite" and db else None

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One transaction; SQLite allows one writer, so writers queue here."""
        with self._lock, self.engine.begin() as conn:
            yield conn

    @contextmanager
    def transaction(self, conn: Connection) -> Iterator[Connection]:
        """One write transaction on a connection the caller holds (see `loading`), queued like `write`."""
        with self._lock, conn.begin():
            yield conn

    @contextmanager
    def loading(self, checkpoint_every: float | None = None, rollback_journal: bool = False) -> Iterator[Connection]:
        """One connection for a long bulk load, its transactions made with `transaction`.

        On SQLite it keeps a larger page cache and never checkpoints the WAL from the loading
        connection (a checkpoint there stalls the load while it copies and fsyncs pages); one
        checkpoint at the end copies the rest. With `checkpoint_every` seconds, a thread on its own
        connection checkpoints meanwhile (the disk works while the load computes). A killed load
        stays recoverable: the WAL is replayed on the next open.

        With `rollback_journal`, a load that has the workspace to itself writes through a rollback
        journal instead (see `_rollback_journal`); the WAL comes back when it ends.
        """
        with self.engine.connect() as conn:
            sqlite = self.dialect == "sqlite"
            if sqlite:
                bulk_pragmas(conn, wal_pages=0)
                conn.commit()
            journal = sqlite and rollback_journal and _rollback_journal(conn)
            background = Checkpointer(self.path, checkpoint_every) \
                if sqlite and checkpoint_every and self.path and not journal else None
            try:
                yield conn
            finally:
                if background:
                    background.stop()
                if sqlite:
                    conn.rollback()
                    conn.exec_driver_sql(f"PRAGMA cache_size={DEFAULT_CACHE}")
                    conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={DEFAULT_WAL_PAGES}")
                    if journal:
                        _wal_again(conn)  # the load wrote into the file itself: nothing to checkpoint
                    else:
                        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    conn.commit()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A read connection whose statements all see the workspace as of its first one, so that kept
        sums and the marks saying whether they are current are not read across a writer's commit."""
        with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                conn.exec_driver_sql("BEGIN")  # the driver starts no transaction for reads by itself
                yield conn
            else:
                yield conn.execution_options(isolation_level="REPEATABLE READ")

    def close(self) -> None:
        self.engine.dispose()


def open_store(db: str | os.PathLike[str] | None = None, migrate: bool = True,
               upgrading: Callable[[str, str], None] | None = None) -> Store:
    """Open a workspace, creating or upgrading its schema first; `upgrading(from, to)` is told before an
    existing workspace's migrations run (some rebuild indexes: minutes on millions of posts)."""
    url = resolve_url(db)
    json_opts = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **json_opts)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, **json_opts)
    store = Store(engine)
    if migrate:
        upgrade(store, upgrading=upgrading)
        from envoywatch.store import fts

        with store.write() as conn:  # a killed bulk load's indexes; posts written by other tools
            fts.rebuild_deferred(conn)
    return store


def alembic_config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(store: Store, revision: str = "head", upgrading: Callable[[str, str], None] | None = None) -> None:
    """Apply pending migrations, each in its own transaction (see `open_store` for `upgrading`)."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = alembic_config()
    head = ScriptDirectory.from_config(cfg).get_current_head()
    with store.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        if current == head:
            return
    if current is not None and upgrading is not None:
        upgrading(current, head)
    with store.write() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
