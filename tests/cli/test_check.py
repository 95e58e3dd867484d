import json

from shakyo_desk.store.store import unlock
from tests.cli.conftest import PASSPHRASE


def test_check_sound(cli, household):
    code, out, err = cli("check")
    assert code == 0, err
    assert "異常は見つかりませんでした" in out and "世帯：1件" in out


def test_check_json(cli, household):
    code, out, _ = cli("check", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["sound"] is True and doc["problems"] == [] and doc["counts"]["household"] == 1


def test_check_finds_tampered_audit_row(cli, household, store_dir):
    store = unlock(store_dir, "admin", PASSPHRASE)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_log SET login = 'someone' WHERE id = 2")
    store.close()
    code, out, err = cli("check")
    assert code == 7 and out == ""
    assert "Traceback" not in err
    assert "異常" in err.splitlines()[0]
    assert any("監査ログ" in line for line in err.splitlines()[1:])


def test_check_json_when_unsound(cli, household, store_dir):
    store = unlock(store_dir, "admin", PASSPHRASE)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE household SET phone = '0000-99-9999'")
    store.close()
    code, out, err = cli("check", "--format", "json")
    assert code == 7
    doc = json.loads(out)
    assert doc["sound"] is False and any(household in p for p in doc["problems"])
    assert err
