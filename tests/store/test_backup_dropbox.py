"""Backups carry the drop box (store/backup_dropbox.py): a reporter's sheet dropped but not yet
filed, and the quarantined drops with their reasons, survive a lost PC. Real stores, real files."""

import json
import os
import shutil
import stat
import struct
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from shakyo_desk.domain.errors import StoreError
from shakyo_desk.store import backup, backup_dropbox, dropbox
from shakyo_desk.store.check import check_store
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.models import AuditLog, ConcernSheet
from shakyo_desk.store.services import accounts, drops
from shakyo_desk.store.services.sheets import file_sheet, list_sheets
from shakyo_desk.store.store import unlock

from .conftest import PASSPHRASE
from .test_backup_clear_header import FIXTURES, _clear_part

REPORTER, REPORTER_PASS = "hokoku.taro", "reporter passphrase"
COORD, COORD_PASS = "chousei.hanako", "coord passphrase"
HINT = "北町の角の家"
POSIX = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def council(store_and_key):
    """The admin's session (open), a coordinator and a reporter, and the recovery key."""
    store, recovery = store_and_key
    coord_id = accounts.add_account(store, COORD, "調整 花子", "coordinator", COORD_PASS, kdf=FAST_KDF)
    reporter_id = accounts.add_account(store, REPORTER, "報告 次郎", "reporter", REPORTER_PASS,
                                       section="介護保険事業所", kdf=FAST_KDF)
    drops.publish(store)  # drop_to and the form's catalogue, as the admin's next unlock would
    return store, recovery, coord_id, reporter_id


def _drop(root: Path, hint: str = HINT) -> str:
    reporter = unlock(root, REPORTER, REPORTER_PASS)
    return file_sheet(reporter, household_hint=hint, concerns=[reporter.concern_names()[0]], urgency="早め",
                      situation="新聞がたまっている")


def _quarantine_junk(root: Path) -> str:
    """A drop file nobody can open, quarantined by a coordinator's unlock; its name there."""
    (root / "dropbox" / "junk.sheet").write_bytes(b"not a drop at all")
    unlock(root, COORD, COORD_PASS).close()
    [junk] = dropbox.quarantined(root)
    assert junk.reason == dropbox.NOT_A_DROP
    return junk.name


def _sheet(root: Path, sheet_id: str):
    coordinator = unlock(root, COORD, COORD_PASS)  # opens the drop box
    try:
        with coordinator.read() as s:
            return s.get(ConcernSheet, sheet_id), coordinator.notices
    finally:
        coordinator.close()


def test_a_dropped_sheet_survives_a_lost_store_folder_and_is_filed_after_the_restore(tmp_path, council):
    store, recovery, _coord, reporter_id = council
    root = store.layout.root
    sheet_id = _drop(root)
    target = tmp_path / "b.shakyo-backup"
    made = backup.create_backup(store, target)
    assert (made.drops, made.drops_left_out) == (1, 0)
    store.close()
    shutil.rmtree(root)  # the PC died

    result = backup.restore_backup(target, root, recovery)
    assert (result.drops_restored, result.quarantine_restored) == (1, 0)
    drop = root / "dropbox" / f"{sheet_id}.sheet"
    assert drop.is_file()
    sheet, notices = _sheet(root, sheet_id)
    assert sheet is not None and sheet.noticed_by == reporter_id and sheet.household_hint == HINT
    assert any("1件受け付けました" in n for n in notices)
    assert not drop.exists()
    reporter = unlock(root, REPORTER, REPORTER_PASS)
    assert [(s.id, s.status) for s in list_sheets(reporter)] == [(sheet_id, "受付")]


@POSIX
def test_quarantined_drops_come_back_with_their_reasons_owner_only(tmp_path, council):
    store, recovery, _coord, _rep = council
    root = store.layout.root
    junk = _quarantine_junk(root)
    sheet_id = _drop(root)
    target = tmp_path / "b.shakyo-backup"
    assert backup.create_backup(store, target).drops == 2
    store.close()

    result = backup.restore_backup(target, tmp_path / "new-pc", recovery)
    assert (result.drops_restored, result.quarantine_restored) == (1, 1)
    new = result.root
    assert [(q.name, q.reason) for q in dropbox.quarantined(new)] == [(junk, dropbox.NOT_A_DROP)]
    assert (new / "dropbox" / "quarantine" / junk).read_bytes() == b"not a drop at all"
    for folder in (new / "dropbox", new / "dropbox" / "quarantine"):
        assert _mode(folder) == 0o700
    for path in (new / "dropbox" / f"{sheet_id}.sheet", new / "dropbox" / "quarantine" / junk,
                 new / "dropbox" / "quarantine" / f"{junk}.txt"):
        assert _mode(path) == 0o600, path
    admin = unlock(new, "admin", PASSPHRASE)
    try:
        assert check_store(admin).sound
        with admin.read() as s:
            detail = s.execute(sa.select(AuditLog.detail).where(AuditLog.action == "store.restore")).scalar_one()
        assert detail["dropbox"] == {"sheets": 1, "quarantine": 1}
    finally:
        admin.close()


def test_the_clear_header_names_nobody_of_the_drop_box(tmp_path, council):
    store, _recovery, _coord, _rep = council
    root = store.layout.root
    junk = _quarantine_junk(root)
    sheet_id = _drop(root)
    target = tmp_path / "b.shakyo-backup"
    backup.create_backup(store, target)

    contents = backup.read_contents(target, store.data_key)
    assert [(f.place, f.name) for f in contents.dropbox.files] == [("sheet", f"{sheet_id}.sheet"),
                                                                    ("quarantine", junk)]
    clear, header = _clear_part(target)
    assert set(header) == {"format", "chunk_size", "salt", "key_check", "openers"}
    data = target.read_bytes()
    for what, value in {"reporter": REPORTER, "coordinator": COORD, "sheet id": sheet_id, "junk": junk,
                        "reason": dropbox.NOT_A_DROP, "drop box": "dropbox", "hint": HINT}.items():
        assert value.encode("utf-8") not in clear, what
        assert value.encode("utf-8") not in data, what  # nor anywhere else in the file
    assert "quarantine" not in json.dumps(header) and "sheet" not in json.dumps(header)


def _without_dropbox(path: Path, data_key: bytes) -> None:
    """Rewrite a backup's sealed contents as the code before the drop box wrote them."""
    header = backup.read_header(path)
    data = path.read_bytes()
    at = header.body_at
    (length,) = struct.unpack(">I", data[at:at + 4])
    aead, aad = backup._derive(data_key, header.salt), header.digest + backup._CONTENTS_AAD
    doc = json.loads(aead.decrypt(backup._CONTENTS_NONCE, data[at + 4:at + 4 + length], aad))
    assert doc["dropbox"]["files"]  # what this change adds
    del doc["dropbox"]
    sealed = aead.encrypt(backup._CONTENTS_NONCE, backup._header_bytes(doc), aad)
    path.write_bytes(data[:at] + struct.pack(">I", len(sealed)) + sealed + data[at + 4 + length:])


def test_a_backup_without_the_drop_box_restores_as_before(tmp_path, council):
    store, recovery, _coord, _rep = council
    root = store.layout.root
    sheet_id = _drop(root)
    target = tmp_path / "old.shakyo-backup"
    backup.create_backup(store, target)
    _without_dropbox(target, store.data_key)
    assert backup.read_contents(target, store.data_key).dropbox is None
    store.close()
    shutil.rmtree(root)

    result = backup.restore_backup(target, root, recovery)
    assert (result.drops_restored, result.quarantine_restored) == (0, 0)
    assert not (root / "dropbox").exists()
    sheet, _notices = _sheet(root, sheet_id)
    assert sheet is None  # lost with the PC, as before backups carried the drop box
    admin = unlock(root, "admin", PASSPHRASE)
    assert check_store(admin).sound
    admin.close()

    # a format-1 file carries no drop box either, and restores as before
    fixture = tmp_path / "format-1.shakyo-backup"
    shutil.copyfile(FIXTURES / "format-1.shakyo-backup", fixture)
    assert backup.read_header(fixture).legacy.dropbox is None
    legacy = backup.restore_backup(fixture, tmp_path / "legacy",
                                   (FIXTURES / "format-1.recovery-key").read_text(encoding="ascii").strip())
    assert legacy.drops_restored == 0 and not (tmp_path / "legacy" / "dropbox").exists()


def test_a_sheet_filed_while_the_backup_is_made_is_not_lost(tmp_path, council, monkeypatch):
    """The drop box is read before the snapshot: a sheet filed in between is in one or both."""
    store, recovery, _coord, reporter_id = council
    root = store.layout.root
    coordinator = unlock(root, COORD, COORD_PASS)
    sheet_id = _drop(root)
    real = backup._frozen

    @contextmanager
    def snapshot_then_file(*args):
        with real(*args) as facts:
            assert drops.open_drop_box(coordinator).filed == [sheet_id]  # right after the snapshot
            yield facts

    monkeypatch.setattr(backup, "_frozen", snapshot_then_file)
    target = tmp_path / "b.shakyo-backup"
    assert backup.create_backup(store, target).drops == 1
    coordinator.close()
    store.close()

    restored = backup.restore_backup(target, tmp_path / "new-pc", recovery).root
    sheet, _notices = _sheet(restored, sheet_id)
    assert sheet is not None and sheet.noticed_by == reporter_id


def test_replacing_puts_drops_beside_the_ones_there_and_a_failed_restore_takes_them_away(
        tmp_path, council, monkeypatch):
    store, recovery, _coord, _rep = council
    root = store.layout.root
    first = _drop(root, "東町の家")
    target = tmp_path / "b.shakyo-backup"
    backup.create_backup(store, target)
    store.close()
    _sheet(root, first)  # filed in the live store: its drop file is gone
    second = _drop(root, "西町の家")  # dropped after the backup: stays as it is
    before = sorted(p.name for p in (root / "dropbox").glob("*.sheet"))
    assert before == [f"{second}.sheet"]

    def broken(*args, **kwargs):
        raise StoreError("開けませんでした。")

    monkeypatch.setattr(backup, "open_engine", broken)
    with pytest.raises(StoreError):
        backup.restore_backup(target, root, recovery, replace=True)
    assert sorted(p.name for p in (root / "dropbox").glob("*.sheet")) == before  # nothing left behind
    monkeypatch.undo()

    result = backup.restore_backup(target, root, recovery, replace=True)
    assert result.drops_restored == 1
    assert sorted(p.name for p in (root / "dropbox").glob("*.sheet")) == sorted([f"{first}.sheet", *before])
    for sheet_id in (first, second):
        sheet, _notices = _sheet(root, sheet_id)
        assert sheet is not None, sheet_id


def test_the_drop_box_is_bounded_and_a_backup_says_what_it_left_out(tmp_path, council, monkeypatch):
    store, recovery, _coord, _rep = council
    root = store.layout.root
    sheets = sorted([_drop(root, "一"), _drop(root, "二")])
    big = root / "dropbox" / "quarantine" / "20261201000000-huge.sheet"
    big.parent.mkdir(mode=0o700)
    big.write_bytes(b"x" * (backup_dropbox.MAX_FILE + 1))
    (big.parent / f"{big.name}.txt").write_text("大きすぎるファイル\n", encoding="utf-8")
    monkeypatch.setattr(backup_dropbox, "MAX_FILES", 1)
    target = tmp_path / "b.shakyo-backup"
    made = backup.create_backup(store, target)
    assert (made.drops, made.drops_left_out) == (1, 2)  # one sheet; the other and the huge file stay
    with store.read() as s:
        detail = s.execute(sa.select(AuditLog.detail).where(AuditLog.action == "store.backup")).scalar_one()
    assert detail["dropbox"] == {"files": 1, "left_out": 2}
    assert [f.name for f in backup.read_contents(target, store.data_key).dropbox.files] == [f"{sheets[0]}.sheet"]
    store.close()
    result = backup.restore_backup(target, tmp_path / "new-pc", recovery)
    assert result.drops_restored == 1 and not (result.root / "dropbox" / "quarantine").exists()

    # the contents' room: entries past it are left out, in order
    kept = backup_dropbox.Kept(tuple(backup_dropbox.KeptFile("sheet", f"{n}.sheet", b"x" * 100) for n in range(3)))
    one = kept.files[0].encoded_size()
    assert [f.name for f in kept.within(2 * one).files] == ["0.sheet", "1.sheet"]
    assert kept.within(2 * one).left_out == 1 and kept.within(one - 1).left_out == 3


def test_many_drops_fill_the_contents_up_to_the_bound_older_readers_accept(tmp_path, council):
    store, recovery, _coord, _rep = council
    root = store.layout.root
    drop = (root / "dropbox" / f"{_drop(root)}.sheet").read_bytes()
    for n in range(899):
        (root / "dropbox" / f"{n:08d}-0000-0000-0000-000000000000.sheet").write_bytes(drop)
    target = tmp_path / "b.shakyo-backup"
    made = backup.create_backup(store, target)
    assert made.drops + made.drops_left_out == 900 and made.drops > 200 and made.drops_left_out > 0
    header = backup.read_header(target)
    (length,) = struct.unpack(">I", target.read_bytes()[header.body_at:header.body_at + 4])
    assert length <= backup._MAX_HEADER + backup._TAG
    store.close()
    assert backup.restore_backup(target, tmp_path / "new-pc", recovery).drops_restored == made.drops


@pytest.mark.parametrize("entry", [
    {"place": "sheet", "name": "../keys.json", "data": ""},
    {"place": "sheet", "name": "x.db", "data": ""},
    {"place": "quarantine", "name": "x.sheet.txt", "data": ""},
    {"place": "elsewhere", "name": "x.sheet", "data": ""},
    {"place": "sheet", "name": "x.sheet", "data": "not base64!"},
    {"place": "sheet", "name": "x.sheet", "data": "", "reason": "理由"},
])
def test_a_malformed_drop_box_in_the_contents_is_refused(entry):
    with pytest.raises(ValueError):
        backup_dropbox.from_doc({"files": [entry], "left_out": 0})
    assert backup_dropbox.from_doc({"files": [], "left_out": 0}).files == ()
