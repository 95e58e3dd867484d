import errno
import os
import stat

import pytest

from shakyo_desk.domain import safe_file
from shakyo_desk.domain.errors import AuthError, InvalidInput, StoreError
from shakyo_desk.store.keyfile import FAST_KDF, KeyFile, new_data_key, new_recovery_key, normalise_recovery_key
from shakyo_desk.store.services import accounts
from shakyo_desk.store.store import unlock, unlock_with_recovery

from .conftest import PASSPHRASE


def test_wrap_and_unwrap_round_trip(tmp_path):
    key = new_data_key()
    kf = KeyFile.new("store-1")
    kf.wrap_for_account("admin", "secret pass", key, FAST_KDF)
    kf.save(tmp_path / "keys.json")
    loaded = KeyFile.load(tmp_path / "keys.json")
    assert loaded.unwrap_for_account("admin", "secret pass") == key
    with pytest.raises(AuthError):
        loaded.unwrap_for_account("admin", "secret pasS")


def test_wrap_is_bound_to_account_and_store(tmp_path):
    key = new_data_key()
    kf = KeyFile.new("store-1")
    kf.wrap_for_account("alice", "same pass", key, FAST_KDF)
    kf.accounts["bob"] = kf.accounts["alice"]  # a copied entry must not open for another login
    with pytest.raises(AuthError):
        kf.unwrap_for_account("bob", "same pass")


def test_recovery_key_format_and_normalisation():
    key = new_recovery_key()
    groups = key.split("-")
    assert len(groups) == 6 and all(len(g) == 5 for g in groups)
    assert normalise_recovery_key(key.lower().replace("-", " ")) == key.replace("-", "")
    with pytest.raises(AuthError):
        normalise_recovery_key("ABC")


def test_passphrase_change_rewraps_only(store):
    db_header = store.layout.database.read_bytes()[:16]  # SQLCipher salt: changes if re-encrypted
    accounts.change_passphrase(store, PASSPHRASE, "a brand new one", kdf=FAST_KDF)
    store.close()
    with pytest.raises(AuthError):
        KeyFile.load(store.layout.key_file).unwrap_for_account("admin", PASSPHRASE)
    reopened = unlock(store.layout.root, "admin", "a brand new one")
    assert reopened.layout.database.read_bytes()[:16] == db_header
    reopened.close()


def test_passphrase_change_needs_current_passphrase(store):
    with pytest.raises(AuthError):
        accounts.change_passphrase(store, "wrong current", "a brand new one")
    with pytest.raises(InvalidInput):
        accounts.change_passphrase(store, PASSPHRASE, "short")


def test_recovery_key_sets_new_passphrase(store_and_key):
    store, recovery = store_and_key
    store.close()
    with pytest.raises(AuthError):
        unlock_with_recovery(store.layout.root, new_recovery_key(), "admin", "recovered pass")
    recovered = unlock_with_recovery(store.layout.root, recovery, "admin", "recovered pass")
    assert recovered.actor.login == "admin"
    recovered.close()
    unlock(store.layout.root, "admin", "recovered pass").close()
    with pytest.raises(AuthError):
        unlock(store.layout.root, "admin", PASSPHRASE)


def test_disabled_account_cannot_unlock(store):
    staff_id = accounts.add_account(store, "suzuki", "鈴木 一郎", "staff", "suzuki pass", kdf=FAST_KDF)
    unlock(store.layout.root, "suzuki", "suzuki pass").close()
    accounts.disable_account(store, staff_id)
    with pytest.raises(AuthError):
        unlock(store.layout.root, "suzuki", "suzuki pass")


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_store_folder_and_key_file_are_owner_only(store, tmp_path):
    layout = store.layout
    assert stat.S_IMODE(layout.root.stat().st_mode) == 0o700
    assert stat.S_IMODE(layout.key_file.stat().st_mode) == 0o600
    store.close()
    with pytest.raises(AuthError):
        unlock(layout.root, "admin", "wrong passphrase")  # writes the throttle's state file
    assert stat.S_IMODE(layout.unlock_state.stat().st_mode) == 0o600


def test_a_key_file_save_that_fails_keeps_the_old_key_file(store, monkeypatch):
    before = store.layout.key_file.read_bytes()

    def pulled(*_a):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(safe_file.os, "replace", pulled)
    with pytest.raises(StoreError):
        accounts.change_passphrase(store, PASSPHRASE, "a brand new one", kdf=FAST_KDF)
    monkeypatch.undo()
    assert store.layout.key_file.read_bytes() == before
    assert sorted(p.name for p in store.layout.root.iterdir() if p.name.endswith(".partial")) == []
    store.close()
    unlock(store.layout.root, "admin", PASSPHRASE).close()  # the old passphrase still opens it
