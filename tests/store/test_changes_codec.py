"""Change log storage v2 (issue 20, store/changes_codec.py, migration 0019)."""

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from shakyo_desk.domain.errors import StoreError
from shakyo_desk.store import changes_codec, migrate
from shakyo_desk.store.check import check_store
from shakyo_desk.store.engine import open_engine
from shakyo_desk.store.models import ChangeLog
from shakyo_desk.store.services import households
from shakyo_desk.store.store import unlock

FIXTURES = Path(__file__).parents[1] / "fixtures" / "stores"
FIXTURE_PASSPHRASE = "fixture passphrase"


def _forms(store, entity_id):
    with store.read() as s:
        return [(r.op, r.packed is None) for r in s.execute(
            sa.select(ChangeLog.op, ChangeLog.packed).where(ChangeLog.entity_id == entity_id).order_by(ChangeLog.seq))]


def test_insert_is_derived_until_its_row_changes(store, district):
    household_id = households.add_household(store, district, "山田 花子", phone="0000-00-0001")
    assert _forms(store, household_id) == [("insert", True)]
    with store.read() as s:
        [insert] = changes_codec.rows(s.connection(), ChangeLog.entity_id == household_id)
    text = insert.fields_text
    assert insert.fields["phone"] == "0000-00-0001" and insert.fields["id"] == household_id
    households.update_household(store, household_id, phone="0000-00-0002")
    assert _forms(store, household_id) == [("insert", False), ("update", False)]  # materialised first
    with store.read() as s:
        rows = changes_codec.rows(s.connection(), ChangeLog.entity_id == household_id, order_by=(ChangeLog.seq,))
        dots = [(r.origin_device, r.epoch, r.seq) for r in rows]
        assert changes_codec.fields_texts(s.connection(), dots) == {
            dots[0]: text, dots[1]: '{"phone":"0000-00-0002"}'}
    assert rows[0].fields_text == text  # the insert's text is what it was, not the row's now
    assert check_store(store).sound


def test_a_derived_insert_edited_behind_the_log_fails_check(store, district):
    household_id = households.add_household(store, district, "山田 花子")
    assert check_store(store).sound
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE household SET notes = '書き換え' WHERE id = ?", (household_id,))
    assert any(household_id in p and "作成時の記録" in p for p in check_store(store).problems)


def test_off_chain_derived_insert_keeps_its_values_hash(store, district):
    household_id = households.add_household(store, district, "山田 花子")
    with store.engine.begin() as conn:  # (as if held off any chain: the hash is what proves it)
        text = changes_codec.texts(conn, conn.execute(sa.select(ChangeLog.__table__).where(
            ChangeLog.entity_id == household_id)).all())[0]
        from shakyo_desk.sync.chain import values_hash
        conn.execute(ChangeLog.__table__.update().where(ChangeLog.entity_id == household_id),
                     {"chain": None, "values_hash": values_hash(text)})
    assert check_store(store).sound
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE household SET phone = '0000-99-9999' WHERE id = ?", (household_id,))
    assert not check_store(store).sound


def test_pack_gives_the_text_back():
    class Orders(changes_codec.KeyOrders):
        def __init__(self):
            self.names, self.ids = {}, {}

        def intern(self, names):
            names = tuple(names)
            if names not in self.ids:
                self.ids[names] = len(self.ids) + 1
                self.names[self.ids[names]] = names
            return self.ids[names]

    orders = Orders()
    from shakyo_desk.sync.chain import storage_json
    for fields in ({}, {"a": 1}, {"note": "見守り" * 40, "n": 2.5, "x": None, "l": [1, "b"]}):
        text = storage_json(fields)
        key_order, packed = changes_codec.pack(orders, fields, text)
        assert changes_codec.unpack(orders, key_order, packed) == text
    odd = '{"a":1,"a":2}'  # (duplicate keys: stored as text)
    key_order, packed = changes_codec.pack_text(orders, odd)
    assert key_order == changes_codec.RAW_ORDER and changes_codec.unpack(orders, key_order, packed) == odd


def _old_texts(root: Path, data_key: bytes) -> dict:
    [backup] = (root / "backups").glob("before-migration-0018-*.db")
    engine = open_engine(backup, data_key)
    with engine.connect() as conn:
        found = {(r[0], r[1], r[2]): r[3] for r in conn.exec_driver_sql(
            "SELECT origin_device, epoch, seq, fields FROM change_log")}
    engine.dispose()
    return found


def test_schema_fixture_upgrades_with_the_same_texts(tmp_path):
    root = tmp_path / "schema-0018"
    shutil.copytree(FIXTURES / "schema-0018", root)
    store = unlock(root, "admin", FIXTURE_PASSPHRASE)
    old = _old_texts(root, store.data_key)
    with store.read() as s:
        conn = s.connection()
        assert changes_codec.fields_texts(conn, old) == old  # byte for byte
        derived = conn.exec_driver_sql("SELECT count(*) FROM change_log WHERE packed IS NULL").scalar()
    assert derived > len(old) // 2
    assert check_store(store).sound
    store.close()


def test_killed_migration_leaves_the_old_store(tmp_path, monkeypatch):
    root = tmp_path / "schema-0018"
    shutil.copytree(FIXTURES / "schema-0018", root)
    monkeypatch.setattr(changes_codec, "MIGRATION_BATCH", 5)
    monkeypatch.setattr(changes_codec, "FAIL_AFTER_BATCH", [2])  # (a kill between two batches)
    with pytest.raises(RuntimeError):
        unlock(root, "admin", FIXTURE_PASSPHRASE)
    monkeypatch.setattr(changes_codec, "FAIL_AFTER_BATCH", [])
    store = unlock(root, "admin", FIXTURE_PASSPHRASE)  # the old store, whole: migrated now
    assert migrate.current_revision(store.engine) == migrate.head_revision()
    assert check_store(store).sound
    store.close()


def test_unlock_of_a_0018_store_reports_progress_and_keeps_a_backup(tmp_path, monkeypatch):
    """The real unlock path (the unlock screen's worker and the CLI call it with a progress
    callback): the copy taken before, the rows converted, the compaction after, all reported; the
    copy is the 0018 store itself, still encrypted, and opens with its key."""
    root = tmp_path / "schema-0018"
    shutil.copytree(FIXTURES / "schema-0018", root)
    seen = []
    monkeypatch.setattr(changes_codec, "MIGRATION_BATCH", 7)
    store = unlock(root, "admin", FIXTURE_PASSPHRASE, progress=lambda done, total, text: seen.append((done, total, text)))
    texts = [t for _, _, t in seen]
    assert texts[0] == migrate.BACKING_UP and texts[-1] == migrate.TIDYING
    rows = [(d, t) for d, t, text in seen if text == migrate.MIGRATING]
    assert len(rows) > 2 and rows[-1][0] == rows[-1][1] and [d for d, _ in rows] == sorted(d for d, _ in rows)
    [backup] = (root / "backups").glob("before-migration-0018-*.db")
    assert b"SQLite format 3" not in backup.read_bytes()[:4096]  # encrypted, as the store
    engine = open_engine(backup, store.data_key)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0018"
        assert conn.exec_driver_sql("SELECT count(*) FROM change_log WHERE fields IS NOT NULL").scalar() > 0
    engine.dispose()
    assert migrate.current_revision(store.engine) == migrate.head_revision()
    store.close()
    seen.clear()
    unlock(root, "admin", FIXTURE_PASSPHRASE, progress=lambda *a: seen.append(a)).close()
    assert seen == []  # nothing to migrate: nothing reported, no second copy
    assert len(list((root / "backups").glob("before-migration-*.db"))) == 1


def test_derived_insert_whose_row_is_gone_is_an_error_not_a_wrong_text(store, district):
    household_id = households.add_household(store, district, "山田 花子")
    raw = store.engine.raw_connection()  # (outside a transaction: foreign keys off, as an attacker would)
    try:
        raw.driver_connection.execute("PRAGMA foreign_keys = OFF")
        raw.driver_connection.execute("DELETE FROM household WHERE id = ?", (household_id,))
        raw.driver_connection.execute("PRAGMA foreign_keys = ON")
    finally:
        raw.close()
    with store.read() as s, pytest.raises(StoreError):
        changes_codec.rows(s.connection(), ChangeLog.entity_id == household_id)
    assert not check_store(store).sound


def test_a_compaction_without_room_leaves_the_migrated_store_opening(tmp_path, monkeypatch):
    """The compaction after 0019 needs disk; lacking it (here: a statement SQLite refuses, as
    it refuses an export on a full disk) the migration stands, it is committed, and the store
    opens, sound, only not smaller, with no copy left beside it."""
    root = tmp_path / "schema-0018"
    shutil.copytree(FIXTURES / "schema-0018", root)
    monkeypatch.setattr(migrate, "EXPORT", "SELECT sqlcipher_export('no_such_schema')")
    store = unlock(root, "admin", FIXTURE_PASSPHRASE)
    assert not migrate.compact_partial(store.layout.database).exists()
    assert migrate.current_revision(store.engine) == migrate.head_revision()
    assert check_store(store).sound
    store.close()


def test_compiled_encoders_give_derive_s_text_for_any_stored_value(store, district):
    """The export's encoders (one per key order, straight from the driver's tuples) must give
    what `derive` gives from the mapped row, for whatever a row holds: odd types stored behind
    the ORM's back (SQLite keeps what it is given), NULLs, escapes, non-ASCII, repeated values
    (the per-column memo), and values that fail the same way."""
    from shakyo_desk.store.models import Contact, Council

    household_id = households.add_household(store, district, "山田 花子")
    odd = [  # (column, stored value) written raw into a copy of the row
        ("seen_heard", 'tab\there "quoted" \\ back\x01\x7f 改行\n'), ("seen_heard", 12), ("seen_heard", 1.5),
        ("next_contact_date", None), ("contact_time", ""), ("companions", '["a", "b"]'), ("companions", "[]"),
        ("companions", '{"k": [1, 2.5, null, true]}'), ("companions", 7), ("companions", 2.5),
        ("deleted_at", "2026-11-24 10:00:00.000001"), ("concerns", '["\\u4ecb\\u8b77"]'), ("tax_derived", 0), ("tax_derived", 1),
        ("tax_derived", 2), ("tax_derived", 1.0), ("contact_date", "2026-11-23"), ("next_contact_date", "2026-01-02"), ("created_at", "2026-11-23 09:15:00.000000"),
        ("created_at", "2026-11-23 09:15:00.123456"), ("created_at", "2026-11-23 09:15:00"), ("updated_at", None),
        ("created_by", None), ("created_by", 5),
    ]
    names = tuple(c.name for c in Contact.__table__.columns if c.name != "hlc")
    reversed_names = tuple(reversed(names))
    with store.engine.begin() as conn:
        ids = []
        for n, (column, value) in enumerate(odd * 2):  # (twice: the second time from the memo)
            entity_id = f"00000000-0000-7000-8000-{n:012d}"
            conn.exec_driver_sql(
                "INSERT INTO contact (id, created_at, hlc, contact_date, contact_time, method, companions, "
                "household_id, seen_heard, concerns, urgency, isolation, next_action, tax_derived) VALUES "
                "(?, '2026-11-23 08:00:00.000000', '', '2026-11-23', '', '訪問', '[]', ?, '', '[]', '', '', '', 0)",
                (entity_id, household_id))
            conn.exec_driver_sql(f"UPDATE contact SET {column} = ? WHERE id = ?", (value, entity_id))
            ids.append(entity_id)
        reader = changes_codec._Reader(conn, "contact")
        raw = reader.raw(conn, ids)
        mapped = {r.id: r for r in conn.execute(sa.select(Contact.__table__).where(Contact.id.in_(ids))).mappings()}
        for entity_id in ids:
            for order in (names, reversed_names, ("id", "tax_derived"), ()):
                assert reader.encoder(order)(raw[entity_id]) == changes_codec.derive(order, mapped[entity_id])
        # A value the column's type cannot read fails both ways, not as another text.
        conn.exec_driver_sql("UPDATE contact SET contact_date = 'not a date' WHERE id = ?", (ids[0],))
        bad = reader.raw(conn, ids[:1])[ids[0]]
        with pytest.raises(ValueError):
            reader.encoder(names)(bad)
        with pytest.raises(ValueError):
            conn.execute(sa.select(Contact.__table__).where(Contact.id == ids[0])).one()
        council = changes_codec._Reader(conn, "council")
        row = conn.execute(sa.select(Council.__table__)).mappings().first()
        council_names = tuple(row.keys())
        assert council.encoder(council_names)(council.raw(conn, [row["id"]])[row["id"]]) == \
            changes_codec.derive(council_names, row)
