"""Issue 16: reporters never hold the data key; their sheets reach the store through the drop box."""

import json
import shutil

import pytest
import sqlalchemy as sa
import sqlcipher3
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shakyo_desk.domain.errors import StoreError
from shakyo_desk.store import dropbox
from shakyo_desk.store.keyfile import FAST_KDF, KeyFile, _passphrase_kek, _unb64, _unseal
from shakyo_desk.store.models import ChangeLog, ConcernSheet, Staff
from shakyo_desk.store.reporter import ReporterSession
from shakyo_desk.store.services import accounts, drops
from shakyo_desk.store.services.sheets import change_status, file_sheet, get_sheet, list_sheets
from shakyo_desk.store.store import unlock

from tests.store.conftest import PASSPHRASE

REPORTER_PASS = "reporter passphrase"
COORD_PASS = "coord passphrase"


def _opens_db(database, key: bytes) -> bool:
    if len(key) != 32:
        return False
    conn = sqlcipher3.connect(str(database))
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except sqlcipher3.Error:
        return False
    finally:
        conn.close()


def _everything_a_passphrase_opens(keyfile_path, passphrase: str) -> list[bytes]:
    """Try the passphrase on every entry of keys.json; whatever decrypts, try on every seal."""
    doc = json.loads(keyfile_path.read_text(encoding="utf-8"))
    store_id = doc["store_id"]
    out, privates = [], []
    for login, entry in doc["accounts"].items():
        kdf = entry.get("kdf")
        if not kdf:
            continue
        kek = _passphrase_kek(passphrase, _unb64(kdf["salt"]), kdf)
        for who in doc["accounts"]:
            for part, aad in ((entry.get("private"), f"account-private:{who}"), (entry, f"account:{who}")):
                if isinstance(part, dict) and "wrapped" in part and "nonce" in part:
                    try:
                        raw = AESGCM(kek).decrypt(_unb64(part["nonce"]), _unb64(part["wrapped"]),
                                                  f"shakyo-desk:{store_id}:{aad}".encode())
                    except Exception:  # noqa: BLE001
                        continue
                    out.append(raw)
                    if part is entry.get("private"):
                        privates.append(X25519PrivateKey.from_private_bytes(raw))
    for private in privates:
        for who, entry in doc["accounts"].items():
            sealed = entry.get("sealed")
            if isinstance(sealed, dict):
                try:
                    out.append(_unseal(private, sealed, f"shakyo-desk:{store_id}:account:{who}".encode()))
                except Exception:  # noqa: BLE001
                    pass
    return out


@pytest.fixture
def council(store):
    """An admin (store), a coordinator and a reporter; every session closed but the admin's."""
    coord_id = accounts.add_account(store, "coord", "調整 花子", "coordinator", COORD_PASS, kdf=FAST_KDF)
    reporter_id = accounts.add_account(store, "rep", "報告 次郎", "reporter", REPORTER_PASS, section="介護保険事業所",
                                       kdf=FAST_KDF)
    drops.publish(store)  # as the admin's next unlock would: drop_to, the form's catalogue
    return store, coord_id, reporter_id


def test_a_reporters_passphrase_yields_no_key_that_opens_the_database(council):
    store, _coord, _rep = council
    root = store.layout.root
    store.close()
    found = _everything_a_passphrase_opens(root / "keys.json", REPORTER_PASS)
    assert found, "the reporter's passphrase opens their own private key"
    assert not any(_opens_db(root / "shakyo.db", key) for key in found)
    # the same attack with the admin's passphrase does open it: the test can tell
    assert any(_opens_db(root / "shakyo.db", key) for key in _everything_a_passphrase_opens(root / "keys.json",
                                                                                            PASSPHRASE))
    session = unlock(root, "rep", REPORTER_PASS)
    assert isinstance(session, ReporterSession)
    with pytest.raises(StoreError):
        session.data_key
    with pytest.raises(StoreError):
        with session.read():
            pass


def test_a_reporters_sheet_is_filed_by_the_coordinator_and_its_status_comes_back(council):
    store, coord_id, reporter_id = council
    root = store.layout.root
    store.close()
    reporter = unlock(root, "rep", REPORTER_PASS)
    sheet_id = file_sheet(reporter, household_hint="北町の角の家", concerns=["見守り"] if False else
                          [reporter.concern_names()[0]], urgency="早め", situation="新聞がたまっている")
    drop = root / "dropbox" / f"{sheet_id}.sheet"
    assert drop.exists() and (drop.stat().st_mode & 0o777) == 0o600
    assert ((root / "dropbox").stat().st_mode & 0o777) == 0o700
    assert b"\xe6\x96\xb0\xe8\x81\x9e" not in drop.read_bytes()  # 新聞 is not in clear
    mine = list_sheets(reporter)
    assert [s.id for s in mine] == [sheet_id] and mine[0].status == dropbox.SUBMITTED

    coordinator = unlock(root, "coord", COORD_PASS)  # opens the drop box
    try:
        assert not drop.exists()
        assert any("1件受け付けました" in n for n in coordinator.notices)
        with coordinator.read() as s:
            sheet = s.get(ConcernSheet, sheet_id)
            assert sheet.noticed_by == reporter_id and sheet.created_by == reporter_id
            assert sheet.section == "介護保険事業所"
            logged = s.execute(sa.select(ChangeLog.staff_id).where(ChangeLog.entity_id == sheet_id,
                                                                   ChangeLog.entity == "concern_sheet")).scalars().all()
        assert logged == [reporter_id]
        change_status(coordinator, sheet_id, "確認中")
    finally:
        coordinator.close()

    again = unlock(root, "rep", REPORTER_PASS)
    mine = list_sheets(again)
    assert [(s.id, s.status) for s in mine] == [(sheet_id, "確認中")]
    assert [h.status for h in get_sheet(again, sheet_id).history] == ["受付", "確認中"]
    status_file = root / "dropbox" / "reporter" / "rep" / f"{sheet_id}.status"
    assert (status_file.stat().st_mode & 0o777) == 0o600


def test_a_tampered_or_foreign_drop_is_quarantined_and_named(council, tmp_path):
    store, _coord, _rep = council
    root = store.layout.root
    store.close()
    reporter = unlock(root, "rep", REPORTER_PASS)
    good = file_sheet(reporter, household_hint="A", concerns=[reporter.concern_names()[0]], urgency="見守り")
    bad = file_sheet(reporter, household_hint="B", concerns=[reporter.concern_names()[0]], urgency="見守り")
    path = root / "dropbox" / f"{bad}.sheet"
    doc = json.loads(path.read_text())
    body = bytearray(_unb64(doc["body"]))
    body[3] ^= 1
    doc["body"] = __import__("base64").b64encode(bytes(body)).decode()
    path.write_text(json.dumps(doc))
    (root / "dropbox" / "junk.sheet").write_bytes(b"not a drop at all")
    # a drop made by someone holding a key pair this store does not know, in the reporter's name
    impostor = X25519PrivateKey.generate()
    forged = dropbox.seal(KeyFile.load(root / "keys.json"), "sheet", "01a25085-9ae8-7bda-bf4b-2e06d292e0a6", "rep",
                          impostor, ["coord", "admin"], {"fields": {"household_hint": "X"}})
    (root / "dropbox" / "01a25085-9ae8-7bda-bf4b-2e06d292e0a6.sheet").write_bytes(forged)

    coordinator = unlock(root, "coord", COORD_PASS)
    try:
        with coordinator.read() as s:
            assert s.get(ConcernSheet, good) is not None
            assert s.get(ConcernSheet, bad) is None
        named = {q.name.split("-", 1)[1]: q.reason for q in dropbox.quarantined(root)}
        assert named[f"{bad}.sheet"] == dropbox.BROKEN
        assert named["junk.sheet"] == dropbox.NOT_A_DROP
        assert named["01a25085-9ae8-7bda-bf4b-2e06d292e0a6.sheet"] == dropbox.UNKNOWN_SENDER
        assert sum("受け付けられなかったファイル" in n for n in coordinator.notices) == 3
        assert not list((root / "dropbox").glob("*.sheet"))
    finally:
        coordinator.close()


def test_an_old_reporter_entry_loses_its_seal_and_the_key_rotates(council, tmp_path):
    """A store from before issue 16: the reporter's entry reaches the data key."""
    store, _coord, _rep = council
    root = store.layout.root
    store.keyfile.wrap_for_account("rep", REPORTER_PASS, store.data_key, FAST_KDF)  # as before issue 16
    store.keyfile.save(store.layout.key_file)
    store.close()
    copied = tmp_path / "copied-keys.json"
    shutil.copy(root / "keys.json", copied)
    old_key = KeyFile.load(copied).unwrap_for_account("rep", REPORTER_PASS)
    assert _opens_db(root / "shakyo.db", old_key)

    admin = unlock(root, "admin", PASSPHRASE)
    try:
        assert any("報告者のアカウント（rep）" in n for n in admin.notices)
    finally:
        admin.close()
    assert not _opens_db(root / "shakyo.db", old_key)  # the copied keys.json opens nothing current
    assert not any(_opens_db(root / "shakyo.db", k) for k in _everything_a_passphrase_opens(root / "keys.json",
                                                                                           REPORTER_PASS))
    assert isinstance(unlock(root, "rep", REPORTER_PASS), ReporterSession)  # same passphrase


def test_an_old_reporter_converts_their_own_entry_at_unlock(council):
    store, _coord, _rep = council
    root = store.layout.root
    store.keyfile.wrap_for_account("rep", REPORTER_PASS, store.data_key, FAST_KDF)  # as before issue 16
    store.keyfile.save(store.layout.key_file)
    store.close()
    session = unlock(root, "rep", REPORTER_PASS)
    assert isinstance(session, ReporterSession)
    assert not any(_opens_db(root / "shakyo.db", k) for k in _everything_a_passphrase_opens(root / "keys.json",
                                                                                           REPORTER_PASS))
    assert "rep" in KeyFile.load(root / "keys.json").holders  # still due to rotate at a council unlock
    admin = unlock(root, "admin", PASSPHRASE)
    admin.close()
    assert "rep" not in KeyFile.load(root / "keys.json").holders


def test_role_changes_move_the_seal(council):
    store, coord_id, reporter_id = council
    accounts.update_account(store, reporter_id, role="staff")
    assert store.keyfile.accounts["rep"].get("sealed") and not store.keyfile.is_reporter("rep")
    accounts.update_account(store, coord_id, role="reporter")
    assert "sealed" not in store.keyfile.accounts["coord"] and store.keyfile.is_reporter("coord")
    with store.read() as s:
        assert s.execute(sa.select(Staff.role).where(Staff.id == coord_id)).scalar() == "reporter"
