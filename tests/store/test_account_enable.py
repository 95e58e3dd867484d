"""Enabling a disabled account: a new key wrap, the old passphrase useless, and no way to
use 'enable' or 'reset' to give a passphrase to the wrong kind of account."""

import pytest

from shakyo_desk.domain.errors import AuthError, InvalidInput, UnlockThrottled
from shakyo_desk.store.check import check_store
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import accounts
from shakyo_desk.store.store import unlock
from shakyo_desk.store.throttle import Throttle


def test_enable_wraps_the_key_with_the_new_passphrase_and_forgets_delays(store):
    staff_id = accounts.add_account(store, "suzuki", "鈴木 一郎", "staff", "suzuki pass", kdf=FAST_KDF)
    accounts.disable_account(store, staff_id)
    assert "suzuki" not in store.keyfile.accounts
    throttle = Throttle(store.layout.unlock_state)
    for _ in range(5):
        throttle.record_failure("suzuki")
    with pytest.raises(UnlockThrottled):
        unlock(store.layout.root, "suzuki", "new suzuki pass")

    accounts.enable_account(store, staff_id, "new suzuki pass", kdf=FAST_KDF)
    assert accounts.get_account(store, staff_id).active
    opened = unlock(store.layout.root, "suzuki", "new suzuki pass")
    assert opened.actor.staff_id == staff_id
    opened.close()
    with pytest.raises(AuthError):
        unlock(store.layout.root, "suzuki", "suzuki pass")
    assert check_store(store).sound


def test_enable_refuses_an_active_account_and_changes_nothing(store):
    staff_id = accounts.add_account(store, "suzuki", "鈴木 一郎", "staff", "suzuki pass", kdf=FAST_KDF)
    keys = store.layout.key_file.read_bytes()
    with pytest.raises(InvalidInput, match="すでに有効"):
        accounts.enable_account(store, staff_id, "someone elses pass", kdf=FAST_KDF)
    assert store.layout.key_file.read_bytes() == keys
    unlock(store.layout.root, "suzuki", "suzuki pass").close()


def test_disabled_account_is_neither_reset_nor_disabled_twice(store):
    staff_id = accounts.add_account(store, "suzuki", "鈴木 一郎", "staff", "suzuki pass", kdf=FAST_KDF)
    accounts.disable_account(store, staff_id)
    keys = store.layout.key_file.read_bytes()
    with pytest.raises(InvalidInput, match="有効にする"):
        accounts.reset_passphrase(store, staff_id, "reset passphrase", kdf=FAST_KDF)
    with pytest.raises(InvalidInput, match="すでに無効"):
        accounts.disable_account(store, staff_id)
    assert store.layout.key_file.read_bytes() == keys
    assert "suzuki" not in store.keyfile.accounts
