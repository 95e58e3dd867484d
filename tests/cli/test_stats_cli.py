"""`stats --fiscal-year YYYY [--format json|csv] [--out FILE]` (CLI.md), with the extras
--month, --district and --encoding: text, one JSON document, CSV; refusals as one Japanese
line that change nothing; exports audited."""

import csv
import errno
import io
import json

import pytest
import sqlalchemy as sa

from shakyo_desk.domain import clock
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.models import AuditLog
from shakyo_desk.store.store import create_store
from tests.cli.conftest import PASSPHRASE, assert_one_japanese_line
from tests.cli.records_helpers import add_account, opened
from tests.store.test_stats_dataset import DATASET_DAY, build_dataset


@pytest.fixture(autouse=True)
def _on_dataset_day(pin_today):
    pin_today(DATASET_DAY)  # build_dataset's records are dated around this day


@pytest.fixture
def council(store_dir):
    store, _ = create_store(store_dir, "テスト村社会福祉協議会", "admin", PASSPHRASE, kdf=FAST_KDF)
    try:
        data = build_dataset(store)
    finally:
        store.close()
    return data


def audit_actions(store_dir):
    with opened(store_dir) as store, store.read() as s:
        return s.execute(sa.select(AuditLog.action, AuditLog.detail).where(AuditLog.action.like("stats%"))
                         .order_by(AuditLog.id)).all()


def test_text_is_readable_japanese(cli, council, store_dir):
    code, out, err = cli("stats", "--fiscal-year", "2024")
    assert code == 0, err
    assert "期間：令和6年度（令和6年4月1日～令和7年3月31日）" in out
    assert "■ 方法別の訪問記録" in out and "■ つなぎ（関係機関別・結果別）" in out
    visit = next(line for line in out.splitlines() if line.strip().startswith("訪問 "))
    assert visit.split() == ["訪問", "5", "4"]
    assert "「<3」" in out  # the legend
    assert audit_actions(store_dir) == []  # text on the terminal is not an export


def test_json_is_one_document(cli, council, store_dir):
    code, out, err = cli("stats", "--fiscal-year", "2024", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["period"] == {"kind": "fiscal_year", "label": "令和6年度", "fiscal_year": 2024, "month": None,
                             "start": "2024-04-01", "end": "2025-03-31"}
    tables = {t["key"]: t for t in doc["tables"]}
    rows = {r["label"]: r["values"] for r in tables["contacts_by_method"]["rows"]}
    assert rows["訪問"] == [5, 4] and rows["電話"] == ["<3", "<3"] and rows["計"][0] == 10
    assert {r["label"]: r["values"] for r in tables["summary"]["rows"]}["会議の開催回数"] == [4, 1, 3]
    assert doc["suppression"]["threshold"] == 3 and doc["suppression"]["cells_hidden"] > 0
    assert [t["key"] for t in doc["previous_tables"]][:2] == ["contacts_by_method", "contacts_by_district"]
    [(action, detail)] = audit_actions(store_dir)
    assert action == "stats.export" and detail["format"] == "json" and detail["to"] == "stdout"


def test_csv_on_stdout_has_a_bom(cli, council, store_dir):
    code, out, err = cli("stats", "--fiscal-year", "2024", "--format", "csv")
    assert code == 0, err
    assert out.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(out.lstrip("\ufeff"))))
    assert rows[0] == ["統計（社協デスク）"] and ["開始日", "2024-04-01"] in rows
    assert ["訪問", "5", "4"] in rows
    [(action, detail)] = audit_actions(store_dir)
    assert action == "stats_csv.export" and detail["encoding"] == "utf-8"


def test_csv_file_in_cp932(cli, council, store_dir, tmp_path):
    target = tmp_path / "統計.csv"
    code, out, err = cli("stats", "--fiscal-year", "2024", "--format", "csv", "--encoding", "cp932",
                         "--out", str(target))
    assert code == 0, err
    assert str(target) in out and "令和6年度" in out
    rows = list(csv.reader(io.StringIO(target.read_bytes().decode("cp932"), newline="")))
    assert ["期間", "令和6年度（令和6年4月1日～令和7年3月31日）"] in rows
    [(action, detail)] = audit_actions(store_dir)
    assert detail["file"] == "統計.csv" and detail["encoding"] == "cp932"


def test_month_and_district(cli, council):
    code, out, err = cli("stats", "--month", "2025-03", "--district", "北地区", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["period"]["label"] == "令和7年3月" and doc["previous_period"]["label"] == "令和6年3月"
    assert doc["district"]["name"] == "北地区"
    tables = {t["key"]: t for t in doc["tables"]}
    assert [r["label"] for r in tables["contacts_by_district"]["rows"]] == ["上村", "下村", "計"]


def test_staff_get_their_districts_and_reporters_nothing(cli, council, store_dir):
    add_account(store_dir, "kita", "staff", [council.north])
    add_account(store_dir, "care", "reporter")
    code, out, err = cli("stats", "--fiscal-year", "2024", "--format", "json", user="kita")
    assert code == 0, err
    tables = {t["key"]: t for t in json.loads(out)["tables"]}
    assert {r["label"]: r["values"][0] for r in tables["contacts_by_district"]["rows"]} == {"北地区": 7, "計": 7}
    code, out, err = cli("stats", "--fiscal-year", "2024", "--district", "南地区", user="kita")
    assert code == 4 and out == ""
    assert_one_japanese_line(err)
    code, out, err = cli("stats", "--fiscal-year", "2024", user="care")
    assert code == 4 and out == ""
    assert_one_japanese_line(err)


def test_a_period_without_data_gives_zeros_and_a_note(cli, council):
    code, out, err = cli("stats", "--fiscal-year", "2010", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert "この期間の記録はありません（すべて0件です）。" in doc["notes"]
    rows = {r["label"]: r["values"] for r in doc["tables"][1]["rows"]}
    assert rows["計"] == [0, 0]
    assert "記録はありません" in err
    code, out, err = cli("stats", "--fiscal-year", "2010")
    assert code == 0 and "※この期間の記録はありません" in out


@pytest.mark.parametrize("argv, words", [
    (["--fiscal-year", "1800"], "1800年度"),
    (["--fiscal-year", "令和6"], "西暦4桁"),
    (["--fiscal-year", str(clock.today().year + 2)], "まだ始まっていません"),
    (["--month", "2025-13"], "13月"),
    (["--month", "2025年4月"], "YYYY-MM"),
    ([], "--fiscal-year"),
    (["--fiscal-year", "2024", "--month", "2024-05"], "一緒に"),
    (["--fiscal-year", "2024", "--encoding", "cp932"], "--format csv"),
    (["--fiscal-year", "2024", "--format", "csv", "--encoding", "euc-jp"], "cp932"),
    (["--fiscal-year", "2024", "--district", "東地区"], "東地区"),
    (["--fiscal-year", "2024", "--format", "xml"], "xml"),
])
def test_bad_input_is_one_japanese_line_and_changes_nothing(cli, council, store_dir, argv, words):
    code, out, err = cli("stats", *argv)
    assert code != 0 and out == ""
    assert_one_japanese_line(err)
    assert words in err
    assert audit_actions(store_dir) == []


def test_an_unwritable_out_is_refused(cli, council, store_dir, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for target in (tmp_path / "no-such-folder" / "s.csv", tmp_path, blocker / "s.csv"):
        code, out, err = cli("stats", "--fiscal-year", "2024", "--format", "csv", "--out", str(target))
        assert code == 2 and out == "", target
        assert_one_japanese_line(err)
    assert audit_actions(store_dir) == []


def test_a_full_disk_leaves_nothing(cli, council, store_dir, tmp_path, monkeypatch):
    from shakyo_desk.domain import safe_file

    def full(*_):
        raise OSError(errno.ENOSPC, "No space left on device")

    assert cli("check")[0] == 0  # a first unlock publishes the reporters' drop box (issue 16): done before the disk fills
    monkeypatch.setattr(safe_file.os, "fsync", full)
    target = tmp_path / "out" / "s.json"
    target.parent.mkdir()
    code, out, err = cli("stats", "--fiscal-year", "2024", "--format", "json", "--out", str(target))
    assert code == 2 and out == ""
    assert_one_japanese_line(err)
    assert "空き" in err
    assert list(target.parent.iterdir()) == []
    assert audit_actions(store_dir) == []
