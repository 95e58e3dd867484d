"""Disabling an account rotates the data key (issue 16): the account's old key entry, copied
from keys.json or a backup before the disable, opens nothing current; everyone else and the
recovery key still unlock; laptops rotate when the disable arrives by sync; old-format key
files upgrade account by account."""

import base64
import json
import os
from pathlib import Path

import pytest
import sqlcipher3
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shakyo_desk.domain.errors import AuthError
from shakyo_desk.store import backup, rekey
from shakyo_desk.store.check import check_store
from shakyo_desk.store.exchange import devices
from shakyo_desk.store.exchange.exporting import export_bundle
from shakyo_desk.store.exchange.importing import import_paths
from shakyo_desk.store.keyfile import FAST_KDF, RESET_NEEDED, KeyFile, _passphrase_kek, _recovery_kek, key_id
from shakyo_desk.store.services import accounts, districts, households
from shakyo_desk.store.store import unlock, unlock_with_recovery
from .conftest import PASSPHRASE


def opens(database: Path, data_key: bytes) -> bool:
    """Whether ``data_key`` opens the database file (a raw SQLCipher connection, as an attacker would)."""
    conn = sqlcipher3.connect(str(database))
    try:
        conn.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
        conn.execute("SELECT count(*) FROM household").fetchone()
        return True
    except sqlcipher3.DatabaseError:
        return False
    finally:
        conn.close()


def key_from(key_file_text: bytes, login: str, passphrase: str) -> bytes:
    return KeyFile.from_json(key_file_text).unwrap_for_account(login, passphrase)


@pytest.fixture
def office_and_key(store_and_key):
    """An office with an admin, two staff accounts and one household; and its recovery key."""
    store, recovery = store_and_key
    district = districts.add_district(store, "上町", "かみまち")
    accounts.add_account(store, "suzuki", "鈴木 一郎", "staff", "suzuki pass", kdf=FAST_KDF)
    accounts.add_account(store, "tanaka", "田中 花子", "coordinator", "tanaka pass", kdf=FAST_KDF)
    households.add_household(store, district, "架空 上子", address="架空村上町1")
    return store, recovery


@pytest.fixture
def office(office_and_key):
    return office_and_key[0]


def test_a_disabled_accounts_copied_entry_opens_nothing_current(office_and_key):
    store, recovery = office_and_key
    database = store.layout.database
    copied = store.layout.key_file.read_bytes()  # taken before the disable (a laptop, a USB stick)
    old_key = key_from(copied, "suzuki", "suzuki pass")
    assert opens(database, old_key)
    suzuki = accounts.get_account(store, "suzuki")

    disabled = accounts.disable_account(store, suzuki.id)

    assert disabled.rotation is not None and disabled.rotation.excluded == ("suzuki",)
    assert any("作り直しました" in n for n in disabled.notices)
    assert not opens(database, old_key)  # the copy gives the old key: it opens nothing now
    assert not rekey.pending_file(store.layout).exists()
    assert "suzuki" not in KeyFile.load(store.layout.key_file).accounts
    # The open session goes on with the new key; everyone else and the recovery key unlock.
    assert households.list_households(store)
    for login, passphrase in (("admin", PASSPHRASE), ("tanaka", "tanaka pass")):
        other = unlock(store.layout.root, login, passphrase)
        assert other.data_key == store.data_key != old_key
        other.close()
    with pytest.raises(AuthError):
        unlock(store.layout.root, "suzuki", "suzuki pass")
    store.close()
    recovered = unlock_with_recovery(store.layout.root, recovery, "tanaka", "tanaka new pass")
    assert opens(database, recovered.data_key)
    assert check_store(recovered).sound
    recovered.close()


def test_an_older_backup_opens_only_itself(office, tmp_path):
    store = office
    made = backup.create_backup(store, tmp_path / "before.shakyo-backup")
    inside = backup.read_contents(made.path, store.data_key)  # (a backup's key file is sealed inside it)
    old_key = key_from(inside.key_file.encode("utf-8"), "suzuki", "suzuki pass")

    accounts.disable_account(store, accounts.get_account(store, "suzuki").id)

    # The old backup still restores with the disabled account's passphrase (it is that old
    # snapshot: accepted), but its key does not open the live database.
    restored = backup.restore_with_passphrase(made.path, tmp_path / "restored", "suzuki", "suzuki pass")
    assert opens(restored.root / "shakyo.db", old_key)
    assert not opens(store.layout.database, old_key)
    # A backup made after the disable holds no entry for the account at all.
    after = backup.create_backup(store, tmp_path / "after.shakyo-backup")
    assert "suzuki" not in json.loads(backup.read_contents(after.path, store.data_key).key_file)["accounts"]


def test_enable_after_disable_works_and_the_old_passphrase_does_not(office):
    store = office
    suzuki = accounts.get_account(store, "suzuki")
    accounts.disable_account(store, suzuki.id)
    accounts.enable_account(store, suzuki.id, "suzuki second pass", kdf=FAST_KDF)
    opened = unlock(store.layout.root, "suzuki", "suzuki second pass")
    assert opened.data_key == store.data_key
    opened.close()
    with pytest.raises(AuthError):
        unlock(store.layout.root, "suzuki", "suzuki pass")


def test_passphrase_change_gives_a_new_key_pair(office):
    """A passphrase that leaked must not open keys sealed later: the key pair changes with it."""
    store = office
    before = json.loads(store.layout.key_file.read_text("utf-8"))["accounts"]["tanaka"]["public"]
    tanaka = unlock(store.layout.root, "tanaka", "tanaka pass")
    accounts.change_passphrase(tanaka, "tanaka pass", "tanaka other pass", kdf=FAST_KDF)
    tanaka.close()
    after = json.loads(store.layout.key_file.read_text("utf-8"))["accounts"]["tanaka"]["public"]
    assert before != after


def test_a_rotation_that_cannot_run_changes_nothing_and_is_done_at_the_next_unlock(office, monkeypatch):
    store = office
    old_key = store.data_key
    monkeypatch.setattr(rekey, "BUSY_TIMEOUT_MS", 200)
    blocker = sqlcipher3.connect(str(store.layout.database), isolation_level=None)
    blocker.execute(f"PRAGMA key = \"x'{old_key.hex()}'\"")
    write_pending = rekey.write_pending

    def then_another_program_writes(*args):
        write_pending(*args)
        blocker.execute("BEGIN IMMEDIATE")  # SQLCipher cannot rekey while it holds the lock

    monkeypatch.setattr(rekey, "write_pending", then_another_program_writes)
    try:
        disabled = accounts.disable_account(store, accounts.get_account(store, "suzuki").id)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        monkeypatch.setattr(rekey, "write_pending", write_pending)
    assert disabled.rotation is None
    assert any("もう一度行います" in n for n in disabled.notices)
    assert not accounts.get_account(store, "suzuki").active  # disabled all the same
    assert store.data_key == old_key and opens(store.layout.database, old_key)
    assert not rekey.pending_file(store.layout).exists()
    store.close()

    again = unlock(store.layout.root, "admin", PASSPHRASE)
    assert any("作り直しました" in n for n in again.notices)
    assert not opens(again.layout.database, old_key)
    again.close()


# ---- laptops -------------------------------------------------------------------------------


def enrol_laptop(office, root: Path):
    """A laptop joined by the office's admin: (its root folder, its own recovery key)."""
    folder = root / "enrol"
    folder.mkdir()
    code = devices.add_device(office, "laptop1", folder / "enrolment.shakyo", kdf=FAST_KDF)
    joined = devices.join(root / "laptop", folder / "enrolment.shakyo", code, "admin", PASSPHRASE, kdf=FAST_KDF)
    joined.store.close()
    return root / "laptop", joined.recovery_key


def test_a_laptop_rotates_after_importing_the_disable(tmp_path):
    from tests.sync.council import make_office

    office, _ = make_office(tmp_path)
    kato_id = accounts.add_account(office, "kato", "加藤 次郎", "staff", "kato pass", kdf=FAST_KDF)
    laptop, laptop_recovery = enrol_laptop(office, tmp_path)
    database = laptop / "shakyo.db"
    try:
        # kato used the laptop too (the recovery key set a passphrase there): a holder of its key.
        unlock_with_recovery(laptop, laptop_recovery, "kato", "kato laptop pass").close()
        old_key = key_from((laptop / "keys.json").read_bytes(), "kato", "kato laptop pass")
        assert opens(database, old_key)

        accounts.disable_account(office, kato_id)
        folder = tmp_path / "usb"
        folder.mkdir()
        bundle = export_bundle(office, folder)

        session = unlock(laptop, "admin", PASSPHRASE)
        report = import_paths(session, [bundle.path])
        assert report.applied and not report.refused
        rotation, notices = rekey.rotate_if_due(session)  # what the 同期 page and `sync import` do
        assert rotation is not None and rotation.excluded == ("kato",)
        assert not opens(database, old_key)
        assert opens(database, session.data_key)
        session.close()
        unlock(laptop, "admin", PASSPHRASE).close()
        with pytest.raises(AuthError):
            unlock(laptop, "kato", "kato laptop pass")
        unlock_with_recovery(laptop, laptop_recovery, "admin", "admin laptop pass").close()
    finally:
        office.close()


def test_a_laptop_that_imported_without_rotating_rotates_at_the_next_unlock(tmp_path):
    from tests.sync.council import make_office

    office, _ = make_office(tmp_path)
    kato_id = accounts.add_account(office, "kato", "加藤 次郎", "staff", "kato pass", kdf=FAST_KDF)
    laptop, recovery = enrol_laptop(office, tmp_path)
    database = laptop / "shakyo.db"
    try:
        unlock_with_recovery(laptop, recovery, "kato", "kato laptop pass").close()
        old_key = key_from((laptop / "keys.json").read_bytes(), "kato", "kato laptop pass")
        accounts.disable_account(office, kato_id)
        folder = tmp_path / "usb"
        folder.mkdir()
        bundle = export_bundle(office, folder)
        session = unlock(laptop, "admin", PASSPHRASE)
        import_paths(session, [bundle.path])  # the program stopped before rotating
        session.close()
        assert opens(database, old_key)

        again = unlock(laptop, "admin", PASSPHRASE)
        assert any("作り直しました" in n for n in again.notices)
        assert not opens(database, old_key)
        again.close()
    finally:
        office.close()


# ---- format 1 key files ----------------------------------------------------------------------


def _legacy_entry(store_id: str, login: str, passphrase: str, data_key: bytes) -> dict:
    """A format 1 entry: the data key wrapped directly under the passphrase (as before issue 16)."""
    salt, nonce = os.urandom(16), os.urandom(12)
    kek = _passphrase_kek(passphrase, salt, FAST_KDF)
    wrapped = AESGCM(kek).encrypt(nonce, data_key, f"shakyo-desk:{store_id}:account:{login}".encode())
    return {"kdf": {"name": "argon2id", "salt": base64.b64encode(salt).decode(), **FAST_KDF},
            "nonce": base64.b64encode(nonce).decode(), "wrapped": base64.b64encode(wrapped).decode()}


def _make_legacy(store, passphrases: dict[str, str]) -> None:
    """Rewrite the store's key file as format 1 (no holders, no key pairs, an old recovery entry)."""
    data_key = store.data_key
    keys = KeyFile.load(store.layout.key_file)
    doc = {"format": 1, "store_id": keys.store_id, "created_at": keys.created_at,
           "accounts": {login: _legacy_entry(keys.store_id, login, pw, data_key) for login, pw in passphrases.items()},
           "recovery": {"kdf": {"name": "hkdf-sha256", "salt": "AAAAAAAAAAAAAAAAAAAAAA=="},
                        "nonce": "AAAAAAAAAAAAAAAA", "wrapped": "AAAA"}}
    store.layout.key_file.write_text(json.dumps(doc), "utf-8")
    # Before issue 16 the council admin key lay in the database (an admin's unlock moves it).
    from shakyo_desk.store.exchange import identity as ident

    with store.write() as w:
        ident.set_state(w.conn, admin_key=store.council_key.private_bytes_raw())


def _legacy_recovery(store_id: str, recovery_key: str, data_key: bytes) -> dict:
    salt, nonce = os.urandom(16), os.urandom(12)
    kek = _recovery_kek(recovery_key, salt)
    wrapped = AESGCM(kek).encrypt(nonce, data_key, f"shakyo-desk:{store_id}:recovery".encode())
    return {"kdf": {"name": "hkdf-sha256", "salt": base64.b64encode(salt).decode()},
            "nonce": base64.b64encode(nonce).decode(), "wrapped": base64.b64encode(wrapped).decode()}


def test_a_format_1_recovery_entry_is_upgraded_when_the_recovery_key_is_used(office_and_key):
    store, recovery = office_and_key
    _make_legacy(store, {"admin": PASSPHRASE, "suzuki": "suzuki pass", "tanaka": "tanaka pass"})
    doc = json.loads(store.layout.key_file.read_text("utf-8"))
    doc["recovery"] = _legacy_recovery(doc["store_id"], recovery, store.data_key)
    store.layout.key_file.write_text(json.dumps(doc), "utf-8")
    store.close()
    unlock_with_recovery(store.layout.root, recovery, "tanaka", "tanaka new pass").close()
    assert KeyFile.load(store.layout.key_file).recovery_kind == "sealed"
    admin = unlock(store.layout.root, "admin", PASSPHRASE)
    disabled = accounts.disable_account(admin, accounts.get_account(admin, "suzuki").id)
    assert not disabled.rotation.recovery_renew  # carried to the new key
    admin.close()
    unlock_with_recovery(store.layout.root, recovery, "tanaka", "tanaka third pass").close()


def test_format_1_entries_upgrade_at_their_owners_unlock(office):
    store = office
    _make_legacy(store, {"admin": PASSPHRASE, "suzuki": "suzuki pass", "tanaka": "tanaka pass"})
    store.close()
    admin = unlock(store.layout.root, "admin", PASSPHRASE)
    keys = KeyFile.load(store.layout.key_file)
    assert "sealed" in keys.accounts["admin"] and "wrapped" in keys.accounts["tanaka"]
    assert keys.holders == ["admin", "suzuki", "tanaka"] and keys.key_id == key_id(admin.data_key)
    assert not admin.notices  # nobody disabled: nothing to rotate
    admin.close()


def test_a_disable_strands_format_1_accounts_who_then_get_a_new_passphrase(office):
    store = office
    _make_legacy(store, {"admin": PASSPHRASE, "suzuki": "suzuki pass", "tanaka": "tanaka pass"})
    store.close()
    admin = unlock(store.layout.root, "admin", PASSPHRASE)
    disabled = accounts.disable_account(admin, accounts.get_account(admin, "suzuki").id)
    assert disabled.rotation.needs_reset == ("tanaka",) and disabled.rotation.recovery_renew
    assert any("tanaka" in n for n in disabled.notices)
    with pytest.raises(AuthError) as refused:
        unlock(store.layout.root, "tanaka", "tanaka pass")
    assert refused.value.message == RESET_NEEDED.format(login="tanaka")
    with pytest.raises(AuthError, match="復旧キー"):
        unlock_with_recovery(store.layout.root, "0" * 30, "tanaka", "tanaka new pass")
    accounts.reset_passphrase(admin, accounts.get_account(admin, "tanaka").id, "tanaka reset pass", kdf=FAST_KDF)
    unlock(store.layout.root, "tanaka", "tanaka reset pass").close()
    recovery = accounts.renew_recovery_key(admin)
    admin.close()
    unlock_with_recovery(store.layout.root, recovery, "admin", "admin new pass").close()


def test_an_old_disable_is_rotated_once_the_remaining_format_1_accounts_have_unlocked(office):
    """On an office upgraded from format 1, an account disabled back then (its entry removed,
    the key never rotated) is rotated away; while another account still has a format 1 entry
    the rotation waits for it, and administrators are told."""
    store = office
    suzuki = accounts.get_account(store, "suzuki")
    old_entry = _legacy_entry(store.keyfile.store_id, "suzuki", "suzuki pass", store.data_key)
    old_key = store.data_key
    with store.write() as w:  # disabled by the version before issue 16: no rotation then
        from shakyo_desk.domain import clock
        from shakyo_desk.store.models import Staff

        w.update(Staff, suzuki.id, {"disabled_at": clock.utcnow()})
    _make_legacy(store, {"admin": PASSPHRASE, "tanaka": "tanaka pass"})
    store.close()

    admin = unlock(store.layout.root, "admin", PASSPHRASE)
    assert any("tanaka" in n and "作り直す必要" in n for n in admin.notices)
    assert admin.data_key == old_key
    admin.close()

    tanaka = unlock(store.layout.root, "tanaka", "tanaka pass")  # upgrades itself, then the rotation runs
    assert any("作り直しました" in n for n in tanaka.notices)
    tanaka.close()
    stolen = KeyFile(store.keyfile.store_id, {"suzuki": old_entry})
    assert not opens(store.layout.database, stolen.unwrap_for_account("suzuki", "suzuki pass"))
    unlock(store.layout.root, "admin", PASSPHRASE).close()

