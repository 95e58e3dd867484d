"""SQLCipher engine keyed with the raw data key (never a passphrase)."""

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from shakyo_desk.domain import safe_file
from shakyo_desk.sync.chain import storage_json

BUSY_TIMEOUT_MS = 5000


# Japanese as UTF-8, not \uXXXX escapes: the change log is mostly JSON and halves in size. One
# encoder for every value (json.dumps with options builds a new one per call). It is the text
# origin chains hash (sync/chain.py): every store must write values alike.
_json = storage_json


_ENGINE_ARGS = {"connect_args": {"check_same_thread": False}, "json_serializer": _json}


def open_engine(database: Path, data_key: bytes) -> Engine:
    # Owner-only before SQLite creates it: its -wal, -shm and -journal files take its mode.
    safe_file.create_private(database)
    # SQLCipher's raw-key syntax: PRAGMA key = "x'<64 hex digits>'".
    url = sa.URL.create("sqlite+pysqlcipher", password=f"x'{data_key.hex()}'", database=str(database))
    return _configure(sa.create_engine(url, **_ENGINE_ARGS))


def open_plain_engine(database: Path) -> Engine:
    """An unencrypted SQLite engine with the same settings. Benchmarks only:
    it measures what the encryption costs."""
    url = sa.URL.create("sqlite+pysqlite", database=str(database))
    return _configure(sa.create_engine(url, **_ENGINE_ARGS))


def _configure(engine: Engine) -> Engine:

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, decide where transactions begin, so
        # DDL and multi-statement writes are truly atomic.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # Writers take the lock up front so the change-log sequence and the
        # audit chain cannot interleave between two processes.
        if conn.get_execution_options().get("immediate"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


def probe(engine: Engine) -> None:
    """Touch the database so a wrong key or a damaged file fails here."""
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()


def checkpoint(engine: Engine) -> None:
    """Fold the WAL into the main file (outside any transaction), e.g. before copying it."""
    with engine.connect() as conn:
        conn.connection.dbapi_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def raw_connect(engine: Engine, database: Path | None = None):
    """A driver connection outside the pool (autocommit, the busy timeout), keyed as ``engine``
    is: to its database, or to another file (a new one is created under the same key). For the
    few jobs that need their own locks: the frozen copy, the compaction after a migration."""
    import sqlcipher3

    conn = sqlcipher3.connect(str(database or engine.url.database), isolation_level=None, check_same_thread=False)
    try:
        if engine.url.password:
            conn.execute(f'PRAGMA key = "{engine.url.password}"')  # the engine's own x'<hex>' raw key
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    except BaseException:
        conn.close()
        raise
    return conn
