"""Test-only key derivation stays in tests (issue 16): outside the test suite's switch the
light Argon2id settings are refused for new stores, joins, passphrases and restores, and a
store that already has a weak entry is strengthened at its owner's next unlock, with a notice."""

import json

import pytest

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.store import backup
from shakyo_desk.store.exchange import devices
from shakyo_desk.store.keyfile import DEFAULT_KDF, ENV_TEST_SUITE, FAST_KDF, STRENGTHENED, WEAK_KDF_REFUSED, \
    in_test_suite
from shakyo_desk.store.services import accounts
from shakyo_desk.store.store import create_store, unlock

from .conftest import PASSPHRASE


@pytest.fixture
def normal_run(monkeypatch):
    """As on a council's PC: no test suite switch in the environment."""
    monkeypatch.delenv(ENV_TEST_SUITE, raising=False)
    assert not in_test_suite()


def _kdf(store, login: str) -> dict:
    entry = json.loads(store.layout.key_file.read_text("utf-8"))["accounts"][login]
    return {k: entry["kdf"][k] for k in ("memory_kib", "iterations", "lanes")}


def test_the_switch_must_name_the_suites_conftest(monkeypatch, tmp_path):
    assert in_test_suite()
    for value in ("1", "yes", str(tmp_path / "conftest.py")):
        monkeypatch.setenv(ENV_TEST_SUITE, value)
        assert not in_test_suite()
    other = tmp_path / "conftest.py"
    other.write_text("# an unrelated conftest\n", "utf-8")
    monkeypatch.setenv(ENV_TEST_SUITE, str(other))
    assert not in_test_suite()


def test_a_new_store_with_the_light_kdf_is_refused_and_nothing_is_made(normal_run, tmp_path):
    with pytest.raises(InvalidInput) as refused:
        create_store(tmp_path / "store", "テスト村社会福祉協議会", "admin", PASSPHRASE, kdf=FAST_KDF)
    assert refused.value.message == WEAK_KDF_REFUSED
    assert not (tmp_path / "store").exists()


def test_passphrases_and_accounts_with_the_light_kdf_are_refused(store, monkeypatch):
    staff_id = accounts.add_account(store, "suzuki", "鈴木 一郎", "staff", "suzuki pass", kdf=FAST_KDF)
    keys = store.layout.key_file.read_bytes()
    monkeypatch.delenv(ENV_TEST_SUITE)
    for attempt in (
        lambda: accounts.add_account(store, "tanaka", "田中 花子", "staff", "tanaka pass", kdf=FAST_KDF),
        lambda: accounts.change_passphrase(store, PASSPHRASE, "a brand new one", kdf=FAST_KDF),
        lambda: accounts.reset_passphrase(store, staff_id, "reset passphrase", kdf=FAST_KDF),
    ):
        with pytest.raises(InvalidInput, match="試験専用"):
            attempt()
    assert store.layout.key_file.read_bytes() == keys
    assert [a.login for a in accounts.list_accounts(store)] == ["admin", "suzuki"]


def test_a_join_with_the_light_kdf_is_refused(store, tmp_path, monkeypatch):
    code = devices.add_device(store, "laptop1", tmp_path / "enrolment.shakyo", kdf=FAST_KDF)
    monkeypatch.delenv(ENV_TEST_SUITE)
    with pytest.raises(InvalidInput, match="試験専用"):
        devices.join(tmp_path / "laptop", tmp_path / "enrolment.shakyo", code, "admin", PASSPHRASE, kdf=FAST_KDF)
    assert not (tmp_path / "laptop").exists()


def test_a_restore_setting_a_passphrase_with_the_light_kdf_is_refused(store_and_key, tmp_path, monkeypatch):
    store, recovery = store_and_key
    made = backup.create_backup(store, tmp_path / "b.shakyo-backup")
    monkeypatch.delenv(ENV_TEST_SUITE)
    with pytest.raises(InvalidInput, match="試験専用"):
        backup.restore_backup(made.path, tmp_path / "restored", recovery, login="admin",
                              new_passphrase="a new passphrase", kdf=FAST_KDF)
    assert not (tmp_path / "restored").exists() or not any((tmp_path / "restored").iterdir())


def test_a_weak_entry_is_strengthened_at_its_owners_next_unlock(store, monkeypatch):
    accounts.add_account(store, "suzuki", "鈴木 一郎", "staff", "suzuki pass", kdf=FAST_KDF)
    root = store.layout.root
    store.close()
    assert _kdf(store, "admin") == FAST_KDF  # what SHAKYO_FAST_KDF=1 used to leave in a real store

    monkeypatch.delenv(ENV_TEST_SUITE)
    first = unlock(root, "admin", PASSPHRASE)
    assert STRENGTHENED in first.notices
    assert _kdf(first, "admin") == DEFAULT_KDF
    assert _kdf(first, "suzuki") == FAST_KDF  # its own unlock strengthens it
    first.close()

    again = unlock(root, "admin", PASSPHRASE)
    assert STRENGTHENED not in again.notices
    again.close()
    monkeypatch.setenv(ENV_TEST_SUITE, "")
    suzuki = unlock(root, "suzuki", "suzuki pass")
    assert STRENGTHENED in suzuki.notices and _kdf(suzuki, "suzuki") == DEFAULT_KDF
    suzuki.close()


def test_inside_the_suite_weak_entries_stay_as_they_are(store):
    """The suite keeps its cheap key derivation (and stays fast)."""
    root = store.layout.root
    store.close()
    opened = unlock(root, "admin", PASSPHRASE)
    assert opened.notices == [] and _kdf(opened, "admin") == FAST_KDF
    opened.close()
