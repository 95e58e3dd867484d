"""Backups say nothing in clear (issue 16 item 6): the clear header holds only what opening the
file needs; the council, logins, store and device ids and the database's hash are sealed inside.
Backups of the previous format (council and key file in clear) still restore."""

import base64
import json
import os
import shutil
import struct
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shakyo_desk.domain.errors import AuthError, StoreError
from shakyo_desk.domain.roles import Role
from shakyo_desk.store import backup, keyfile
from shakyo_desk.store.check import check_store
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.models import DeviceState
from shakyo_desk.store.services import accounts, audit_log, districts, households
from shakyo_desk.store.store import unlock

from .conftest import PASSPHRASE

FIXTURES = Path(__file__).parents[1] / "fixtures" / "backups"
LOGINS = ("tanaka.k", "suzuki-m", "watanabe_h", "kobayashi2")
COUNCIL = "テスト村社会福祉協議会"


def _clear_part(path: Path) -> tuple[bytes, dict]:
    """Every byte before the sealed contents (magic, length, header, its hash) and the header."""
    data = path.read_bytes()
    (length,) = struct.unpack(">I", data[8:12])
    return data[:12 + length + 32], json.loads(data[12:12 + length])


@pytest.fixture
def council(store, tmp_path):
    """A store with several accounts and a household, and a backup file of it."""
    district = districts.add_district(store, "上町", "かみまち")
    households.add_household(store, district, "山田 花子", address="架空村上町1")
    for login, role in zip(LOGINS, (Role.COORDINATOR, Role.STAFF, Role.STAFF, Role.ADMIN), strict=True):
        accounts.add_account(store, login, f"{login} 氏名", role, f"{login} passphrase", district_ids=[district],
                             kdf=FAST_KDF)
    target = tmp_path / "b.shakyo-backup"
    backup.create_backup(store, target)
    return store, target


def test_the_clear_part_names_no_council_login_store_device_or_hash(council):
    store, target = council
    clear, header = _clear_part(target)
    assert set(header) == {"format", "chunk_size", "salt", "key_check", "openers"}
    assert header["format"] == backup.FORMAT == 3
    # one opener per account and the recovery key, none with a login or a public key
    assert len(header["openers"]) == len(LOGINS) + 2
    assert all(set(o) <= {"hint", "kdf", "nonce", "wrapped", "private", "sealed"} for o in header["openers"])

    contents = backup.read_contents(target, store.data_key)
    with store.read() as s:
        device_id = s.execute(sa.select(DeviceState.device_id)).scalar_one()
    secrets = {
        "council name": COUNCIL, "council id": contents.council_id, "store id": store.keyfile.store_id,
        "device id": device_id,
        **{f"login {login}": login for login in ("admin", *LOGINS)},
        **{f"name {login}": f"{login} 氏名" for login in LOGINS},
        "audit head": contents.audit_head["hash"],
    }
    assert contents.council_name == COUNCIL and contents.device_id == device_id
    assert contents.store_id == store.keyfile.store_id
    data = target.read_bytes()
    for what, value in secrets.items():
        for form in {value, value.upper()}:
            assert form.encode("utf-8") not in clear, what
            assert form.encode("utf-8") not in data, what  # nor anywhere else in the file
    # and the header's text does not carry them escaped either (\uXXXX for the Japanese name)
    text = json.dumps(header)
    assert "council" not in text and "store" not in text and "device" not in text and "login" not in text


def test_every_account_and_the_recovery_key_still_open_it(council, tmp_path, monkeypatch):
    store, target = council
    calls = []
    real = backup._passphrase_kek
    monkeypatch.setattr(backup, "_passphrase_kek", lambda *a: calls.append(1) or real(*a))
    for login in LOGINS:
        calls.clear()
        result = backup.restore_with_passphrase(target, tmp_path / f"r-{login}", login, f"{login} passphrase")
        assert result.council_name == COUNCIL
        # the login's hint picks its opener: one Argon2id, not one per account (1 in 256 by chance)
        assert len(calls) <= 2, login
    with pytest.raises(AuthError, match="パスフレーズが違う"):
        backup.restore_with_passphrase(target, tmp_path / "wrong", LOGINS[0], "not the passphrase")
    with pytest.raises(AuthError, match="nobody"):
        backup.restore_with_passphrase(target, tmp_path / "nobody", "nobody", PASSPHRASE)
    assert not (tmp_path / "wrong").exists() and not (tmp_path / "nobody").exists()
    restored = unlock(tmp_path / f"r-{LOGINS[0]}", LOGINS[0], f"{LOGINS[0]} passphrase")
    assert check_store(restored).sound
    restored.close()


def _legacy_entry(key_file: keyfile.KeyFile, who: str, kek: bytes, data_key: bytes, kdf: dict) -> dict:
    nonce = os.urandom(12)
    wrapped = AESGCM(kek).encrypt(nonce, data_key, f"shakyo-desk:{key_file.store_id}:{who}".encode())
    return {"kdf": kdf, "nonce": base64.b64encode(nonce).decode(), "wrapped": base64.b64encode(wrapped).decode()}


def test_key_file_entries_of_the_previous_format_open_a_new_backup(store_and_key, tmp_path):
    """A key file whose entries are still format 1 (data key wrapped under the passphrase or
    the recovery key, bound to the store id): the backup's openers carry those wraps, opened
    without the store id and checked by the key check and the sealed contents."""
    store, recovery = store_and_key
    households.add_household(store, districts.add_district(store, "上町"), "山田 花子")
    data_key, current = store.data_key, store.keyfile
    salt_a, salt_r = os.urandom(16), os.urandom(16)
    doc = json.loads(current.to_json())
    doc["format"] = 1
    doc.pop("holders", None)
    doc.pop("key_id", None)
    doc["accounts"] = {"admin": _legacy_entry(
        current, "account:admin", keyfile._passphrase_kek(PASSPHRASE, salt_a, FAST_KDF), data_key,
        {"name": "argon2id", "salt": base64.b64encode(salt_a).decode(), **FAST_KDF})}
    doc["recovery"] = _legacy_entry(current, "recovery", keyfile._recovery_kek(recovery, salt_r), data_key,
                                    {"name": "hkdf-sha256", "salt": base64.b64encode(salt_r).decode()})
    store.layout.key_file.write_text(json.dumps(doc), encoding="utf-8")
    target = tmp_path / "legacy-keys.shakyo-backup"
    backup.create_backup(store, target)
    _clear, header = _clear_part(target)
    assert sorted(o["kdf"]["name"] for o in header["openers"]) == ["argon2id", "hkdf-sha256"]
    assert all("wrapped" in o and "sealed" not in o for o in header["openers"])

    result = backup.restore_backup(target, tmp_path / "by-recovery", recovery)
    assert result.council_name == COUNCIL
    backup.restore_with_passphrase(target, tmp_path / "by-passphrase", "admin", PASSPHRASE)
    with pytest.raises(AuthError, match="復旧キーが違います"):
        backup.restore_backup(target, tmp_path / "wrong", "00000-00000-00000-00000-00000-00000")
    for root in ("by-recovery", "by-passphrase"):
        again = unlock(tmp_path / root, "admin", PASSPHRASE)
        assert [h.head_name for h in households.list_households(again)] == ["山田 花子"]
        assert check_store(again).sound
        again.close()


def test_a_backup_of_the_previous_format_still_restores(tmp_path):
    """tests/fixtures/backups/format-1.shakyo-backup was written by the format 1 code (clear
    header with council, logins and key file; schema 0011, unkeyed audit entries)."""
    fixture = tmp_path / "format-1.shakyo-backup"
    shutil.copyfile(FIXTURES / "format-1.shakyo-backup", fixture)
    recovery = (FIXTURES / "format-1.recovery-key").read_text(encoding="ascii").strip()
    header = backup.read_header(fixture)
    assert header.format == 1 and header.legacy.council_name == "バックアップ村社協（架空）"
    assert header.legacy.schema_revision == "0011"

    with pytest.raises(AuthError, match="復旧キーが違います"):
        backup.restore_backup(fixture, tmp_path / "wrong", "00000-00000-00000-00000-00000-00000")
    result = backup.restore_backup(fixture, tmp_path / "restored", recovery)
    assert result.council_name == "バックアップ村社協（架空）" and result.council_id == header.legacy.council_id
    store = unlock(tmp_path / "restored", "admin", "fixture passphrase")
    try:
        assert [h.head_name for h in households.list_households(store)] == ["架空 花子"]
        assert check_store(store).sound
        # the entries of before 0012 (plain SHA-256) and the keyed ones since verify as one chain
        report = audit_log.verify(store)
        assert report.sound and report.entries > 5, report.sentences
        # and a new backup of it is of the new format
        again = backup.create_backup(store, tmp_path / "again.shakyo-backup")
        assert backup.read_header(again.path).format == backup.FORMAT
        assert b"\xe6\x9e\xb6\xe7\xa9\xba" not in _clear_part(again.path)[0]  # 「架空」
    finally:
        store.close()


def test_a_backup_of_format_2_still_restores(tmp_path):
    """tests/fixtures/backups/format-2.shakyo-backup was written by the format 2 code (commit
    d2db31d: a snapshot through SQLite's backup API and its SHA-256 in the sealed contents, 64 KiB
    chunks). It restores, and its whole-file hash is still checked."""
    fixture = tmp_path / "format-2.shakyo-backup"
    shutil.copyfile(FIXTURES / "format-2.shakyo-backup", fixture)
    recovery = (FIXTURES / "format-2.recovery-key").read_text(encoding="ascii").strip()
    header = backup.read_header(fixture)
    assert header.format == 2 and header.legacy is None and header.chunk_size == 64 * 1024
    contents, _key = backup.open_backup(fixture, recovery)
    assert contents.database_sha256 and contents.council_name == "バックアップ二村社協（架空）"

    with pytest.raises(AuthError, match="復旧キーが違います"):
        backup.restore_backup(fixture, tmp_path / "wrong", "00000-00000-00000-00000-00000-00000")
    data = bytearray(fixture.read_bytes())
    data[-100] ^= 1
    flipped = tmp_path / "flipped.shakyo-backup"
    flipped.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="書き換えられています"):
        backup.restore_backup(flipped, tmp_path / "flipped-root", recovery)
    assert not (tmp_path / "flipped-root").exists()

    result = backup.restore_backup(fixture, tmp_path / "restored", recovery)
    assert result.council_name == "バックアップ二村社協（架空）" and result.epoch != result.old_epoch
    store = unlock(tmp_path / "restored", "admin", "fixture passphrase")
    try:
        assert [h.head_name for h in households.list_households(store)] == ["架空 次郎"]
        assert check_store(store).sound and audit_log.verify(store).sound
    finally:
        store.close()
