"""`audit list|verify|export`: the 操作の記録 for administrators' scripts and inspections."""

import csv
import json

import sqlcipher3

from shakyo_desk.domain.errors import IntegrityProblem
from shakyo_desk.domain.wareki import format_wareki_short
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import accounts
from shakyo_desk.store.store import unlock
from tests.cli.conftest import PASSPHRASE, assert_one_japanese_line
from shakyo_desk.domain import clock


def _entries(cli, *filters):
    code, out, err = cli("audit", "list", "--format", "json", *filters)
    assert code == 0, err
    return json.loads(out)


def test_list_filters_by_group_and_household(cli, household):
    code, _, err = cli("household", "show", household, "--format", "json")
    assert code == 0, err
    everything = _entries(cli)["entries"]
    assert [e["id"] for e in everything] == sorted((e["id"] for e in everything), reverse=True)  # newest first
    assert {"store.create", "household.view"} <= {e["action"] for e in everything}

    views = _entries(cli, "--group", "view")["entries"]
    assert views and {e["action"] for e in views} == {"household.view"}
    assert views[0]["entity_id"] == household and views[0]["label"] == "世帯の閲覧"

    mine = _entries(cli, "--household", household)["entries"]
    assert mine and all(e["group"] in ("view", "change") for e in mine)
    assert {e["entity"] for e in mine} >= {"household", "person"}  # the member hangs on the household
    assert not any(e["action"] == "store.create" for e in mine)

    code, out, err = cli("audit", "list", "--group", "view")
    assert code == 0, err
    first, *lines = out.splitlines()
    assert first == f"{len(views)}件" and format_wareki_short(clock.today()) in lines[0] and "世帯の閲覧" in lines[0]


def test_paging_with_before(cli, household):
    page = _entries(cli, "--limit", "2")
    assert len(page["entries"]) == 2 and page["more"] is True
    rest = _entries(cli, "--limit", "1000", "--before", str(page["next_before"]))
    ids = [e["id"] for e in page["entries"]] + [e["id"] for e in rest["entries"]]
    assert page["next_before"] == ids[1] and ids == list(range(ids[0], 0, -1))  # every older entry, once


def test_verify_then_tampering_is_reported(cli, household, store_dir):
    code, out, err = cli("audit", "verify")
    assert code == 0, err
    assert "正しくつながっています" in out
    store = unlock(store_dir, "admin", PASSPHRASE)
    key = store.data_key
    store.close()
    conn = sqlcipher3.connect(str(store_dir / "shakyo.db"))
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    conn.execute("UPDATE audit_log SET detail = '{\"fields\": [\"phone\"]}' WHERE id = 3")
    conn.commit()
    conn.close()
    code, out, err = cli("audit", "verify", "--format", "json")
    assert code == IntegrityProblem.exit_code != 0
    doc = json.loads(out)
    assert {k: doc[k] for k in ("sound", "broken_at")} == {"sound": False, "broken_at": 3}
    assert doc["problems"] == ["第3件の記録が書き換えられています。"]
    assert_one_japanese_line(err)
    assert "番号 3" in err


def test_export_reads_back_and_is_itself_recorded(cli, household, tmp_path):
    target = tmp_path / "監査.csv"
    code, out, err = cli("audit", "export", "--out", str(target), "--household", household, "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    assert result["rows"] > 0 and result["encoding"] == "utf-8"
    text = target.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(text.splitlines()))
    assert any(household in cell for row in rows for cell in row)
    assert not any("データの作成" in cell for row in rows for cell in row)  # filtered out
    exports = _entries(cli, "--group", "export")["entries"]
    assert exports[0]["action"] == "audit.export" and exports[0]["detail"]["rows"] == result["rows"]


def test_refusals_change_nothing(cli, household, store_dir, tmp_path):
    store = unlock(store_dir, "admin", PASSPHRASE)
    try:
        accounts.add_account(store, "coord", "調整 花子", "coordinator", PASSPHRASE, kdf=FAST_KDF)
    finally:
        store.close()
    before = _entries(cli, "--limit", "1000")["entries"]
    target = tmp_path / "out.csv"
    for argv, user in [
        (("audit", "list"), "coord"),
        (("audit", "export", "--out", str(target)), "coord"),
        (("audit", "list", "--from", "2026-13-01"), "admin"),
        (("audit", "list", "--from", "2026-05-02", "--to", "2026-05-01"), "admin"),
        (("audit", "export", "--out", str(tmp_path)), "admin"),  # a folder, not a file
    ]:
        code, out, err = cli(*argv, user=user)
        assert code != 0 and out == "", argv
        assert_one_japanese_line(err)
    assert not target.exists()
    after = _entries(cli, "--limit", "1000")["entries"]
    assert {e["action"] for e in after if e["id"] not in {b["id"] for b in before}} <= {"session.unlock"}


def test_head_prints_the_last_entry_and_verify_compares_with_a_backup(cli, household, store_dir, tmp_path):
    code, out, err = cli("audit", "head", "--format", "json")
    assert code == 0, err
    head = json.loads(out)
    assert head["id"] > 3 and len(head["hash"]) == 64 and head["witnessed"] == 0
    code, out, err = cli("audit", "head")
    assert code == 0, err
    assert f"最新の記録：第{head['id'] + 1}件" in out  # (reading the head is itself no entry; the unlock is)
    target = tmp_path / "b.shakyo-backup"
    assert cli("backup", "--to", str(target))[0] == 0
    code, out, err = cli("audit", "verify", "--backup", str(target))
    assert code == 0, err
    assert "正しくつながっています" in out and "控え2件とも合っています" in out  # the recorded one and the file

    # The tail cut back to before the backup, and the store's own witnesses wiped: the file tells.
    store = unlock(store_dir, "admin", PASSPHRASE)
    key = store.data_key
    store.close()
    conn = sqlcipher3.connect(str(store_dir / "shakyo.db"))
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    conn.execute("DELETE FROM audit_log WHERE id > 3")
    conn.execute("UPDATE sqlite_sequence SET seq = 3 WHERE name = 'audit_log'")
    conn.execute("DELETE FROM audit_witness")
    conn.commit()
    conn.close()
    code, out, err = cli("audit", "verify")
    assert code == 0, err  # nothing in the store tells
    code, out, err = cli("audit", "verify", "--backup", str(target), "--format", "json")
    assert code == IntegrityProblem.exit_code
    doc = json.loads(out)
    assert not doc["sound"] and doc["witnesses"] == 1
    assert len(doc["problems"]) == 1 and "の記録が消されています（バックアップファイル「b.shakyo-backup」の控えでは" in doc["problems"][0]
    code, out, err = cli("audit", "verify", "--backup", str(target))
    assert "の記録が消されています" in err and "記録の番号" not in err  # the chain itself holds together
    assert_one_japanese_line(err)
