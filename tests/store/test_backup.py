"""Backup files and restore (issue 6): real SQLCipher stores, real files, real damage."""

import hashlib
import json
import os
import stat
import struct
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from shakyo_desk.domain.errors import AuthError, InvalidInput, PermissionDenied, StoreError
from shakyo_desk.domain.roles import Role
from shakyo_desk.store import backup, migrate
from shakyo_desk.store.check import check_store
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.models import SYNCED_MODELS, AuditLog, ChangeLog, DeviceState
from shakyo_desk.store.paths import StoreLayout
from shakyo_desk.store.services import contacts, council, districts, households
from shakyo_desk.store.store import create_store, unlock

from . import backup_killing
from .backup_killing import KILLED
from .conftest import PASSPHRASE, login_as

SMALL_CHUNK = 4096  # many chunks from a small store, so cuts and flips land between and inside them


def _fill(store, district) -> list[str]:
    ids = []
    for n, name in enumerate(["山田 花子", "佐藤 一郎", "鈴木 次郎"]):
        household_id = households.add_household(store, district, name, address=f"架空村上町{n + 1}")
        contacts.add_contact(store, household_id=household_id, method="訪問", note=f"{name}さん宅を訪問。元気そう。")
        ids.append(household_id)
    households.update_household(store, ids[0], phone="0265-12-3456")
    return ids


def _synced_rows(store) -> dict[str, list]:
    with store.read() as s:
        return {name: [tuple(r) for r in s.execute(sa.select(model.__table__).order_by(model.__table__.c.id))]
                for name, model in SYNCED_MODELS.items()}


def _device(store):
    with store.read() as s:
        row = s.get(DeviceState, 1)
        return row.device_id, row.epoch, row.next_seq, row.last_backup_at


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def made(tmp_path, store_and_key):
    """A store with records, its recovery key and a backup file of it."""
    store, recovery = store_and_key
    _fill(store, districts.add_district(store, "上町", "かみまち"))
    target = tmp_path / "out" / "backup.shakyo-backup"
    target.parent.mkdir()
    result = backup.create_backup(store, target, chunk_size=SMALL_CHUNK)
    return store, recovery, target, result


# ---- round trip --------------------------------------------------------------------


def test_round_trip_gives_an_identical_sound_store_with_a_new_epoch(tmp_path, made):
    store, recovery, target, result = made
    assert result.path == target and target.is_file() and result.size == target.stat().st_size
    assert not list(target.parent.glob("*.partial"))
    before_rows, before_device = _synced_rows(store), _device(store)
    before_counts = check_store(store).counts

    restored = backup.restore_backup(target, tmp_path / "new-pc", recovery)
    assert restored.old_epoch == before_device[1] and restored.epoch != before_device[1]  # a fresh random epoch

    again = unlock(tmp_path / "new-pc", "admin", PASSPHRASE)  # every account keeps its passphrase
    report = check_store(again)
    assert report.sound, report.problems
    assert _synced_rows(again) == before_rows
    counts = {k: v for k, v in report.counts.items() if k != "audit_entries"}
    assert counts == {k: v for k, v in before_counts.items() if k != "audit_entries"}
    device_id, epoch, next_seq, last_backup = _device(again)
    assert device_id == before_device[0] and epoch == restored.epoch != before_device[1] and next_seq == 1
    assert last_backup == result.created_at  # the file restored from counts as the last backup
    with again.read() as s:
        restore_entry = s.execute(sa.select(AuditLog).where(AuditLog.action == "store.restore")).scalar_one()
        assert restore_entry.detail["epoch"] == epoch and restore_entry.detail["old_epoch"] == before_device[1]

    # What the restored store writes from now on is named by the new epoch, so it can never
    # collide with changes the original installation issued after the backup.
    [row] = households.list_households(again, "山田")
    households.update_household(again, row.id, notes="復元後の記録")
    with again.read() as s:
        newest = s.execute(sa.select(ChangeLog).where(ChangeLog.epoch == epoch)).scalars().all()
    assert [(c.origin_device, c.seq, c.entity_id) for c in newest] == [(device_id, 1, row.id)]
    assert check_store(again).sound
    again.close()


def test_backup_is_recorded_and_holds_nothing_readable(made):
    store, _recovery, target, result = made
    data = target.read_bytes()
    assert b"SQLite format 3" not in data
    for secret in ("山田 花子", "架空村上町1", "0265-12-3456", "元気そう"):
        assert secret.encode("utf-8") not in data
    header = backup.read_header(target)
    assert header.format == backup.FORMAT == 3 and header.legacy is None
    contents = backup.read_contents(target, store.data_key)  # what only the key shows
    assert contents.council_name == "テスト村社会福祉協議会"
    assert contents.schema_revision == migrate.head_revision() and contents.database_size == result.database_size
    assert contents.chunk_count > 10
    assert _device(store)[3] == result.created_at
    with store.read() as s:
        entry = s.execute(sa.select(AuditLog).where(AuditLog.action == "store.backup")).scalar_one()
    assert entry.detail["file"] == target.name and entry.detail["size"] == result.size


def _file_sha(path: Path, size: int) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read(size)).hexdigest()


def test_the_database_file_is_frozen_at_one_committed_moment_while_others_write(tmp_path, made):
    """The backup copies the live (encrypted) file: while it is frozen, another process's
    commits and checkpoints must not change one byte of it, and nobody waits."""
    store, recovery, _target, _result = made
    other = unlock(store.layout.root, "admin", PASSPHRASE)  # its own engine, like the CLI beside the app
    household_id = households.list_households(store)[0].id
    conn = other.engine.raw_connection()
    raw = conn.driver_connection
    try:
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("UPDATE household SET phone = '0000-00-0000'")  # not committed when the freeze starts
        with backup._frozen(store) as facts:
            database = store.layout.database
            before = _file_sha(database, facts["size"])
            raw.execute("ROLLBACK")
            households.update_household(other, household_id, phone="1111-11-1111")  # committed, not held up
            busy, log, done = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            assert log > done  # the new frames are not folded into the file while it is frozen
            assert _file_sha(database, facts["size"]) == before
            snapshot = tmp_path / "snap.db"
            with open(database, "rb") as fh:
                snapshot.write_bytes(fh.read(facts["size"]))
        busy, log, done = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert busy == 0 and log == done  # and folded back once the freeze ends
    finally:
        conn.close()
        other.close()
    import sqlcipher3

    copy = sqlcipher3.connect(str(snapshot))
    copy.execute(f"PRAGMA key = \"x'{store.data_key.hex()}'\"")
    phones = {r[0] for r in copy.execute("SELECT phone FROM household")}
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copy.close()
    assert phones.isdisjoint({"0000-00-0000", "1111-11-1111"}) and "0265-12-3456" in phones
    second = backup.create_backup(store, tmp_path / "second.shakyo-backup")
    backup.restore_backup(second.path, tmp_path / "r", recovery)
    restored = unlock(tmp_path / "r", "admin", PASSPHRASE)
    assert check_store(restored).sound and _synced_rows(restored) == _synced_rows(store)
    restored.close()


def test_writers_committing_between_freeze_and_check_are_held_for_one_check(tmp_path, made, monkeypatch):
    """When every try without the lock misses (a commit between the read and the check), the
    check runs under the write lock and the backup is still one moment."""
    store, recovery, _target, _result = made
    monkeypatch.setattr(backup, "_FREEZE_UNLOCKED", 0)
    result = backup.create_backup(store, tmp_path / "locked.shakyo-backup")
    backup.restore_backup(result.path, tmp_path / "r", recovery)
    restored = unlock(tmp_path / "r", "admin", PASSPHRASE)
    assert check_store(restored).sound and _synced_rows(restored) == _synced_rows(store)
    restored.close()


def test_a_reader_holding_an_old_moment_fails_the_backup_cleanly(tmp_path, made, monkeypatch):
    """A reader that keeps an old snapshot open stops checkpoints: the file is never one moment
    while it lasts, so the backup is refused (nothing written, nothing recorded)."""
    store, _recovery, _target, _result = made
    monkeypatch.setattr(backup, "_FREEZE_ATTEMPTS", 3)
    other = unlock(store.layout.root, "admin", PASSPHRASE)
    conn = other.engine.raw_connection()
    try:
        conn.driver_connection.execute("BEGIN")
        conn.driver_connection.execute("SELECT count(*) FROM household").fetchone()  # an old moment, kept
        households.update_household(store, households.list_households(store)[0].id, phone="2222-22-2222")
        before = _device(store)[3]
        target = tmp_path / "busy.shakyo-backup"
        with pytest.raises(StoreError, match="もう一度お試しください"):
            backup.create_backup(store, target)
        assert not target.exists() and list(tmp_path.glob("*.partial")) == []
        assert _device(store)[3] == before
    finally:
        conn.close()
        other.close()


def test_a_key_rotation_under_way_or_switching_keys_json_meanwhile_fails_the_backup(tmp_path, made, monkeypatch):
    """Pages under one key and a key file of another would make a backup nobody restores:
    refused while keys.json.next exists or when keys.json changes during the copy."""
    store, _recovery, _target, _result = made
    layout = store.layout
    pending = layout.root / "keys.json.next"
    pending.write_bytes(layout.key_file.read_bytes())
    target = tmp_path / "rotating.shakyo-backup"
    with pytest.raises(StoreError, match="鍵を切り替えている最中"):
        backup.create_backup(store, target)
    pending.unlink()
    assert not target.exists() and list(tmp_path.glob("*.partial")) == []

    real = backup._encrypt

    def switched_meanwhile(*args):
        if layout.key_file.read_bytes().endswith(b"}"):
            layout.key_file.write_bytes(layout.key_file.read_bytes() + b"\n")  # as a switch would, mid-copy
        return real(*args)

    monkeypatch.setattr(backup, "_encrypt", switched_meanwhile)
    before = _device(store)[3]
    with pytest.raises(StoreError, match="鍵を切り替えている最中"):
        backup.create_backup(store, target)
    assert not target.exists() and list(tmp_path.glob("*.partial")) == [] and _device(store)[3] == before


# ---- damaged, foreign and wrong ------------------------------------------------------


def _header_end(path: Path) -> int:
    (length,) = struct.unpack(">I", path.read_bytes()[8:12])
    return 12 + length + 32


def _cut_offsets(path: Path) -> list[int]:
    size, end = path.stat().st_size, _header_end(path)
    chunk = SMALL_CHUNK + 16
    return sorted({0, 5, 10, 40, end - 1, end, end + 1, end + chunk, end + 3 * chunk + 100, size - chunk,
                   size - 17, size - 1})


def test_truncated_at_any_offset_is_refused_and_nothing_is_written(tmp_path, made):
    _store, recovery, target, _result = made
    data = target.read_bytes()
    for offset in _cut_offsets(target):
        cut = tmp_path / f"cut-{offset}.shakyo-backup"
        cut.write_bytes(data[:offset])
        root = tmp_path / f"restore-{offset}"
        with pytest.raises(StoreError) as raised:
            backup.restore_backup(cut, root, recovery)
        assert ("途中で切れている" in raised.value.message or "バックアップファイルではありません" in raised.value.message), offset
        assert not root.exists(), offset


def test_one_flipped_byte_anywhere_is_refused(tmp_path, made):
    _store, recovery, target, _result = made
    data = target.read_bytes()
    end = _header_end(target)
    for offset in (20, end - 5, end + 3, end + SMALL_CHUNK + 20, len(data) // 2, len(data) - 1):
        bad = bytearray(data)
        bad[offset] ^= 0x01
        path = tmp_path / f"flip-{offset}.shakyo-backup"
        path.write_bytes(bytes(bad))
        empty = tmp_path / f"empty-{offset}"
        empty.mkdir()
        with pytest.raises(StoreError, match="書き換えられています"):
            backup.restore_backup(path, empty, recovery)
        assert list(empty.iterdir()) == [], offset
    extra = tmp_path / "extra.shakyo-backup"
    extra.write_bytes(data + b"\x00")
    with pytest.raises(StoreError, match="書き換えられています"):
        backup.restore_backup(extra, tmp_path / "extra-root", recovery)


def test_chunks_swapped_dropped_or_repeated_are_refused(tmp_path, made):
    """Format 3 carries no whole-file hash: the chunk tags alone (number, last-chunk flag, the
    header's hash) must refuse every reordering, a missing chunk and an extra copy of one."""
    _store, recovery, target, _result = made
    data = target.read_bytes()
    contents_at = _header_end(target)
    (length,) = struct.unpack(">I", data[contents_at:contents_at + 4])
    start = contents_at + 4 + length
    step = SMALL_CHUNK + 16
    chunks = [data[i:i + step] for i in range(start, len(data), step)]
    assert len(chunks) > 10
    variants = {
        "swapped": chunks[:2] + [chunks[3], chunks[2]] + chunks[4:],
        "dropped": chunks[:5] + chunks[6:],
        "dropped last": chunks[:-1],
        "repeated": chunks[:4] + [chunks[3]] + chunks[4:],
        "last twice": chunks + [chunks[-1]],
    }
    for name, body in variants.items():
        path = tmp_path / f"{name}.shakyo-backup"
        path.write_bytes(data[:start] + b"".join(body))
        with pytest.raises(StoreError, match="書き換えられています"):
            backup.restore_backup(path, tmp_path / f"root-{name}", recovery)
        assert not (tmp_path / f"root-{name}").exists(), name


def _rewrite_header(source: Path, dest: Path, **changes) -> None:
    data = source.read_bytes()
    (length,) = struct.unpack(">I", data[8:12])
    doc = json.loads(data[12:12 + length])
    doc.update(changes)
    header = json.dumps(doc, ensure_ascii=False).encode("utf-8")
    dest.write_bytes(data[:8] + struct.pack(">I", len(header)) + header + hashlib.sha256(header).digest()
                     + data[12 + length + 32:])


def _reseal_contents(source: Path, dest: Path, data_key: bytes, **changes) -> None:
    """Change the sealed contents as only a holder of the data key could (a forger with the key)."""
    data = source.read_bytes()
    header = backup.read_header(source)
    start = header.body_at
    (length,) = struct.unpack(">I", data[start:start + 4])
    aead = backup._derive(data_key, header.salt)
    aad = header.digest + backup._CONTENTS_AAD
    doc = json.loads(aead.decrypt(backup._CONTENTS_NONCE, data[start + 4:start + 4 + length], aad))
    doc.update(changes)
    sealed = aead.encrypt(backup._CONTENTS_NONCE, json.dumps(doc).encode("utf-8"), aad)
    dest.write_bytes(data[:start] + struct.pack(">I", len(sealed)) + sealed + data[start + 4 + length:])


def test_edited_header_with_a_fresh_checksum_fails_authentication(tmp_path, made):
    _store, recovery, target, _result = made
    for n, change in enumerate(({"council_name": "別の村社会福祉協議会"}, {"chunk_size": SMALL_CHUNK * 2})):
        forged = tmp_path / f"forged-{n}.shakyo-backup"
        _rewrite_header(target, forged, **change)
        backup.read_header(forged)  # readable, but…
        with pytest.raises(StoreError, match="書き換えられています"):
            backup.restore_backup(forged, tmp_path / "r", recovery)
        assert not (tmp_path / "r").exists()


def test_newer_format_or_schema_is_refused(tmp_path, made):
    store, recovery, target, _result = made
    newer = tmp_path / "newer.shakyo-backup"
    _rewrite_header(target, newer, format=backup.FORMAT + 1)
    with pytest.raises(StoreError, match="新しいバージョン"):
        backup.restore_backup(newer, tmp_path / "r1", recovery)
    schema = tmp_path / "schema.shakyo-backup"
    _reseal_contents(target, schema, store.data_key, schema_revision="9999")
    with pytest.raises(StoreError, match="新しいバージョン"):
        backup.restore_backup(schema, tmp_path / "r2", recovery)
    assert not (tmp_path / "r1").exists() and not (tmp_path / "r2").exists()


def test_not_a_backup_file(tmp_path, made):
    _store, recovery, _target, _result = made
    other = tmp_path / "photo.jpg"
    other.write_bytes(b"\xff\xd8\xff\xe0" + b"x" * 100)
    with pytest.raises(StoreError, match="バックアップファイルではありません"):
        backup.restore_backup(other, tmp_path / "r", recovery)
    with pytest.raises(StoreError, match="見つかりません"):
        backup.restore_backup(tmp_path / "missing.shakyo-backup", tmp_path / "r", recovery)


def test_wrong_recovery_key_is_refused_before_anything_is_written(tmp_path, made):
    _store, recovery, target, _result = made
    _other, other_key = create_store(tmp_path / "other", "別の村社会福祉協議会", "admin", PASSPHRASE, kdf=FAST_KDF)
    _other.close()
    assert other_key != recovery
    for key in (str(other_key), "00000-00000-00000-00000-00000-00000"):
        with pytest.raises(AuthError, match="復旧キーが違います"):
            backup.restore_backup(target, tmp_path / "r", key)
    with pytest.raises(AuthError, match="形式"):
        backup.restore_backup(target, tmp_path / "r", "ABC")
    assert not (tmp_path / "r").exists()


def test_restoring_never_touches_a_store_of_another_council(tmp_path, made):
    _store, recovery, target, _result = made
    other, _ = create_store(tmp_path / "other", "別の村社会福祉協議会", "admin", PASSPHRASE, kdf=FAST_KDF)
    other.close()
    files = {p.name: _sha(p) for p in (tmp_path / "other").iterdir() if p.is_file()}
    for replace in (False, True):
        with pytest.raises(StoreError, match="別の社協のデータ"):
            backup.restore_backup(target, tmp_path / "other", recovery, replace=replace)
    assert {p.name: _sha(p) for p in (tmp_path / "other").iterdir() if p.is_file()} == files
    assert not (tmp_path / "other" / "backups").exists()


def test_a_folder_with_other_files_is_refused(tmp_path, made):
    _store, recovery, target, _result = made
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "memo.txt").write_text("大事なメモ", encoding="utf-8")
    with pytest.raises(StoreError, match="空ではありません"):
        backup.restore_backup(target, folder, recovery)
    assert [p.name for p in folder.iterdir()] == ["memo.txt"]


def test_same_council_needs_replace_and_keeps_the_old_store_aside(tmp_path, made):
    store, recovery, target, _result = made
    [district] = [d.id for d in districts.list_districts(store)]
    root = store.layout.root
    households.add_household(store, district, "高橋 三郎")  # after the backup: in the old store only
    store.close()
    old = {name: _sha(root / name) for name in ("shakyo.db", "keys.json")}
    with pytest.raises(StoreError, match="--replace"):
        backup.restore_backup(target, root, recovery)
    assert {name: _sha(root / name) for name in old} == old

    result = backup.restore_backup(target, root, recovery, replace=True)
    assert result.kept_aside is not None and result.kept_aside.parent == root / "backups"
    assert {name: _sha(result.kept_aside / name) for name in old} == old  # kept, never deleted
    again = unlock(root, "admin", PASSPHRASE)
    assert [r.head_name for r in households.list_households(again, "高橋")] == []
    assert len(households.list_households(again)) == 3 and check_store(again).sound
    again.close()


def test_a_chunk_changed_near_the_end_leaves_the_store_it_would_replace_untouched(tmp_path, made):
    """The restore checks each chunk as it writes it: a bad chunk found after most of the
    database was written removes what was written; the old store stays as it was."""
    store, recovery, target, _result = made
    root = store.layout.root
    store.close()
    data = bytearray(target.read_bytes())
    data[-SMALL_CHUNK // 2] ^= 0x01  # inside the last full chunk but one
    bad = tmp_path / "bad.shakyo-backup"
    bad.write_bytes(bytes(data))
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    old = {name: _sha(root / name) for name in ("shakyo.db", "keys.json")}
    with pytest.raises(StoreError, match="書き換えられています"):
        backup.restore_backup(bad, root, recovery, replace=True)
    assert {name: _sha(root / name) for name in old} == old
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before  # no partial, nothing aside
    again = unlock(root, "admin", PASSPHRASE)
    assert check_store(again).sound
    again.close()


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_backup_and_restored_store_are_readable_by_their_owner_only(tmp_path, made):
    store, recovery, target, _result = made
    assert _mode(target) == 0o600
    root = store.layout.root
    store.close()

    fresh = backup.restore_backup(target, tmp_path / "new-pc" / "store", recovery)
    layout = StoreLayout(fresh.root)
    assert [_mode(p) for p in (tmp_path / "new-pc", layout.root)] == [0o700, 0o700]
    assert [_mode(p) for p in (layout.database, layout.key_file)] == [0o600, 0o600]

    replaced = backup.restore_backup(target, root, recovery, replace=True)
    assert [_mode(p) for p in (root / "backups", replaced.kept_aside)] == [0o700, 0o700]


def test_restore_can_set_a_new_passphrase_for_an_account(tmp_path, made):
    _store, recovery, target, _result = made
    with pytest.raises(InvalidInput):
        backup.restore_backup(target, tmp_path / "r", recovery, login="admin", new_passphrase="short")
    assert not (tmp_path / "r").exists()
    result = backup.restore_backup(target, tmp_path / "r", recovery, login="admin",
                                   new_passphrase="a new passphrase", kdf=FAST_KDF)
    assert result.login == "admin"
    with pytest.raises(AuthError):
        unlock(tmp_path / "r", "admin", PASSPHRASE, clock=lambda: 1_000.0)
    unlock(tmp_path / "r", "admin", "a new passphrase", clock=lambda: 1_060.0).close()  # past the wait


def test_unknown_login_at_restore_leaves_nothing(tmp_path, made):
    _store, recovery, target, _result = made
    with pytest.raises(AuthError):
        backup.restore_backup(target, tmp_path / "r", recovery, login="nobody", new_passphrase="a new passphrase")
    assert not (tmp_path / "r").exists()


# ---- writing: refusals and faults --------------------------------------------------------


def test_unwritable_target_folder_is_refused_and_nothing_recorded(tmp_path, store):
    if os.name == "nt" or not Path("/proc").is_dir():
        pytest.skip("needs a folder nobody may write to")
    with pytest.raises(StoreError, match="書き込めませんでした"):
        backup.create_backup(store, Path("/proc") / "backup.shakyo-backup")
    with pytest.raises(StoreError, match="見つかりません"):
        backup.create_backup(store, tmp_path / "no-such-folder" / "backup.shakyo-backup")
    assert _device(store)[3] is None and backup.backup_status(store).due
    assert not list(store.layout.staging.glob("*"))  # the snapshot is not left behind


def test_a_failed_write_leaves_no_backup_and_a_partial_is_never_one(tmp_path, store, monkeypatch):
    target = tmp_path / "b.shakyo-backup"
    real_fsync = os.fsync

    def failing_fsync(fd):
        if os.fstat(fd).st_size > 100_000:  # the backup file, not the database's own writes
            raise OSError(28, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(backup.os, "fsync", failing_fsync)
    with pytest.raises(StoreError, match="書き込めませんでした"):
        backup.create_backup(store, target)
    monkeypatch.undo()
    assert not target.exists() and not list(tmp_path.glob("*.partial"))
    assert _device(store)[3] is None and backup.backup_status(store).due

    # A complete file that was left under its .partial name is still not a backup.
    done = backup.create_backup(store, target)
    partial = tmp_path / "c.shakyo-backup.partial"
    partial.write_bytes(done.path.read_bytes())
    with pytest.raises(StoreError, match="書きかけ"):
        backup.read_header(partial)
    with pytest.raises(InvalidInput, match=".partial"):
        backup.create_backup(store, partial)


def test_a_disk_that_fills_during_a_restore_leaves_nothing_and_the_old_store(tmp_path, made, monkeypatch):
    store, recovery, target, _result = made
    root = store.layout.root
    store.close()
    from shakyo_desk.domain import safe_file

    real_write = safe_file.StagedFile.write
    written = []

    def filling_write(self, data):
        written.append(len(data))
        if len(written) > 5:  # halfway through the database
            raise OSError(28, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(safe_file.StagedFile, "write", filling_write)
    with pytest.raises(StoreError, match="書き込めませんでした"):
        backup.restore_backup(target, tmp_path / "new-pc", recovery)
    assert not (tmp_path / "new-pc").exists()
    written.clear()
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    old = {name: _sha(root / name) for name in ("shakyo.db", "keys.json")}
    with pytest.raises(StoreError, match="書き込めませんでした"):
        backup.restore_backup(target, root, recovery, replace=True)
    assert {name: _sha(root / name) for name in old} == old
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    monkeypatch.undo()
    again = unlock(root, "admin", PASSPHRASE)
    assert check_store(again).sound
    again.close()


def test_a_backup_killed_while_it_copies_leaves_a_partial_only_and_the_store_sound(tmp_path, made):
    store, recovery, _target, _result = made
    last = _device(store)[3]
    root = store.layout.root
    store.close()
    target = tmp_path / "killed.shakyo-backup"
    assert backup_killing.run_backup_killed(root, "admin", PASSPHRASE, target) == KILLED
    partial = tmp_path / "killed.shakyo-backup.partial"
    assert not target.exists() and partial.exists()
    with pytest.raises(StoreError, match="書きかけ"):
        backup.read_header(partial)
    again = unlock(root, "admin", PASSPHRASE)
    try:
        assert check_store(again).sound and _device(again)[3] == last  # nothing recorded
        households.update_household(again, households.list_households(again)[0].id, phone="3333-33-3333")
        done = backup.create_backup(again, target)  # the stale .partial is replaced
        assert not partial.exists()
        expected = _synced_rows(again)
    finally:
        again.close()
    backup.restore_backup(done.path, tmp_path / "r", recovery)
    restored = unlock(tmp_path / "r", "admin", PASSPHRASE)
    assert check_store(restored).sound and _synced_rows(restored) == expected
    restored.close()


@pytest.mark.parametrize("replace", [False, True], ids=["new-folder", "replace"])
@pytest.mark.parametrize("point", backup_killing.POINTS)
def test_a_restore_killed_at_any_step_is_finished_by_restoring_again(tmp_path, made, point, replace):
    """Killed anywhere, a restore leaves either nothing usable in the way or this council's
    files, which a second restore (``--replace``) puts aside; the original store is never lost."""
    store, recovery, target, _result = made
    expected = _synced_rows(store)
    root = store.layout.root if replace else tmp_path / "new-pc"
    store.close()  # (folds the WAL back: the files as they stay)
    original = {name: _sha(store.layout.root / name) for name in ("shakyo.db", "keys.json")}
    assert backup_killing.run_killed(target, root, recovery, point, replace) == (0 if point == "done" else KILLED)

    # A second restore that fails (a damaged file) takes away only what it wrote itself.
    data = bytearray(target.read_bytes())
    data[-100] ^= 0x01
    damaged = tmp_path / "damaged.shakyo-backup"
    damaged.write_bytes(bytes(data))
    before = sorted(p.relative_to(root) for p in root.rglob("*") if not p.name.endswith(".partial"))
    with pytest.raises(StoreError, match="書き換えられています"):
        backup.restore_backup(damaged, root, recovery, replace=True)
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before  # (a stale .partial is gone)

    backup.restore_backup(target, root, recovery, replace=True)
    again = unlock(root, "admin", PASSPHRASE)
    try:
        assert check_store(again).sound and _synced_rows(again) == expected
    finally:
        again.close()
    if replace:  # the store there before is kept whole in backups/
        kept = [folder for folder in (root / "backups").iterdir() if (folder / "shakyo.db").exists()]
        assert any({name: _sha(folder / name) for name in original} == original for folder in kept), point


def test_only_admins_make_backups(tmp_path, store):
    staff = login_as(store, "tanaka", Role.COORDINATOR)
    with pytest.raises(PermissionDenied):
        backup.create_backup(staff, tmp_path / "b.shakyo-backup")
    assert not (tmp_path / "b.shakyo-backup").exists()
    staff.close()


# ---- the reminder --------------------------------------------------------------------


def test_reminder_is_due_without_a_backup_and_after_the_setting(tmp_path, store):
    status = backup.backup_status(store)
    assert status.due and status.last_backup_at is None and status.reminder_days == 7
    result = backup.create_backup(store, tmp_path / "b.shakyo-backup")
    assert not backup.backup_status(store).due
    later = result.created_at + timedelta(days=8)
    assert backup.backup_status(store, now=later).due
    council.update_settings(store, backup_reminder_days=30)
    assert not backup.backup_status(store, now=later).due
    with pytest.raises(InvalidInput, match="1〜365"):
        council.update_settings(store, backup_reminder_days=0)


def test_default_file_name_is_council_and_wareki(tmp_path):
    from datetime import date

    assert backup.default_file_name("架空村社会福祉協議会", date(2026, 12, 5)) == \
        "架空村社会福祉協議会_バックアップ_令和8年12月5日.shakyo-backup"
    assert backup.default_file_name('a/b:c', date(2026, 12, 5)).startswith("abc_")
