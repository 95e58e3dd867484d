import sqlite3

import pytest
import sqlalchemy as sa

from shakyo_desk.domain.errors import AuthError, StoreError
from shakyo_desk.store.engine import open_engine, probe
from shakyo_desk.store.services import households
from shakyo_desk.store.store import unlock

from .conftest import PASSPHRASE


def test_database_file_is_not_plain_sqlite(store, district):
    households.add_household(store, district, "山田 花子", "ヤマダ ハナコ", address="架空村上町1")
    store.close()
    raw = store.layout.database.read_bytes()
    assert not raw.startswith(b"SQLite format 3\x00")
    assert "山田".encode() not in raw and "ヤマダ".encode() not in raw
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(store.layout.database).execute("SELECT * FROM household").fetchall()


def test_wrong_data_key_fails_cleanly(store):
    store.close()
    engine = open_engine(store.layout.database, b"\x01" * 32)
    with pytest.raises(sa.exc.DatabaseError):
        probe(engine)
    engine.dispose()


def test_wrong_passphrase_changes_nothing(store, district):
    store.close()
    before = store.layout.database.read_bytes(), store.layout.key_file.read_bytes()
    with pytest.raises(AuthError) as err:
        unlock(store.layout.root, "admin", "not the passphrase")
    assert "パスフレーズが違います" in err.value.message
    assert (store.layout.database.read_bytes(), store.layout.key_file.read_bytes()) == before


def test_unknown_account_is_refused(store):
    store.close()
    with pytest.raises(AuthError) as err:
        unlock(store.layout.root, "nobody", PASSPHRASE)
    assert "nobody" in err.value.message


def test_missing_or_empty_store_folder(tmp_path):
    for folder in (tmp_path / "missing", tmp_path):
        with pytest.raises(StoreError) as err:
            unlock(folder, "admin", PASSPHRASE)
        assert "データがありません" in err.value.message


def test_corrupted_key_file_is_refused_untouched(store):
    store.close()
    store.layout.key_file.write_bytes(b'{"accounts": {"admin": {"kdf": ')
    damaged = store.layout.key_file.read_bytes()
    with pytest.raises(StoreError) as err:
        unlock(store.layout.root, "admin", PASSPHRASE)
    assert "鍵ファイル" in err.value.message
    assert store.layout.key_file.read_bytes() == damaged


def test_locked_store_refuses_work(store):
    store.close()
    with pytest.raises(StoreError):
        households.list_households(store)
