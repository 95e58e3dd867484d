"""`shakyo-desk import FILE --kind …` through ``shakyo_desk.cli.main`` (CLI.md's import row)."""

from __future__ import annotations

import json
from datetime import datetime

import openpyxl
import pytest

from shakyo_desk.store.check import check_store
from shakyo_desk.store.services import households, salons
from shakyo_desk.store.store import unlock

from .conftest import PASSPHRASE, assert_one_japanese_line


def write_xlsx(path, rows, merges=(), sheet="名簿"):
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = sheet
    for row in rows:
        ws.append(list(row))
    for cells in merges:
        ws.merge_cells(cells)
    workbook.save(path)
    return str(path)


@pytest.fixture
def listfile(tmp_path, household):
    """Rows 4, 6 and 9 are fine; 5 is a blank row; 7 has an impossible date; 8 is the household
    the ``household`` fixture registered (山田 花子, 架空村上町1-2); 10 repeats row 4."""
    return write_xlsx(tmp_path / "一人暮らし高齢者名簿.xlsx", [
        ["令和7年度 一人暮らし高齢者名簿"],
        ["氏名", "ふりがな", "連絡先", None, "生年月日", "地区", "住所"],
        [None, None, "電話", "携帯", None, None, None],
        ["鈴木 一郎", "すずき いちろう", "０２６７－１１－３３３３", None, "S13.5.6", "上町", "架空村上町5"],
        [],
        ["高橋 ミツ", "タカハシ ミツ", None, "090-1111-2222", datetime(1930, 1, 2), "下町", "架空村下町1"],
        ["田中 正", "タナカ タダシ", "0267-11-4444", None, "令和7年2月30日", "上町", "架空村上町8"],
        ["山田 花子", "ヤマダ ハナコ", "0123-45-6789", None, None, "上町", "架空村上町1-2"],
        ["伊藤 ハル", "イトウ ハル", None, None, 12000, "下町", "架空村下町2"],
        ["鈴木 一郎", "スズキ イチロウ", None, None, "昭和13年5月6日", "上町", "架空村上町5"],
    ], merges=["A2:A3", "B2:B3", "C2:D2", "E2:E3", "F2:F3", "G2:G3"])


def household_count(store_dir) -> int:
    store = unlock(store_dir, "admin", PASSPHRASE)
    try:
        return len(households.list_households(store))
    finally:
        store.close()


def test_dry_run_lists_every_problem_by_row_and_changes_nothing(cli, initialised, listfile):
    before = household_count(initialised)
    code, out, err = cli("import", listfile, "--kind", "households", "--dry-run")
    assert code == 0, err
    assert "ファイル：一人暮らし高齢者名簿.xlsx（シート「名簿」）　種類：世帯と世帯員" in out
    assert "見出し：2〜3行目" in out
    assert "C「連絡先・電話」→電話番号" in out and "D「連絡先・携帯」→携帯電話" in out
    assert "取り込める 3行／問題あり 3行／空の行 1行" in out
    assert "5行目：空の行のため飛ばします。" in out
    assert "7行目 生年月日：令和7年2月30日という日はありません（2025年2月は28日までです）。" in out
    assert "8行目 氏名：すでに登録されています" in out
    assert "10行目 氏名：4行目と同じ方です" in out
    assert "確かめただけで、何も取り込んでいません。" in out
    assert household_count(initialised) == before


def test_dry_run_as_json(cli, initialised, listfile):
    code, out, err = cli("import", listfile, "--kind", "households", "--dry-run", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["imported"] is False and doc["kind"] == "households" and doc["sheet"] == "名簿"
    assert doc["rows"] == {"total": 7, "ready": 3, "problem": 3, "blank": 1}
    assert doc["households"] == 3 and doc["persons"] == 3
    assert {p["row"] for p in doc["problems"] if p["blocking"]} == {7, 8, 10}
    assert {"column": "C", "header": "連絡先・電話", "field": "phone"} in doc["columns"]


def test_refused_while_problems_remain(cli, initialised, listfile):
    before = household_count(initialised)
    code, out, err = cli("import", listfile, "--kind", "households")
    assert code == 2
    assert_one_japanese_line(err)
    assert "問題のある行が3行あるため、何も取り込みませんでした" in err and "--skip-invalid" in err
    assert "7行目 生年月日" in out  # which rows, on stdout
    assert household_count(initialised) == before


def test_skip_invalid_imports_the_valid_rows_and_lists_the_rest(cli, initialised, listfile):
    before = household_count(initialised)
    code, out, err = cli("import", listfile, "--kind", "households", "--skip-invalid")
    assert code == 0, err
    assert "3世帯（世帯員 3人）を取り込みました（3行）" in out
    assert "問題があったため取り込まなかった行：3行" in out
    assert "7行目 田中 正：令和7年2月30日という日はありません" in out
    assert "空の行 1行は飛ばしました。" in out
    assert household_count(initialised) == before + 3
    code, out, err = cli("household", "list", "--search", "すずき", "--format", "json")
    (suzuki,) = json.loads(out)
    assert suzuki["phone"] == "0267-11-3333" and suzuki["district"] == "上町" and suzuki["kana"] == "スズキ イチロウ"
    code, out, err = cli("check")
    assert code == 0, err
    store = unlock(initialised, "admin", PASSPHRASE)
    try:
        assert check_store(store).sound
    finally:
        store.close()
    # again: everything is there already
    code, out, err = cli("import", listfile, "--kind", "households", "--skip-invalid", "--format", "json")
    assert code == 2 and "取り込める行がありません" in err


def test_map_sheet_district_and_flag_options(cli, initialised, district, tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "表紙"
    workbook.active.append(["説明"])
    ws = workbook.create_sheet("対象者")
    ws.append(["番号", "お名前", "TEL", "自宅住所"])
    ws.append([1, "小林 ヨネ", "0267-22-3333", "架空村下町3"])
    path = tmp_path / "対象者.xlsx"
    workbook.save(path)
    code, out, err = cli("import", str(path), "--kind", "households", "--sheet", "対象者", "--district", "下町",
                         "--flag", "一人暮らし高齢者", "--map", "自宅住所=address", "--map", "番号=-", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["imported"] is True and doc["households"] == 1 and doc["imported_rows"] == [2]
    code, out, err = cli("household", "list", "--search", "小林", "--format", "json")
    (row,) = json.loads(out)
    assert row["district"] == "下町" and row["address"] == "架空村下町3" and row["flags"] == ["一人暮らし高齢者"]


def test_salon_regulars_and_agencies(cli, initialised, household, tmp_path):
    store = unlock(initialised, "admin", PASSPHRASE)
    try:
        salon = salons.add_salon(store, "いきいきサロン")
    finally:
        store.close()
    path = tmp_path / "常連.csv"
    path.write_bytes("\ufeff氏名,フリガナ\r\n山田 花子,ヤマダ ハナコ\r\n".encode())
    code, out, err = cli("import", str(path), "--kind", "salon-regulars", "--salon", "いきいきサロン")
    assert code == 0, err
    assert "サロンの常連 1人を取り込みました" in out and "文字コード UTF-8" in out
    store = unlock(initialised, "admin", PASSPHRASE)
    try:
        assert [r.name for r in salons.regulars(store, salon)] == ["山田 花子"]
    finally:
        store.close()
    path = tmp_path / "機関.csv"
    path.write_bytes("機関名,分野,電話\r\n架空村役場 福祉課,行政,0267-00-1111\r\n".encode("cp932"))
    code, out, err = cli("import", str(path), "--kind", "agencies")
    assert code == 0, err
    assert "関係機関 1件を取り込みました" in out and "Shift_JIS" in out


@pytest.mark.parametrize("argv, words, exit_code", [
    (["--kind", "households", "--sheet", "ない"], "シート「ない」", 2),
    (["--kind", "households", "--map", "自宅電話=phone"], "「自宅電話」という列はありません", 2),
    (["--kind", "households", "--map", "氏名=でんわ"], "項目にありません", 2),
    (["--kind", "households", "--district", "中町"], "地区「中町」は登録されていません", 3),
    (["--kind", "agencies", "--district", "上町"], "--district は --kind households", 2),
    (["--kind", "salon-regulars", "--salon", "ない"], "サロン「ない」", 3),
])
def test_refusals_are_one_japanese_line(cli, district, listfile, argv, words, exit_code):
    code, out, err = cli("import", listfile, *argv)
    assert code == exit_code, err
    assert_one_japanese_line(err)
    assert words in err


def test_file_refusals(cli, initialised, tmp_path):
    code, out, err = cli("import", str(tmp_path / "ない.xlsx"), "--kind", "households", "--dry-run")
    assert code == 2 and "見つかりません" in err
    assert_one_japanese_line(err)
    (tmp_path / "古い.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    code, out, err = cli("import", str(tmp_path / "古い.xls"), "--kind", "households")
    assert code == 2 and "古い形式" in err
    code, out, err = cli("import", str(tmp_path / "ない.xlsx"), "--kind", "people")
    assert code == 2 and "--kind" in err
    path = write_xlsx(tmp_path / "l.xlsx", [["番号", "住所"], [1, "架空村"]])
    code, out, err = cli("import", path, "--kind", "households")
    assert code == 2 and "「氏名」にあたる列がありません" in err
    assert_one_japanese_line(err)


def test_only_coordinators_and_admins(cli, initialised, district, listfile):
    from shakyo_desk.store.keyfile import FAST_KDF
    from shakyo_desk.store.services import accounts

    store = unlock(initialised, "admin", PASSPHRASE)
    try:
        accounts.add_account(store, "tanto", "担当", "staff", PASSPHRASE, district_ids=[district], kdf=FAST_KDF)
    finally:
        store.close()
    code, out, err = cli("import", listfile, "--kind", "households", "--dry-run", user="tanto")
    assert code == 4 and "管理者とコーディネーター" in err and out == ""
