"""Audit log v2 (issue 20, migration 0020): lean entries, the same hashes. A change's entry
names its change-log row; the link is a prefix of the previous hash; hashes are bytes, times
µs. Every check here compares with the answer the log gave before the migration, on real
SQLCipher files: the released schema fixtures, upgraded step by step, and tampered with raw SQL."""

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlcipher3

from shakyo_desk.store import audit, audit_witness, migrate
from shakyo_desk.store.check import check_store
from shakyo_desk.store.engine import open_engine
from shakyo_desk.store.keyfile import KeyFile
from shakyo_desk.store.models import AuditLog, DeviceState, Household
from shakyo_desk.store.paths import StoreLayout
from shakyo_desk.store.services import audit_log, households
from shakyo_desk.store.store import Store, _load_actor, unlock

from .conftest import PASSPHRASE

FIXTURES = Path(__file__).parents[1] / "fixtures" / "stores"
FIXTURE_PASSPHRASE = "fixture passphrase"
V1_COLUMNS = "id, at, staff_id, login, device_id, action, entity, entity_id, detail, prev_hash, hash, key_id"


class _Row:
    def __init__(self, **values):
        self.__dict__.update(values)


def _v1_rows(conn) -> list[_Row]:
    """The entries of a v1 table (0018) as verify_chain takes them."""
    from datetime import datetime

    rows = conn.exec_driver_sql(f"SELECT {V1_COLUMNS} FROM audit_log ORDER BY id").all()
    return [_Row(id=r.id, at=datetime.fromisoformat(r.at), staff_id=r.staff_id, login=r.login, device_id=r.device_id,
                 action=r.action, entity=r.entity, entity_id=r.entity_id, detail=json.loads(r.detail),
                 prev_hash=r.prev_hash, hash=r.hash, key_id=r.key_id) for r in rows]


def _v1_report(conn, data_key: bytes) -> audit.ChainReport:
    """What `audit verify` answered before 0020: the same arguments audit_witness.verify passes."""
    me = conn.execute(sa.select(DeviceState.device_id, DeviceState.epoch).where(DeviceState.id == 1)).one()
    return audit.verify_chain(_v1_rows(conn), audit_witness.key_ring(conn, data_key), audit_witness.keyed_from(conn),
                              audit_witness.own_witnesses(conn, me.device_id), me.epoch,
                              audit_witness.epoch_ends(conn, me.device_id),
                              audit_witness.cloned_epochs(conn, me.device_id))


class _At0018:
    """A fixture copied and upgraded to 0018 only (the last schema with the v1 audit log)."""

    def __init__(self, tmp_path: Path, fixture: str = "schema-0018"):
        self.root = tmp_path / fixture
        shutil.copytree(FIXTURES / fixture, self.root)
        self.layout = StoreLayout(self.root)
        self.keyfile = KeyFile.load(self.layout.key_file)
        self.key = self.keyfile.open_account("admin", FIXTURE_PASSPHRASE).data_key
        self.engine = open_engine(self.layout.database, self.key)
        migrate.upgrade(self.engine, target="0018")
        assert migrate.current_revision(self.engine) == "0018"

    def append(self, action: str, entity: str = "", entity_id: str = "", detail: dict | None = None,
               login: str = "admin", staff_id: str | None = None) -> None:
        """A v1 entry written as the v1 Writer wrote it (keyed, linked)."""
        ak = audit.derive_key(self.key)
        with self.engine.begin() as conn:
            last = conn.exec_driver_sql("SELECT id, hash, at FROM audit_log ORDER BY id DESC LIMIT 1").one()
            device = conn.execute(sa.select(DeviceState.device_id)).scalar()
            from datetime import datetime

            at = datetime.fromisoformat(last.at) + timedelta(seconds=1)
            detail = detail or {}
            digest = audit.keyed_hash(ak.key, last.id + 1, last.hash, at, staff_id, login, device, action, entity,
                                      entity_id, detail)
            conn.exec_driver_sql(
                f"INSERT INTO audit_log ({V1_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (last.id + 1, at.strftime("%Y-%m-%d %H:%M:%S.%f"), staff_id, login, device, action, entity, entity_id,
                 json.dumps(detail), last.hash, digest, ak.key_id))

    def sql(self, *statements) -> None:
        with self.engine.begin() as conn:
            for s in statements:
                conn.exec_driver_sql(s)

    def report(self) -> audit.ChainReport:
        with self.engine.connect() as conn:
            if migrate.current_revision(self.engine) in ("0018", "0019"):  # (the v1 audit log until 0020)
                return _v1_report(conn, self.key)
            return audit_witness.verify(conn, self.key)

    def upgrade(self) -> list[tuple[int, int]]:
        seen: list[tuple[int, int]] = []
        migrate.upgrade(self.engine, progress=lambda done, total, text: text == migrate.MIGRATING_AUDIT and seen.append((done, total)))
        return seen

    def store(self) -> Store:
        return Store(self.layout, self.engine, self.keyfile, self.key, _load_actor(self.engine, "admin"))

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture
def old(tmp_path):
    at = _At0018(tmp_path)
    yield at
    at.close()


def _same(before: audit.ChainReport, after: audit.ChainReport) -> None:
    assert after == before, (before, after)


# ---- the upgrade keeps every answer ------------------------------------------------------------

@pytest.mark.parametrize("fixture", ["schema-0011", "schema-0016", "schema-0017", "schema-0018"])
def test_released_schemas_upgrade_with_the_same_verification(tmp_path, fixture):
    at = _At0018(tmp_path, fixture)
    try:
        before = at.report()
        assert before.sound and before.entries > 10
        progress = at.upgrade()
        after = at.report()
        _same(before, after)
        assert progress[0] == (0, before.entries) and progress[-1] == (before.entries, before.entries)
        with at.engine.connect() as conn:
            stored = conn.exec_driver_sql(
                "SELECT count(*), count(seq), count(action), sum(length(prev_hash) = 4), sum(length(hash) = 32), "
                "sum(typeof(at) = 'integer') FROM audit_log").one()
        total, by_reference, with_action, prefixed, binary, micros = stored
        changes = sum(1 for r in _entries(at) if r.action.rpartition(".")[2] in audit.CHANGE_OPS)
        # every change's entry by reference; only the others keep an action of their own
        assert by_reference == changes > 0 and with_action == total - changes
        assert prefixed == binary == micros == total
        with at.engine.connect() as conn:  # the device id and key id once each, entries name them by id
            named = conn.exec_driver_sql("SELECT count(*) FROM audit_name").scalar()
            texts = conn.exec_driver_sql("SELECT count(*) FROM audit_log WHERE typeof(device_id) != 'integer' "
                                         "OR typeof(key_id) = 'text'").scalar()
        assert 1 <= named <= 3 and texts == 0
        store = at.store()
        assert check_store(store).sound
    finally:
        at.close()


def _entries(at: _At0018) -> list[audit.Entry]:
    with at.engine.connect() as conn:
        return audit.entries(conn, conn.execute(sa.select(AuditLog.__table__).order_by(AuditLog.id)).all())


TAMPERING = {
    "login of a change's entry": ["UPDATE audit_log SET login = 'someone' WHERE id = 5"],
    "detail of a change's entry": ["UPDATE audit_log SET detail = '{\"fields\": [\"phone\"]}' WHERE id = 6"],
    "an entry deleted": ["DELETE FROM audit_log WHERE id = 7"],
    "the tail cut (counter kept)": ["DELETE FROM audit_log WHERE id > 58"],
    "the tail cut (counter too)": ["DELETE FROM audit_log WHERE id > 58",
                                   "UPDATE sqlite_sequence SET seq = 58 WHERE name = 'audit_log'"],
    "a link rewritten": ["UPDATE audit_log SET prev_hash = '" + "1" * 64 + "' WHERE id = 9"],
    "a hash rewritten": ["UPDATE audit_log SET hash = '" + "2" * 64 + "' WHERE id = 10"],
    "a time rewritten": ["UPDATE audit_log SET at = '2020-01-01 00:00:00.000000' WHERE id = 11"],
    "an entity id rewritten": ["UPDATE audit_log SET entity_id = 'x' WHERE id = 12"],
    "a key id unknown": ["UPDATE audit_log SET key_id = 'ffffffffffffffff' WHERE id = 13"],
    "the change behind an entry rewritten": ["UPDATE change_log SET entity_id = 'x' WHERE seq = 14"],
    "the change behind an entry deleted": ["DELETE FROM change_log WHERE seq = 15"],
}


@pytest.mark.parametrize("name", sorted(TAMPERING))
def test_a_log_tampered_before_the_upgrade_reports_the_same_after(old, name):
    old.sql(*TAMPERING[name])
    before = old.report()
    assert not before.sound or name.startswith("the tail cut") or name.startswith("the change behind")
    old.upgrade()
    _same(before, old.report())


def test_a_cut_tail_witnessed_before_the_upgrade_is_still_reported(old):
    """A witness of the head (a backup's) and the tail cut afterwards: the gap stays told."""
    with old.engine.begin() as conn:
        me = conn.execute(sa.select(DeviceState.device_id, DeviceState.epoch)).one()
        head = conn.exec_driver_sql("SELECT id, hash, at FROM audit_log ORDER BY id DESC LIMIT 1").one()
        audit_witness.note(conn, device_id=me.device_id, epoch=me.epoch, entry_id=head.id, hash=head.hash,
                           source=audit_witness.BACKUP, witness=me.device_id)
    old.sql("DELETE FROM audit_log WHERE id > 50", "UPDATE sqlite_sequence SET seq = 50 WHERE name = 'audit_log'")
    before = old.report()
    assert [f.kind for f in before.findings] == [audit.MISSING] and before.findings[0].first == 51
    old.upgrade()
    _same(before, old.report())


def test_entries_that_cannot_be_rebuilt_are_kept_in_full(old):
    """A change-like entry with no change behind it, one whose staff differs from its change's,
    and views, exports and account changes: stored as they were, verified as before."""
    with old.engine.connect() as conn:
        household_id = conn.execute(sa.select(Household.id)).scalar()
        staff_id = conn.exec_driver_sql("SELECT id FROM staff LIMIT 1").scalar()
    old.append("household.update", "household", household_id, {"fields": ["phone"]})  # no such change
    old.append("household.view", "household", household_id, staff_id=staff_id)
    old.append("route_pdf.export", detail={"file": "訪問.pdf", "rows": 3})
    old.append("staff.update", "staff", staff_id, {"fields": ["role"], "before": {"role": "staff"},
                                                  "after": {"role": "admin"}})
    before = old.report()
    assert before.sound
    old.upgrade()
    _same(before, old.report())
    with old.engine.connect() as conn:
        kept = conn.exec_driver_sql("SELECT action FROM audit_log WHERE seq IS NULL AND action IS NOT NULL "
                                    "ORDER BY id").scalars().all()
    assert kept[-4:] == ["household.update", "household.view", "route_pdf.export", "staff.update"]


# ---- the viewer and the CSV show the same rows -------------------------------------------------

def _reference(rows: list[_Row], conn, login=None, group=None, household_id=None) -> list[audit.Entry]:
    """What the v1 viewer selected (its SQL in Python): newest first by time, then id."""
    ids = audit_log.household_entity_ids(conn, household_id) if household_id else None
    out = [r for r in rows if (login is None or r.login == login)
           and (group is None or audit_log.action_group(r.action) == group)
           and (ids is None or r.entity_id in ids)]
    out.sort(key=lambda r: (r.at, r.id), reverse=True)
    return [audit.Entry(r.id, r.at, r.staff_id, r.login, r.device_id, r.action, r.entity, r.entity_id, r.detail,
                        r.prev_hash, r.hash, r.key_id) for r in out]


def test_the_viewer_and_the_csv_show_the_same_rows_after_the_upgrade(old, tmp_path):
    from shakyo_desk.reports import audit_csv

    with old.engine.connect() as conn:
        household_id = conn.execute(sa.select(Household.id)).scalar()
        staff_id = conn.exec_driver_sql("SELECT id FROM staff LIMIT 1").scalar()
    old.append("household.view", "household", household_id, staff_id=staff_id)
    old.append("route_pdf.export", detail={"file": "訪問.pdf", "rows": 3})
    old.append("sync.import", detail={"changes": 3, "applied": 3, "conflicts": 0, "sender": "x", "seq": 1})
    old.append("session.unlock", login="someone else")
    with old.engine.connect() as conn:
        rows = _v1_rows(conn)
    old.upgrade()
    store = old.store()
    filters = [dict(), dict(login="admin"), dict(login="someone else"), *(dict(group=g) for g in audit_log.GROUPS),
               dict(household_id=household_id), dict(household_id=household_id, group="view"),
               dict(household_id=household_id, group="change"), dict(login="admin", group="change")]
    with store.read() as s:
        conn = s.connection()
        expected = [audit_log._entries(conn, _reference(rows, conn, **f)) for f in filters]
    for f, want in zip(filters, expected, strict=True):
        got = list(audit_log.iter_entries(store, audit_log.AuditFilters(
            login=f.get("login"), action_group=f.get("group"), household_id=f.get("household_id")), batch=7))
        assert [(e, e.detail) for e in got] == [(e, e.detail) for e in want], f
        assert [audit_csv.entry_row(e) for e in got] == [audit_csv.entry_row(e) for e in want]
        assert got or f.get("group") in ("other", "account"), f
    # paging: one entry at a time gives the same
    one_by_one, before = [], None
    while True:
        page = audit_log.query(store, limit=1, before_id=before)
        one_by_one += page.entries
        if not page.more:
            break
        before = page.next_before_id
    assert [e.id for e in one_by_one] == [r.id for r in sorted(rows, key=lambda r: (r.at, r.id), reverse=True)]


# ---- a v2 log: the change log is part of what is verified ------------------------------------

@pytest.fixture
def busy(store, district):
    ids = [households.add_household(store, district, f"架空 {n}子", address=f"架空村上町{n}") for n in range(6)]
    households.update_household(store, ids[0], address="架空村下町1")
    return store


def _edit(store, *statements):
    root, key = store.layout.root, store.data_key
    store.close()
    conn = sqlcipher3.connect(str(root / "shakyo.db"))
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    for s in statements:
        conn.execute(s)
    conn.commit()
    conn.close()
    return unlock(root, "admin", PASSPHRASE)


def _a_change_entry(store, op: str = "insert") -> tuple[int, int]:
    with store.read() as s:
        row = s.execute(sa.select(AuditLog.id, AuditLog.seq).where(AuditLog.seq.is_not(None))
                        .order_by(AuditLog.id.desc())).all()
        entries = audit.entries(s.connection(), s.execute(sa.select(AuditLog.__table__)
                                                          .where(AuditLog.id.in_([r.id for r in row]))).all())
    return next((e.id, e.change[2]) for e in sorted(entries, key=lambda e: -e.id) if e.action.endswith("." + op))


def test_new_entries_are_lean_and_verify(busy):
    report = audit_log.verify(busy)
    assert report.sound
    with busy.read() as s:
        conn = s.connection()
        lean = conn.exec_driver_sql(
            "SELECT count(*), count(seq), sum(length(prev_hash)), sum(length(hash)) FROM audit_log").one()
        entries = audit.entries(conn, s.execute(sa.select(AuditLog.__table__).order_by(AuditLog.id)).all())
    total, by_reference, link_bytes, hash_bytes = lean
    assert by_reference == sum(1 for e in entries if e.change) >= 13 and link_bytes == 4 * total
    assert hash_bytes == 32 * total
    update = next(e for e in entries if e.action == "household.update")
    assert "address" in update.detail["fields"] and update.change is not None


@pytest.mark.parametrize("statement", [
    "UPDATE change_log SET entity_id = 'x' WHERE seq = {seq}",
    "UPDATE change_log SET op = 'delete' WHERE seq = {seq}",
    "UPDATE change_log SET entity = 'supporter' WHERE seq = {seq}",
    "UPDATE change_log SET staff_id = NULL WHERE seq = {seq}",
    "DELETE FROM change_log WHERE seq = {seq}",
    "UPDATE audit_log SET seq = seq - 1 WHERE id = {id}",
    "UPDATE audit_log SET epoch = 2 WHERE id = {id}",
    "UPDATE audit_log SET seq = NULL WHERE id = {id}",
    "UPDATE audit_log SET device_id = 'another' WHERE id = {id}",
    "UPDATE audit_log SET device_id = (SELECT max(id) FROM audit_name) + 1 WHERE id = {id}",
])
def test_a_tampered_change_or_reference_fails_verification(busy, statement):
    entry_id, seq = _a_change_entry(busy)
    store = _edit(busy, statement.format(seq=seq, id=entry_id))
    try:
        report = audit_log.verify(store)
        assert not report.sound
        assert report.sentences == [f"第{entry_id}件の記録が書き換えられています。"]
    finally:
        store.close()


def test_a_renamed_device_fails_every_entry(busy):
    with busy.read() as s:
        last = s.execute(sa.select(sa.func.max(AuditLog.id))).scalar()
    store = _edit(busy, "UPDATE audit_name SET name = 'another' WHERE name IN (SELECT device_id FROM device_state)")
    try:
        # (the unlock's own entry after it names the device anew, and holds)
        assert audit_log.verify(store).sentences == [f"第1〜{last}件の記録が書き換えられています。"]
    finally:
        store.close()


def test_a_link_rewritten_names_both_entries_as_before(busy):
    """The stored prefix of the previous hash still tells which link broke."""
    with busy.read() as s:
        last = s.execute(sa.select(sa.func.max(AuditLog.id))).scalar()
    store = _edit(busy, f"UPDATE audit_log SET hash = zeroblob(32) WHERE id = {last - 3}")
    try:
        assert audit_log.verify(store).sentences == [f"第{last - 3}〜{last - 2}件の記録が書き換えられています。"]
    finally:
        store.close()


def test_the_entry_after_a_cut_keeps_its_whole_link(busy):
    """A tail cut with its counter left: the next entry follows a gap, stores the whole previous
    hash, and the gap is told (and nothing else)."""
    with busy.read() as s:
        last = s.execute(sa.select(sa.func.max(AuditLog.id))).scalar()
    store = _edit(busy, f"DELETE FROM audit_log WHERE id > {last - 2}")
    try:
        households.add_household(store, households.list_households(store)[0].district_id, "架空 後子")
        with store.read() as s:
            after_gap = s.connection().exec_driver_sql(
                f"SELECT length(prev_hash) FROM audit_log WHERE id > {last - 2} ORDER BY id LIMIT 1").scalar()
        assert after_gap == 32
        report = audit_log.verify(store)
        assert report.sentences == [f"第{last - 1}〜{last}件の記録が消されています。"]
    finally:
        store.close()


def test_downgrade_gives_back_the_v1_table_with_the_same_verification(old):
    old.upgrade()
    after = old.report()
    from alembic import command

    cfg = migrate._config()
    with old.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0019")
    _same(after, old.report())


def test_unlocking_a_store_from_before_reports_the_conversion(tmp_path):
    """The unlock screen's progress (unlock(progress=…)) hears of 0020, batch by batch."""
    from shakyo_desk.store.migrate import MIGRATING_AUDIT

    root = tmp_path / "schema-0018"
    shutil.copytree(FIXTURES / "schema-0018", root)
    heard: list[tuple[int, int, str]] = []
    store = unlock(root, "admin", FIXTURE_PASSPHRASE, progress=lambda d, t, text: heard.append((d, t, text)))
    try:
        moves = [h for h in heard if h[2] == MIGRATING_AUDIT]
        assert moves[0][:2] == (0, 63) and moves[-1][:2] == (63, 63)
        assert audit_log.verify(store).sound
        assert list((root / "backups").glob("before-migration-0018-*.db"))  # the copy came first
    finally:
        store.close()
