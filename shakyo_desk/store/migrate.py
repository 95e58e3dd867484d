"""Schema migrations: refuse a newer store, copy before upgrading, then upgrade."""

from functools import cache
from datetime import UTC
from pathlib import Path

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


def upgrade(engine: Engine, layout: StoreLayout | None = None, target: str = "head",
            progress=None, attributes: dict | None = None) -> bool:
    """Bring the schema to ``target``. Returns True when something was migrated.

    An existing store is copied (still encrypted) into ``backups/`` first. ``progress(done,
    total)``: called by the long steps (0019, the audit log) per batch; ``attributes``: filled by
    them (stage times, for the benchmarks).
    """
    current = current_revision(engine)
    if current is not None and current not in known_revisions():
        raise StoreError(TOO_NEW_MESSAGE)
    wanted = head_revision() if target == "head" else target
    if current == wanted:
        return False
    if current is not None and layout is not None:
        copy_before_migration(engine, layout, current)
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        cfg.attributes["progress"] = progress
        if attributes is not None:
            cfg.attributes.update(attributes)
            cfg.attributes["stages"] = attributes.setdefault("stages", [])
        command.upgrade(cfg, target)
    return True


def copy_before_migration(engine: Engine, layout: StoreLayout, revision: str) -> Path:
    checkpoint(engine)
    safe_file.make_private_dir(layout.backups, parents=False)
    stamp = clock.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = layout.backups / f"before-migration-{revision}-{stamp}.db"
    safe_file.copy_private(layout.database, target)
    safe_file.copy_private(layout.key_file, target.with_suffix(".keys.json"))
    return target
