"""keyfile.derive_kek (issue 20): accounts given one passphrase at once (the demo's) share one
Argon2id derivation; each still opens with that passphrase only, and a derived key is refused
for another passphrase or other settings."""

import pytest

from shakyo_desk.domain.errors import AuthError
from shakyo_desk.store.keyfile import FAST_KDF, derive_kek
from shakyo_desk.store.services import accounts
from shakyo_desk.store.store import unlock

SHARED = "shared training pass"


def test_accounts_made_with_one_derivation_each_unlock(store, district):
    derived = derive_kek(SHARED, FAST_KDF)
    for login, role in (("coord1", "coordinator"), ("staff1", "staff"), ("rep1", "reporter")):
        accounts.add_account(store, login, login, role, SHARED, district_ids=[district], kdf=FAST_KDF,
                             derived=derived)
    entries = store.keyfile.accounts
    assert entries["coord1"]["kdf"]["salt"] == entries["staff1"]["kdf"]["salt"] == entries["rep1"]["kdf"]["salt"]
    assert entries["coord1"]["private"]["nonce"] != entries["staff1"]["private"]["nonce"]
    root = store.layout.root
    for login in ("coord1", "staff1"):
        opened = unlock(root, login, SHARED)
        assert opened.actor.login == login
        opened.close()
    with pytest.raises(AuthError):
        unlock(root, "staff1", "another passphrase")


def test_a_derived_key_of_another_passphrase_or_settings_is_refused(store):
    derived = derive_kek("not the passphrase", FAST_KDF)
    with pytest.raises(ValueError):
        accounts.add_account(store, "staff2", "staff2", "staff", SHARED, kdf=FAST_KDF, derived=derived)
    other = derive_kek(SHARED, {**FAST_KDF, "iterations": 2})
    with pytest.raises(ValueError):
        accounts.add_account(store, "staff3", "staff3", "staff", SHARED, kdf=FAST_KDF, derived=other)
    assert "staff2" not in store.keyfile.accounts and "staff3" not in store.keyfile.accounts
    assert [a.login for a in accounts.list_accounts(store)] == ["admin"]


def test_unlock_with_the_derived_key_skips_argon2_only_for_its_passphrase(tmp_path, monkeypatch):
    from shakyo_desk.store import keyfile
    from shakyo_desk.store.store import create_store

    derived = derive_kek(SHARED, FAST_KDF)
    store, _ = create_store(tmp_path / "s", "テスト村社会福祉協議会", "admin", SHARED, kdf=FAST_KDF, derived=derived)
    store.close()
    calls = []
    original = keyfile._passphrase_kek
    monkeypatch.setattr(keyfile, "_passphrase_kek", lambda *a: calls.append(a) or original(*a))
    opened = unlock(tmp_path / "s", "admin", SHARED, derived=derived)
    opened.close()
    assert calls == []  # the key derived when the store was made
    with pytest.raises(AuthError):  # another passphrase: derived (and refused) as always
        unlock(tmp_path / "s", "admin", "wrong passphrase 1", derived=derived)
    assert len(calls) == 1
    other = derive_kek("wrong passphrase 1", FAST_KDF)
    with pytest.raises(AuthError):
        unlock(tmp_path / "s", "admin", "wrong passphrase 1", derived=other)
