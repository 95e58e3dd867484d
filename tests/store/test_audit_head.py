"""An audit log whose head cannot be cut (issue 16 item 3): keyed entries, ids never reused,
the head witnessed at every backup and export, and `verify` naming what is missing or
rewritten. Every attack edits the real SQLCipher file behind the application's back."""

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlcipher3

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.roles import Role
from shakyo_desk.store import audit, audit_witness, backup, migrate
from shakyo_desk.store.check import check_store
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.models import AuditLog, AuditState, AuditWitness
from shakyo_desk.store.services import accounts, audit_log, households
from shakyo_desk.store.store import unlock

from .conftest import PASSPHRASE

FIXTURES = Path(__file__).parents[1] / "fixtures" / "stores"


@pytest.fixture
def busy(store, district):
    """A store with a few dozen audit entries."""
    for n in range(12):
        households.add_household(store, district, f"架空 {n}子", address=f"架空村上町{n}")
    return store


def _raw(root: Path, key: bytes) -> sqlcipher3.Connection:
    conn = sqlcipher3.connect(str(root / "shakyo.db"))
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    return conn


def _tamper(store, edit, passphrase: str = PASSPHRASE) -> object:
    """Close the store, let ``edit(conn, key)`` change the file, open it again."""
    root, key = store.layout.root, store.data_key
    store.close()
    conn = _raw(root, key)
    try:
        edit(conn, key)
        conn.commit()
    finally:
        conn.close()
    return unlock(root, "admin", passphrase)


def _reopen(tmp_path: Path):
    return unlock(tmp_path / "store", "admin", PASSPHRASE)  # (the store fixture's folder)


def _last_id(store) -> int:
    with store.read() as s:
        return s.execute(sa.select(sa.func.max(AuditLog.id))).scalar()


class _Row:
    def __init__(self, names, values):
        self.__dict__.update(zip(names, values, strict=True))


def _rows(conn, first: int):
    """The entries as hashed, read from the file as an attacker would (audit log v2: a change's
    entry takes action, entity, id and staff from its change; times in µs, hashes as bytes)."""
    cur = conn.execute(
        "SELECT a.id, a.at, coalesce(a.staff_id, c.staff_id) AS staff_id, a.login, n.name AS device_id, "
        "coalesce(a.action, c.entity || '.' || c.op) AS action, coalesce(a.entity, c.entity) AS entity, "
        "coalesce(a.entity_id, c.entity_id) AS entity_id, coalesce(a.detail, '{}') AS detail, a.hash "
        "FROM audit_log AS a JOIN audit_name AS n ON n.id = a.device_id "
        "LEFT JOIN change_log AS c ON a.seq IS NOT NULL AND c.origin_device = n.name "
        "AND c.epoch = a.epoch AND c.seq = a.seq WHERE a.id >= ? ORDER BY a.id", (first,))
    names = [d[0] for d in cur.description]
    import json

    from shakyo_desk.store.models import MicroTime

    out = []
    for values in cur.fetchall():
        row = _Row(names, values)
        row.detail = json.loads(row.detail)
        row.at = MicroTime().process_result_value(row.at, None)
        out.append(row)
    return out


def _hash_at(conn, sql: str, args=()) -> str:
    row = conn.execute(sql, args).fetchone()
    return row[0].hex() if row else audit.GENESIS


def _recompute(conn, first: int, key: bytes | None) -> None:
    """Rewrite the chain from ``first`` on as an attacker would: with the audit key when
    ``key`` is given (keyed, the same key id), else plain SHA-256 entries (key_id NULL)."""
    prev = _hash_at(conn, "SELECT hash FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT 1", (first,))
    for r in _rows(conn, first):
        if key is None:
            digest = audit.entry_hash(prev, r.at, r.staff_id, r.login, r.device_id, r.action, r.entity, r.entity_id,
                                      r.detail)
            conn.execute("UPDATE audit_log SET prev_hash = ?, hash = ?, key_id = NULL WHERE id = ?",
                         (bytes.fromhex(prev), bytes.fromhex(digest), r.id))
        else:
            ak = audit.derive_key(key)
            digest = audit.keyed_hash(ak.key, r.id, prev, r.at, r.staff_id, r.login, r.device_id, r.action,
                                      r.entity, r.entity_id, r.detail)
            conn.execute("UPDATE audit_log SET prev_hash = ?, hash = ?, key_id = ? WHERE id = ?",
                         (bytes.fromhex(prev), bytes.fromhex(digest), ak.key_id, r.id))
        prev = digest


# ---- the chain itself ---------------------------------------------------------------------------

def test_entries_are_keyed_with_ids_never_reused(busy):
    store = busy
    report = audit_log.verify(store)
    assert report.sound and report.entries == _last_id(store) and report.head.entry_id == report.entries
    with store.read() as s:
        keys = {e.key_id for e in audit.read(s.connection())}
        assert keys == {audit.derive_key(store.data_key).key_id}
        assert s.execute(sa.select(AuditState.keyed_from)).scalar() == 1  # a store made since 0012
    last = _last_id(store)
    # cut the last five, then go on working: the new entries continue after the cut, not in it
    store = _tamper(store, lambda conn, key: conn.execute("DELETE FROM audit_log WHERE id > ?", (last - 5,)))
    try:
        households.add_household(store, households.list_households(store)[0].district_id, "架空 新子")
        with store.read() as s:
            ids = list(s.execute(sa.select(AuditLog.id).order_by(AuditLog.id)).scalars())
        assert ids[last - 5] > last  # the gap stays
        report = audit_log.verify(store)
        assert not report.sound
        assert f"第{last - 4}〜{last}件の記録が消されています。" in report.sentences
    finally:
        store.close()


def test_a_changed_entry_is_named(busy):
    store = _tamper(busy, lambda conn, key: conn.execute(
        "UPDATE audit_log SET detail = '{\"fields\": [\"phone\"]}' WHERE id = 7"))
    try:
        report = audit_log.verify(store)
        assert report.broken_at == 7 and report.sentences == ["第7件の記録が書き換えられています。"]
        assert any("第7件の記録が書き換えられています" in p for p in check_store(store).problems)
    finally:
        store.close()


def test_rewriting_and_recomputing_without_the_key_is_detected(busy):
    """An attacker without the audit key recomputes the chain with plain SHA-256 from the
    changed entry on: entries after 0012 must be keyed."""
    last = _last_id(busy)

    def rewrite(conn, key):
        conn.execute("UPDATE audit_log SET login = 'someone' WHERE id = 10")
        _recompute(conn, 10, None)

    store = _tamper(busy, rewrite)
    try:
        report = audit_log.verify(store)
        assert report.sentences == [f"第10〜{last}件の記録が書き換えられています。"]
    finally:
        store.close()


def test_rewriting_with_the_key_is_caught_by_the_witness_of_a_backup(busy, tmp_path):
    """Whoever holds the data key can recompute the keyed chain; the head written into a
    backup (and recorded at that moment) still tells. Without any witness it could not."""
    store = busy
    made = backup.create_backup(store, tmp_path / "b.shakyo-backup")
    head = backup.read_contents(made.path, store.data_key).audit_head
    households.add_household(store, households.list_households(store)[0].district_id, "架空 後子")

    def rewrite(conn, key):
        conn.execute("UPDATE audit_log SET login = 'someone' WHERE id = 10")
        _recompute(conn, 10, key)

    store = _tamper(store, rewrite)
    try:
        report = audit_log.verify(store)
        assert report.entries > head["id"]
        assert not report.sound and report.chain_broken_at is None  # the chain itself holds together
        [sentence] = report.sentences
        assert sentence.startswith(f"第1〜{head['id']}件のどこかの記録が書き換えられています（")
        assert "バックアップの控えと合いません" in sentence
    finally:
        store.close()

    # Removing the local witnesses too: the backup file itself still tells.
    def forget(conn, key):
        conn.execute("DELETE FROM audit_witness")

    store = _tamper(_reopen(tmp_path), forget)
    try:
        assert audit_log.verify(store).sound  # nothing left in the store to compare with
        report = audit_log.verify(store, backups=[made.path])
        assert not report.sound and report.witnesses == 1
        assert f"バックアップファイル「{made.path.name}」の控えと合いません" in report.sentences[0]
    finally:
        store.close()


def test_cutting_the_tail_is_caught_by_the_backup_witness_and_file(busy, tmp_path):
    """The tail cut and the id counter set back, so that new entries take the cut ids: the
    chain holds together, the witnesses do not."""
    store = busy
    made = backup.create_backup(store, tmp_path / "b.shakyo-backup")
    head = backup.read_contents(made.path, store.data_key).audit_head
    cut_from = head["id"] - 4

    def cut(conn, key):
        conn.execute("DELETE FROM audit_log WHERE id >= ?", (cut_from,))
        conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'audit_log'", (cut_from - 1,))

    store = _tamper(store, cut)  # (its unlock entry takes the id cut_from)
    try:
        report = audit_log.verify(store)
        last = _last_id(store)
        assert not report.sound and report.chain_broken_at is None and last < head["id"]
        assert report.sentences == [f"第{last + 1}〜{head['id']}件の記録が消されています"
                                    f"（{audit_witness.label('backup', made.created_at)}では第{head['id']}件まであります）。"]
    finally:
        store.close()
    store = _tamper(_reopen(tmp_path), lambda conn, key: conn.execute("DELETE FROM audit_witness"))
    try:
        assert audit_log.verify(store).sound  # nothing left in the store to compare with
        report = audit_log.verify(store, backups=[made.path])
        last = _last_id(store)
        assert report.sentences == [f"第{last + 1}〜{head['id']}件の記録が消されています"
                                    f"（バックアップファイル「{made.path.name}」の控えでは第{head['id']}件まであります）。"]
    finally:
        store.close()


def test_verify_against_a_foreign_backup_says_why(busy, tmp_path):
    from shakyo_desk.store.store import create_store

    other, _ = create_store(tmp_path / "other", "別の村社会福祉協議会", "admin", PASSPHRASE, kdf=FAST_KDF)
    foreign = backup.create_backup(other, tmp_path / "other.shakyo-backup")
    other.close()
    with pytest.raises(InvalidInput, match="鍵では開けません"):
        audit_log.verify(busy, backups=[foreign.path])


# ---- data key rotation --------------------------------------------------------------------------

def test_entries_keyed_before_a_key_rotation_stay_verified(busy):
    store = busy
    staff = accounts.add_account(store, "tanaka", "田中 一郎", Role.STAFF, "tanaka passphrase", kdf=FAST_KDF)
    before_key = audit.derive_key(store.data_key).key_id
    last_before = _last_id(store)
    disabled = accounts.disable_account(store, staff)
    assert disabled.rotation is not None  # the data key changed
    assert audit.derive_key(store.data_key).key_id != before_key
    report = audit_log.verify(store)
    assert report.sound, report.sentences
    with store.read() as s:
        used = {e.key_id for e in audit.read(s.connection(), "id <= ?", (last_before,))}
    assert used == {before_key}
    # …and really checked with the old key: a change before the rotation is found
    store = _tamper(store, lambda conn, key: conn.execute("UPDATE audit_log SET login = 'x' WHERE id = 3"))
    try:
        assert audit_log.verify(store).sentences == ["第3件の記録が書き換えられています。"]
    finally:
        store.close()


# ---- the upgrade --------------------------------------------------------------------------------

def test_a_store_from_before_keeps_its_plain_entries_and_keys_what_follows(tmp_path):
    root = tmp_path / "schema-0011"
    shutil.copytree(FIXTURES / "schema-0011", root)
    store = unlock(root, "admin", "fixture passphrase")
    try:
        assert migrate.current_revision(store.engine) == migrate.head_revision()
        with store.read() as s:
            keyed_from = s.execute(sa.select(AuditState.keyed_from)).scalar()
            rows = audit.read(s.connection())
            seq = s.connection().exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").scalar()
        assert keyed_from > 10 and seq == rows[-1].id
        assert all(r.key_id is None for r in rows if r.id < keyed_from)
        assert all(r.key_id is not None for r in rows if r.id >= keyed_from)  # the unlock's own entry on
        assert audit_log.verify(store).sound
        assert check_store(store).sound
    finally:
        store.close()

    # The plain entries are recomputed after a change: the first keyed entry no longer links.
    def rewrite(conn, key):
        conn.execute("UPDATE audit_log SET login = 'someone' WHERE id = 2")
        last_plain = conn.execute("SELECT keyed_from FROM audit_state").fetchone()[0] - 1
        prev = _hash_at(conn, "SELECT hash FROM audit_log WHERE id = 1")
        for r in _rows(conn, 2):
            if r.id > last_plain:
                break
            digest = audit.entry_hash(prev, r.at, r.staff_id, r.login, r.device_id, r.action, r.entity, r.entity_id,
                                      r.detail)
            conn.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?",
                         (bytes.fromhex(prev), bytes.fromhex(digest), r.id))
            prev = digest

    store = unlock(root, "admin", "fixture passphrase")
    store = _tamper(store, rewrite, "fixture passphrase")
    try:
        report = audit_log.verify(store)
        assert not report.sound and report.chain_broken_at is not None
        keyed_from = audit_witness.keyed_from
        with store.read() as s:
            first_keyed = keyed_from(s.connection())
        assert report.sentences == [f"第{first_keyed - 1}〜{first_keyed}件の記録が書き換えられています。"]
    finally:
        store.close()


def test_the_head_is_recorded_at_each_backup(busy, tmp_path):
    store = busy
    made = backup.create_backup(store, tmp_path / "b.shakyo-backup")
    head = backup.read_contents(made.path, store.data_key).audit_head
    with store.read() as s:
        [row] = s.execute(sa.select(AuditWitness)).scalars().all()
    assert (row.source, row.entry_id, row.hash) == ("backup", head["id"], head["hash"])
    shown = audit_log.head(store)
    assert shown.entry_id == _last_id(store) > head["id"]  # the backup's own entry came after
    assert shown.witnessed == 1
