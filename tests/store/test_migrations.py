import hashlib
import shutil
from pathlib import Path

import pytest
import sqlcipher3
import sqlalchemy as sa

from shakyo_desk.domain.errors import StoreError
from shakyo_desk.store import backup, frozen_file, migrate
from shakyo_desk.store.check import check_store
from shakyo_desk.store.engine import checkpoint, open_engine, raw_connect
from shakyo_desk.store.keyfile import KeyFile, new_data_key
from shakyo_desk.store.models import Base
from shakyo_desk.store.paths import StoreLayout
from shakyo_desk.store.services import households
from shakyo_desk.store.store import unlock
from tests.store import compact_killing
from tests.store.conftest import PASSPHRASE

FIXTURES = Path(__file__).parents[1] / "fixtures" / "stores"
FIXTURE_PASSPHRASE = "fixture passphrase"


def test_migrations_from_empty_build_the_model_schema(tmp_path):
    engine = open_engine(tmp_path / "empty.db", new_data_key())
    assert migrate.upgrade(engine) is True
    assert migrate.current_revision(engine) == migrate.head_revision()
    tables = set(sa.inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    for name, table in Base.metadata.tables.items():
        actual = {c["name"] for c in sa.inspect(engine).get_columns(name)}
        assert actual == {c.name for c in table.columns}, name
    assert migrate.upgrade(engine) is False  # already at head
    engine.dispose()


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()))
def test_every_released_schema_upgrades_and_opens(tmp_path, fixture):
    root = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, root)
    store = unlock(root, "admin", FIXTURE_PASSPHRASE)
    assert migrate.current_revision(store.engine) == migrate.head_revision()
    rows = households.list_households(store, "かくう")
    assert [r.head_name for r in rows] == ["架空 花子"] and rows[0].member_count == 2
    if fixture >= "schema-0002":  # field records exist from 0002 on
        from shakyo_desk.store.services import timeline

        kinds = {e.kind for e in timeline.household_timeline(store, rows[0].id, log=False)}
        expected = {"contact", "attendance", "sheet", "status", "referral"}
        if fixture >= "schema-0004":
            expected |= {"conference"}
        if fixture >= "schema-0016":  # the case's steps are on the timeline (issue 18)
            expected |= {"case"}
        assert kinds == expected
    if fixture >= "schema-0004":  # conferences, consent and the handout register
        from shakyo_desk.store.services import conference_consent, conferences, handout_register

        [meeting] = conferences.list_conferences(store)
        assert meeting.type_label == "重層的支援会議" and meeting.case_count == 1 and meeting.member_count == 1
        # the head (the case's 本人 by default) consented; her son did not, and is not asked (issue 18)
        assert conference_consent.missing_consent(store, meeting.id) == []
        assert handout_register.counts(store, meeting.id).outstanding == 1
    if fixture >= "schema-0016":  # case work: a case with its assessment, plan and monitoring, a 地域課題
        from shakyo_desk.store.services import case_views, community_issues

        [case] = case_views.list_cases(store)
        detail = case_views.get_case(store, case.id, log=False)
        assert detail.summary.status == "モニタリング" and detail.assessment[0].wish == "家で暮らしたい"
        [goal] = detail.plans[0].goals
        assert len(goal.actions) == 2 and goal.monitoring[0].progress == "partly"
        assert [i.title for i in community_issues.list_issues(store)] == ["移動手段がない"]
    if fixture >= "schema-0017":  # meetings fed by requests: a waiting 受付表 request and a 委嘱
        from shakyo_desk.store.services import appointments, meeting_requests

        [request] = meeting_requests.pending_requests(store, "support")
        assert request.question == "地域の見守りの分担を決めたい" and request.agencies_needed == ("架空保健センター",)
        [appointment] = appointments.list_appointments(store)
        assert appointment.name == "架空 委員" and appointment.pledge_on.isoformat() == "2025-04-01"
    if fixture >= "schema-0016":  # 0018 gives the 地域課題 register a status; older entries are 把握
        from shakyo_desk.store.services import community_issues

        [issue] = community_issues.list_issues(store)
        assert (issue.status, issue.activity_count) == (("検討中", 1) if fixture >= "schema-0018" else ("把握", 0))
    if fixture >= "schema-0018":  # community work: a supporter against a target, a tie, a 地域懇談会
        from shakyo_desk.store.services import supporters, ties

        [tie] = ties.list_ties(store)
        assert (tie.supporter, tie.kind, tie.frequency) == ("架空 支子", "見守り", "毎朝")
        by = {c.district: c for c in supporters.counts(store, 2025)}
        assert (by["上町"].supporters, by["上町"].target) == (1, 5)
        assert ties.households_without_tie(store) == []
    from shakyo_desk.domain.vocab import DEFAULT_CONFIDENTIALITY_NOTICE
    from shakyo_desk.store.services.council import get_settings

    settings = get_settings(store)  # columns added by 0004 get the model's defaults in older stores
    assert settings.confidentiality_notice == DEFAULT_CONFIDENTIALITY_NOTICE
    assert settings.handout_retention_days == 30
    assert settings.backup_reminder_days == 7  # 0006
    from shakyo_desk.store.exchange import devices

    # Sync keys exist after the first unlock; a store from before sync still owes its admin
    # the printed recovery identity, one made at `init` (0003 on) printed it then.
    assert [d.name for d in devices.overview(store).devices] == ["事務局"]
    unprinted = devices.unprinted_recovery_identity(store)
    assert (unprinted is not None and unprinted.startswith("AGE-SECRET-KEY-1")) == (fixture < "schema-0003")
    assert check_store(store).sound
    store.close()


def test_copy_before_migration_is_an_encrypted_working_copy(store, district):
    households.add_household(store, district, "山田 花子")
    copy = migrate.copy_before_migration(store.engine, store.layout, "0001")
    assert copy.parent == store.layout.backups
    assert not copy.read_bytes().startswith(b"SQLite format 3")
    engine = open_engine(copy, store.data_key)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM household").scalar() == 1
    engine.dispose()


def test_store_from_a_newer_version_is_refused_untouched(store):
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_future'")
    checkpoint(store.engine)
    store.close()
    layout = StoreLayout(store.layout.root)
    digest = hashlib.sha256(layout.database.read_bytes()).hexdigest()
    with pytest.raises(StoreError) as err:
        unlock(layout.root, "admin", "correct horse 1")
    assert "新しいバージョン" in err.value.message
    assert hashlib.sha256(layout.database.read_bytes()).hexdigest() == digest
    assert not layout.backups.exists()


def test_key_file_from_a_newer_version_is_refused(store):
    store.close()
    text = store.layout.key_file.read_text("utf-8")
    assert '"format": 2' in text
    store.layout.key_file.write_text(text.replace('"format": 2', '"format": 99'), "utf-8")
    with pytest.raises(StoreError) as err:
        KeyFile.load(store.layout.key_file)
    assert "新しいバージョン" in err.value.message


# ---- the copy before a migration: complete whatever other programs do -------------------------


def test_copy_before_migration_holds_commits_a_reader_elsewhere_keeps_in_the_wal(store, district):
    """Another program (the CLI beside the app) holding an old moment open stops checkpoints:
    a commit made meanwhile is only in the WAL. Copying the main file after a checkpoint would
    silently miss it; the copy must hold it (and be one moment: sound, encrypted)."""
    first = households.add_household(store, district, "山田 花子")
    other = raw_connect(store.engine)  # its own connection, as another process's
    try:
        other.execute("BEGIN")
        other.execute("SELECT count(*) FROM household").fetchone()  # an old moment, kept open
        second = households.add_household(store, district, "佐藤 一郎")  # committed, in the WAL only
        copy = migrate.copy_before_migration(store.engine, store.layout, "0001")
        assert other.execute("SELECT count(*) FROM household").fetchone()[0] == 1  # (still the old moment)
    finally:
        other.close()
    assert not copy.read_bytes().startswith(b"SQLite format 3")
    engine = open_engine(copy, store.data_key)
    with engine.connect() as conn:
        ids = {r[0] for r in conn.exec_driver_sql("SELECT id FROM household")}
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    engine.dispose()
    assert ids == {first, second}
    assert [p.name for p in store.layout.backups.iterdir() if p.name.endswith(".partial")] == []


def test_copy_before_migration_is_the_frozen_file_when_nothing_holds_the_wal(store, district, monkeypatch):
    households.add_household(store, district, "山田 花子")
    ways = []
    real = frozen_file.copy_database
    monkeypatch.setattr(frozen_file, "copy_database", lambda *a, **k: ways.append(real(*a, **k)) or ways[-1])
    copy = migrate.copy_before_migration(store.engine, store.layout, "0001")
    assert ways == ["file"]  # the fast way: the encrypted pages as they are
    engine = open_engine(copy, store.data_key)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM household").scalar() == 1
    engine.dispose()


def test_copy_before_migration_that_cannot_be_written_refuses_the_migration(store, monkeypatch):
    def full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(frozen_file.safe_file, "stage", full)
    with pytest.raises(StoreError, match="控えを作れませんでした"):
        migrate.copy_before_migration(store.engine, store.layout, "0001")


# ---- the compaction after 0019: bounded memory, the old file or the new, never half ------------


def _loose(store, district) -> dict[str, int]:
    """A store with data and ~8 MB of free pages (as 0019 leaves the old change log's); its counts."""
    for n in range(5):
        households.add_household(store, district, f"山田 {n}")
    with store.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE junk (b BLOB)")
        conn.exec_driver_sql("INSERT INTO junk SELECT randomblob(4000) FROM "
                             "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) SELECT i FROM n)")
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE junk")
    checkpoint(store.engine)
    return backup.counts(store)


def _opened_sound(root: Path, counts: dict[str, int]) -> None:
    layout = StoreLayout(root)
    store = unlock(root, "admin", PASSPHRASE)
    try:
        now = backup.counts(store)
        assert now.pop("audit_log") >= counts.pop("audit_log")  # (an unlock may note itself)
        assert now == counts
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert check_store(store).sound
    finally:
        store.close()
    assert not migrate.compact_partial(layout.database).exists()
    assert [p.name for p in root.iterdir() if "compact" in p.name] == []


def test_compaction_gives_the_free_pages_back_and_the_store_goes_on(store, district):
    counts = _loose(store, district)
    database = store.layout.database
    before = database.stat().st_size
    assert migrate.compact(store.engine) is True
    assert database.stat().st_size < before - 6_000_000
    assert not database.read_bytes()[:16].startswith(b"SQLite format 3")  # under the store's own key
    households.add_household(store, district, "後から 追加")  # the engine goes on, on the new file
    assert backup.counts(store)["household"] == counts["household"] + 1
    counts = backup.counts(store)
    root = store.layout.root
    store.close()
    _opened_sound(root, counts)


def test_compaction_gives_up_while_another_program_has_the_store_open(store, district, monkeypatch):
    """Renaming a new file over one another process has open would lose what it writes next:
    the exclusive lock is refused, and the store stays as it was, sound, only not smaller."""
    monkeypatch.setattr(migrate, "COMPACT_WAIT_MS", 200)
    counts = _loose(store, district)
    database = store.layout.database
    inode, size = database.stat().st_ino, database.stat().st_size
    other = raw_connect(store.engine)
    try:
        other.execute("SELECT count(*) FROM household").fetchone()  # open, idle: no transaction
        assert migrate.compact(store.engine) is False
    finally:
        other.close()
    assert (database.stat().st_ino, database.stat().st_size) == (inode, size)
    root = store.layout.root
    store.close()
    _opened_sound(root, counts)


@pytest.mark.parametrize("point", compact_killing.POINTS)
def test_compaction_killed_at_any_step_leaves_the_old_file_or_the_new(store, district, point):
    counts = _loose(store, district)
    layout, data_key = store.layout, store.data_key
    before = layout.database.stat().st_size
    store.close()
    code = compact_killing.run_killed(layout.database, data_key, point)
    assert code == (0 if point == "done" else compact_killing.KILLED)
    smaller = layout.database.stat().st_size < before - 6_000_000
    assert smaller == (point in ("renamed", "done"))  # the old file whole, or the new one
    if point in ("attached", "mid-export", "exported", "detached", "renaming"):
        assert migrate.compact_partial(layout.database).exists()  # (left by the kill: removed at the open)
    _opened_sound(layout.root, counts)


def test_0019_runs_without_secure_delete_and_the_store_keeps_it_afterwards(tmp_path, monkeypatch):
    """Zeroing every page the old change log frees would copy each into the DROP's statement
    journal, in memory (hundreds of MB on large-town): the migration runs with secure_delete
    off — the compaction right after leaves no freed page — and every connection has it on again."""
    root = tmp_path / "schema-0018"
    shutil.copytree(FIXTURES / "schema-0018", root)
    seen = []
    real = migrate.command.upgrade

    def upgrade(cfg, target):
        seen.append(cfg.attributes["connection"].exec_driver_sql("PRAGMA secure_delete").scalar())
        return real(cfg, target)

    monkeypatch.setattr(migrate.command, "upgrade", upgrade)
    store = unlock(root, "admin", FIXTURE_PASSPHRASE)
    assert seen == [0]
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA freelist_count").scalar() == 0  # (compacted)
    store.close()


def test_nobody_else_reads_or_writes_the_store_while_it_is_compacted(store, district, monkeypatch):
    """A commit by another program during the export would be lost by the rename: the old file
    is held exclusively from the checkpoint to the rename."""
    _loose(store, district)
    engine, refused = store.engine, []
    real = migrate.raw_connect

    class Watching:
        def __init__(self, conn):
            self._conn = conn

        def execute(self, sql, *args):
            if "sqlcipher_export" in sql:
                other = real(engine)
                other.execute("PRAGMA busy_timeout = 0")
                try:
                    other.execute("SELECT count(*) FROM household").fetchone()
                except sqlcipher3.OperationalError as error:
                    refused.append(str(error))
                finally:
                    other.close()
            return self._conn.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self._conn, name)

    monkeypatch.setattr(migrate, "raw_connect", lambda *a, **k: Watching(real(*a, **k)))
    assert migrate.compact(engine) is True
    assert refused == ["database is locked"]
