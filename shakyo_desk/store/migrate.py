"""Schema migrations: refuse a newer store, copy before upgrading, then upgrade."""

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
from shakyo_desk.store.engine import checkpoint
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


# Steps that rewrite a log (0019 the change log, 0020 the audit log): minutes on a large store,
# so reported, and the store is VACUUMed after them (the old tables' pages freed).
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
    change log rows, 0020's audit entries, the VACUUM after them): the unlock screen and the CLI
    show it. ``attributes``: filled by the long steps (stage times, for the benchmarks).
    """
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
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        if attributes is not None:
            cfg.attributes.update(attributes)
            cfg.attributes["stages"] = attributes.setdefault("stages", [])
        command.upgrade(cfg, target)
    if long:
        if report:
            report(99, 100, TIDYING)
        _vacuum(engine)
    return True


VACUUM = "VACUUM"  # (tests: a statement that fails as a full disk would)


def _vacuum(engine: Engine) -> None:
    """The pages the old logs held given back (0019, 0020). Outside any transaction: killed, the
    store stays as the migration left it. It needs room (SQLCipher keeps its temporary copy in
    memory, unencrypted temp files being no option; the WAL takes the new file): when that is
    lacking the store is left sound but not smaller, and opens all the same."""
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute(VACUUM)
    except sqlcipher3.Error:
        return
    finally:
        raw.close()
    checkpoint(engine)  # (the WAL held the whole new file: written into place and truncated)


def copy_before_migration(engine: Engine, layout: StoreLayout, revision: str) -> Path:
    checkpoint(engine)
    safe_file.make_private_dir(layout.backups, parents=False)
    stamp = clock.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = layout.backups / f"before-migration-{revision}-{stamp}.db"
    safe_file.copy_private(layout.database, target)
    safe_file.copy_private(layout.key_file, target.with_suffix(".keys.json"))
    return target
