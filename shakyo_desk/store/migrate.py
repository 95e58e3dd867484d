"""Schema migrations: refuse a newer store, copy before upgrading, then upgrade."""

import os
from collections.abc import Callable
from functools import cache
from datetime import UTC
from pathlib import Path

import sqlcipher3
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from shakyo_desk.domain.errors import StoreError
from shakyo_desk.store import frozen_file
from shakyo_desk.store.engine import raw_connect
from shakyo_desk.store.paths import StoreLayout
from shakyo_desk.domain import clock, safe_file

MIGRATIONS = Path(__file__).with_name("migrations")

TOO_NEW_MESSAGE = (
    "このデータは新しいバージョンの社協デスクで作られているため、このバージョンでは開けません。"
    "アプリを最新版に更新してください。データには手を付けていません。"
)


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


@cache  # the migration scripts do not change while the app runs
def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


@cache
def known_revisions() -> frozenset[str]:
    return frozenset(s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions())


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        has_table = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).first()
        if not has_table:
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


# Migrations that rewrite a large table (0019: the change log; 0020: the audit log): an upgrade
# crossing any of them runs without secure_delete, reports its progress and compacts the store
# once at its very end.
COMPACTING = ("0019", "0020")

# Shown under the unlock button and as lines on the CLI's stderr (rekey.Progress: done, total, text).
BACKING_UP = "データの形式を新しくする前に、今のデータを控えています…"
MIGRATING = "データの形式を新しくしています（1/2 変更の記録。大きなデータでは数分かかります）…"
MIGRATING_AUDIT = "データの形式を新しくしています（2/2 操作の記録）…"
TIDYING = "新しい形式のデータを整理しています…"


def upgrade(engine: Engine, layout: StoreLayout | None = None, target: str = "head",
            progress: Callable[[int, int, str], None] | None = None, attributes: dict | None = None) -> bool:
    """Bring the schema to ``target``. Returns True when something was migrated.

    An existing store is copied (still encrypted) into ``backups/`` first. ``progress`` hears
    (done, total, text) of the steps that can take minutes on a large store (the copy, 0019's
    change log rows, 0020's audit entries, the compaction after them): the unlock screen and the
    CLI show it. ``attributes``: filled by the long steps (stage times, for the benchmarks).
    """
    if engine.url.database:
        discard_compaction(Path(engine.url.database))  # (a compaction killed midway: its copy)
    current = current_revision(engine)
    if current is not None and current not in known_revisions():
        raise StoreError(TOO_NEW_MESSAGE)
    wanted = head_revision() if target == "head" else target
    if current == wanted:
        return False
    long = current is not None and any(int(current) < int(step) <= int(wanted) for step in COMPACTING)
    report = progress if progress is not None and long else None  # (the small steps go unreported)
    if current is not None and layout is not None:
        if report:
            report(0, 100, BACKING_UP)
        copy_before_migration(engine, layout, current)
    cfg = _config()
    # Each long step hears (done, total) of its own rows under its own sentence.
    cfg.attributes["progress"] = (lambda done, total: report(done, total, MIGRATING)) if report else None
    cfg.attributes["progress_audit"] = (lambda done, total: report(done, total, MIGRATING_AUDIT)) if report else None
    with engine.connect() as conn:
        if long:
            # The old tables' pages are given back by the compaction that follows: zeroing each
            # freed page (SQLCipher's secure_delete) would put every one of them, hundreds of
            # MB, into the DROP's statement journal, which SQLCipher keeps in memory.
            conn.connection.dbapi_connection.execute("PRAGMA secure_delete = OFF")  # (outside the transaction)
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                if attributes is not None:
                    cfg.attributes.update(attributes)
                    cfg.attributes["stages"] = attributes.setdefault("stages", [])
                command.upgrade(cfg, target)
        finally:
            if long:
                conn.connection.dbapi_connection.execute("PRAGMA secure_delete = ON")
    if long:  # at the end of the whole upgrade: after every migration that follows too
        if report:
            report(99, 100, TIDYING)
        compact(engine)
    return True


COPY_FAILED = ("データの形式を新しくする前の控えを作れませんでした。データのフォルダの空き容量を確かめてから、"
               "もう一度開いてください。データには手を付けていません。")

# The compacted database is written beside the store's, then renamed over it (``compact``).
COMPACT_SUFFIX = ".compact" + safe_file.PARTIAL_SUFFIX
COMPACT_WAIT_MS = 5000  # how long another program that has the store open may keep it
EXPORT = "SELECT sqlcipher_export('compact')"  # (tests: a statement that fails as a full disk would)


def compact_partial(database: Path) -> Path:
    return database.with_name(database.name + COMPACT_SUFFIX)


def discard_compaction(database: Path) -> None:
    """What a compaction killed midway left beside the store (never the store itself)."""
    partial = compact_partial(database)
    for leftover in (partial, partial.with_name(partial.name + "-journal")):
        leftover.unlink(missing_ok=True)


def compact(engine: Engine) -> bool:
    """The store rewritten without the pages the old tables freed (after 0019, 0020), in bounded
    memory: an encrypted ``sqlcipher_export`` into a new file beside it, then a rename over it.

    (VACUUM would hold the whole new database in RAM: SQLCipher keeps temporary files in memory,
    since on disk they would be unencrypted — 960 MB on large-town.) The export's target is
    attached without a key, so it takes the store's own key; it is filled through the page
    cache, a few MB. While it runs, one connection holds the database file exclusively
    (``locking_mode=EXCLUSIVE``, taken before its first read): no other program reads or writes
    the old file, so nothing committed there is lost by the rename, and a program that has the
    store open makes us give up (the store stays as migrated, sound, only not smaller). The WAL
    is checkpointed empty first, so no WAL of the old file is ever replayed into the new one.
    Killed at any line: before the rename the old file is whole (the leftover ``.partial`` is
    removed at the next open), after it the new file is whole (written, checked and fsynced
    first). No room for the copy: the same as being refused. Returns whether it was done."""
    database = Path(engine.url.database)
    partial = compact_partial(database)
    discard_compaction(database)
    engine.dispose()  # the pool's connections hold the old file: the engine reconnects to the new one
    conn = None
    try:
        conn = raw_connect(engine)
        conn.execute(f"PRAGMA busy_timeout = {COMPACT_WAIT_MS}")
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()  # first read: the lock
        if busy:
            return False
        safe_file.create_private(partial)  # owner-only before SQLite writes it (and its journal)
        conn.execute("ATTACH DATABASE ? AS compact", (str(partial),))
        conn.execute(EXPORT)
        schema = "SELECT type, name, tbl_name, sql FROM {}.sqlite_master ORDER BY type, name"
        if conn.execute(schema.format("main")).fetchall() != conn.execute(schema.format("compact")).fetchall():
            raise sqlcipher3.DatabaseError("compaction changed the schema")  # (every index and trigger there)
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        for name in tables:  # every row there (cheap beside the export; a bug must not lose a table)
            count = f'SELECT count(*) FROM {{}}."{name}"'
            if conn.execute(count.format("main")).fetchone() != conn.execute(count.format("compact")).fetchone():
                raise sqlcipher3.DatabaseError(f"compaction lost rows of {name}")
        conn.execute("DETACH DATABASE compact")
        safe_file.sync_file(partial)
        try:
            os.replace(partial, database)  # (POSIX: while the old file is still ours, locked)
        except PermissionError:  # Windows renames no open file: let go of it first
            conn.close()
            conn = None
            os.replace(partial, database)
        safe_file.fsync_dir(database.parent)
        return True
    except (sqlcipher3.Error, OSError):
        return False
    finally:
        if conn is not None:
            conn.close()  # (the old file's empty WAL goes with it)
        discard_compaction(database)


def copy_before_migration(engine: Engine, layout: StoreLayout, revision: str) -> Path:
    """The store as it is, still encrypted, into ``backups/``: the database at one committed
    moment, complete even while another program keeps committed pages in the WAL
    (frozen_file.copy_database), and the key file."""
    safe_file.make_private_dir(layout.backups, parents=False)
    stamp = clock.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = layout.backups / f"before-migration-{revision}-{stamp}.db"
    try:
        frozen_file.copy_database(layout.database, target, lambda path: raw_connect(engine, path))
        safe_file.copy_private(layout.key_file, target.with_suffix(".keys.json"))
    except (OSError, sqlcipher3.Error) as error:
        target.unlink(missing_ok=True)
        raise StoreError(COPY_FAILED) from error
    return target
