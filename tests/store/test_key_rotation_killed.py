"""A process killed at any step of disabling an account and rotating the data key leaves a
store that the remaining accounts and the recovery key unlock, with the key rotated by then
(the next unlock finishes or redoes it), and in which the disabled account's old entry opens
nothing. Each case kills a real child process (tests/store/rekey_killing.py) on a real store."""

import shutil
from pathlib import Path

import pytest
import sqlcipher3

from shakyo_desk.domain.errors import AuthError
from shakyo_desk.store import rekey
from shakyo_desk.store.check import check_store
from shakyo_desk.store.keyfile import FAST_KDF, KeyFile
from shakyo_desk.store.services import accounts, districts, households
from shakyo_desk.store.store import create_store, unlock, unlock_with_recovery
from tests.store.rekey_killing import KILLED, POINTS, run_killed

from .conftest import PASSPHRASE

PADDING_MB = 24  # enough pages that the kill lands while SQLCipher is still rewriting them


def opens(database: Path, data_key: bytes) -> bool:
    conn = sqlcipher3.connect(str(database))
    try:
        conn.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
        conn.execute("SELECT count(*) FROM household").fetchone()
        return True
    except sqlcipher3.DatabaseError:
        return False
    finally:
        conn.close()


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """A store with admin, suzuki (to be disabled) and tanaka, padded to a few MB; its
    recovery key; the key file as it was before any disable."""
    root = tmp_path_factory.mktemp("rotation") / "store"
    store, recovery = create_store(root, "テスト村社会福祉協議会", "admin", PASSPHRASE, kdf=FAST_KDF)
    district = districts.add_district(store, "上町", "かみまち")
    households.add_household(store, district, "架空 上子", address="架空村上町1")
    accounts.add_account(store, "suzuki", "鈴木 一郎", "staff", "suzuki pass", kdf=FAST_KDF)
    accounts.add_account(store, "tanaka", "田中 花子", "coordinator", "tanaka pass", kdf=FAST_KDF)
    key = store.data_key
    store.close()
    pad = sqlcipher3.connect(str(root / "shakyo.db"), isolation_level=None)
    pad.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    pad.execute("CREATE TABLE test_padding (x BLOB)")  # stands in for a council's years of records
    pad.executemany("INSERT INTO test_padding VALUES (randomblob(65536))", [()] * (PADDING_MB * 16))
    pad.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pad.close()
    return root, recovery, (root / "keys.json").read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_a_kill_at_any_step_leaves_a_store_that_unlocks_rotated(original, tmp_path, point):
    source, recovery, keys_before = original
    root = tmp_path / "store"
    shutil.copytree(source, root)
    database = root / "shakyo.db"
    old_key = KeyFile.from_json(keys_before).unwrap_for_account("suzuki", "suzuki pass")

    assert run_killed(root, PASSPHRASE, "suzuki", point) == KILLED
    # Where the kill left things (so each case tests what its name says).
    old_db = point in ("disabled", "pending", "mid-rekey")  # mid-rekey: before SQLCipher's commit
    pending = point in ("pending", "mid-rekey", "rekeyed", "checkpointed", "verified", "switching")
    assert opens(database, old_key) == old_db
    assert (root / "keys.json.next").exists() == pending
    keys_json_key = KeyFile.load(root / "keys.json").unwrap_for_account("admin", PASSPHRASE)
    assert (keys_json_key == old_key) == (point not in ("switching", "switched", "done"))

    admin = unlock(root, "admin", PASSPHRASE)  # finishes or redoes the rotation
    assert not accounts.get_account(admin, "suzuki").active
    assert not opens(database, old_key)
    assert opens(database, admin.data_key)
    assert not rekey.pending_file(admin.layout).exists()
    assert "suzuki" not in admin.keyfile.accounts
    assert check_store(admin).sound
    admin.close()

    unlock(root, "tanaka", "tanaka pass").close()
    with pytest.raises(AuthError):
        unlock(root, "suzuki", "suzuki pass")
    unlock_with_recovery(root, recovery, "tanaka", "tanaka new pass").close()
    again = unlock(root, "admin", PASSPHRASE)
    assert again.notices == []  # nothing left to finish or rotate
    again.close()
