"""The CLI and the data key (issue 16): `account disable` rotates and says so, `account
recovery-key` makes a new recovery key, SHAKYO_FAST_KDF is refused outside the test suite, and
notices from an unlock (a weak entry strengthened) are printed."""

import json
import os
import subprocess

import pytest
import sqlcipher3

from shakyo_desk.store.keyfile import ENV_TEST_SUITE, STRENGTHENED, WEAK_KDF_REFUSED, KeyFile
from shakyo_desk.store.store import unlock, unlock_with_recovery
from tests.cli.conftest import COUNCIL, PASSPHRASE, assert_one_japanese_line
from tests.cli.test_console_script import _command


def _opens(database, data_key: bytes) -> bool:
    conn = sqlcipher3.connect(str(database))
    try:
        conn.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
        conn.execute("SELECT count(*) FROM staff").fetchone()
        return True
    except sqlcipher3.DatabaseError:
        return False
    finally:
        conn.close()


def test_account_disable_rotates_the_key(cli, initialised, monkeypatch):
    monkeypatch.setenv("SHAKYO_NEW_PASSPHRASE", "suzuki pass")
    code, _, err = cli("account", "add", "--login", "suzuki", "--role", "staff")
    assert code == 0, err
    copied = (initialised / "keys.json").read_bytes()
    old_key = KeyFile.from_json(copied).unwrap_for_account("suzuki", "suzuki pass")

    code, out, err = cli("account", "disable", "suzuki")
    assert code == 0, err
    assert "無効にしました" in out and "データの鍵を作り直しました" in out
    assert "データの鍵を作り直しています" in err  # progress on stderr
    assert not _opens(initialised / "shakyo.db", old_key)

    code, out, err = cli("account", "enable", "suzuki", "--format", "json")
    assert code == 0, err
    code, out, err = cli("account", "disable", "suzuki", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["key_rotated"] is True and doc["active"] is False and doc["needs_reset"] == []


def test_account_recovery_key_makes_a_new_one(cli, initialised):
    code, out, err = cli("account", "recovery-key", "--format", "json")
    assert code == 0, err
    key = json.loads(out)["recovery_key"]
    unlock_with_recovery(initialised, key, "admin", "recovered pass").close()


def _run(*argv, env_changes: dict, drop=()):
    env = {**os.environ, **env_changes}
    for name in drop:
        env.pop(name, None)
    env.pop("SHAKYO_DEBUG", None)
    done = subprocess.run([*_command(), *argv], capture_output=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


@pytest.mark.slow
def test_the_light_kdf_is_refused_outside_the_test_suite(tmp_path):
    store = tmp_path / "store"
    code, out, err = _run("init", "--store", str(store), "--council", COUNCIL, "--user", "admin",
                          env_changes={"SHAKYO_FAST_KDF": "1", "SHAKYO_PASSPHRASE": PASSPHRASE},
                          drop=[ENV_TEST_SUITE])
    assert code == 2, err
    assert_one_japanese_line(err)
    assert err.strip() == WEAK_KDF_REFUSED
    assert out == "" and not store.exists()

    # The same command inside the test suite (the switch inherited) is allowed.
    code, out, err = _run("init", "--store", str(store), "--council", COUNCIL, "--user", "admin",
                          env_changes={"SHAKYO_FAST_KDF": "1", "SHAKYO_PASSPHRASE": PASSPHRASE})
    assert code == 0, err


@pytest.mark.slow
def test_an_unlock_that_strengthens_a_weak_entry_says_so(initialised):
    """A store made with SHAKYO_FAST_KDF=1 (as before issue 16): the next command outside the
    test suite strengthens the admin's entry and prints the notice."""
    code, out, err = _run("account", "list", "--store", str(initialised), "--user", "admin",
                          env_changes={"SHAKYO_PASSPHRASE": PASSPHRASE}, drop=[ENV_TEST_SUITE, "SHAKYO_FAST_KDF"])
    assert code == 0, err
    assert STRENGTHENED in err and "admin" in out
    entry = KeyFile.load(initialised / "keys.json").accounts["admin"]
    assert entry["kdf"]["memory_kib"] == 65536
    unlock(initialised, "admin", PASSPHRASE).close()
