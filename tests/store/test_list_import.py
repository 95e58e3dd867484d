"""Importing existing lists (store/imports): hand-made spreadsheets and CSVs with the bad input
councils really have — merged header cells, blank rows, 和暦/西暦/Excel dates, impossible
dates, full-width phone digits, the same person twice, a household already registered, mixed
encodings — checked row by row, and written in one transaction or not at all."""

from __future__ import annotations

import json
from datetime import date, datetime

import openpyxl
import pytest
import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput, PermissionDenied
from shakyo_desk.store.check import check_store
from shakyo_desk.store.imports import (
    BLANK, OK, PROBLEM, WARNING, ImportHasProblems, ImportOptions, apply_import, apply_map_options, decode_csv,
    guess_mapping, preview_import, read_table,
)
from shakyo_desk.store.imports import values as V
from shakyo_desk.store.models import Agency, AuditLog, ChangeLog, Household, Person, SalonRegular
from shakyo_desk.store.services import agencies, districts, households, salons
from shakyo_desk.store.writer import Writer

from .conftest import login_as

TODAY = date(2025, 11, 23)


# ---- hand-made files -------------------------------------------------------------------------

def write_xlsx(path, rows, *, merges=(), title="名簿", extra_sheets=()):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    for cells in merges:
        sheet.merge_cells(cells)
    for name, more in extra_sheets:
        other = workbook.create_sheet(name)
        for row in more:
            other.append(list(row))
    workbook.save(path)
    return path


def elderly_list(path):
    """A 一人暮らし高齢者名簿 as a council keeps it: a title, two header rows with merged cells
    (連絡先 over 電話 and 携帯), blank rows, dates written every way, a bad date, full-width
    phone digits, the same person twice and someone already registered."""
    rows = [
        ["令和7年度 一人暮らし高齢者名簿（上町）"],
        ["令和7年4月1日現在"],
        ["氏名", "フリガナ", "連絡先", None, "生年月日", "性別", "地区", "住所", "備考"],
        [None, None, "電話", "携帯", None, None, None, None, None],
        ["山田　花子", "やまだ　はなこ", "０２６７－１１－２２２２", "090-1111-2222", "昭和15年3月10日", "女", "上町",
         "架空村上町１－２", "足が悪い"],                                                                      # 5
        ["鈴木 一郎", "ｽｽﾞｷ ｲﾁﾛｳ", 267113333, None, datetime(1938, 5, 6), "男", "上町地区", "架空村上町5", None],  # 6
        [],                                                                                               # 7
        ["田中 正", "タナカ タダシ", "0267-11-4444", None, "令和7年2月30日", "男", "上町", "架空村上町8", None],  # 8
        ["高橋 ミツ", "タカハシ ミツ", "0267-11-5555", None, 14000, "女", "上町", "架空村上町9", None],          # 9
        ["山田 花子", "ヤマダ ハナコ", "0267-11-2222", None, "S15.3.10", "女", "上町", "架空村上町1-2", None],    # 10
        ["佐藤 一郎", "サトウ イチロウ", "0267-11-6666", None, "1935/1/1", "男", "上町", "架空村上町3", None],    # 11
        ["伊藤 ハル", "イトウ ハル", "でんわ", None, "H31.5.1", "女", "上町", "架空村上町10", None],            # 12
        ["渡辺 トメ", "ワタナベ トメ", "0267-11-7777", None, "大正14年1月5日", "女", "中町", "架空村中町1", None],  # 13
        [],
        [],
    ]
    merges = ["A3:A4", "B3:B4", "C3:D3", "E3:E4", "F3:F4", "G3:G4", "H3:H4", "I3:I4"]
    return write_xlsx(path, rows, merges=merges)


@pytest.fixture
def village(store):
    kami = districts.add_district(store, "上町", "かみまち")
    shimo = districts.add_district(store, "下町", "しもまち")
    existing = households.add_household(store, kami, "佐藤 一郎", "サトウ イチロウ", address="架空村上町3")
    return {"kami": kami, "shimo": shimo, "existing": existing}


def counts(store):
    with store.read() as s:
        return {model.__tablename__: s.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()
                for model in (Household, Person, Agency, SalonRegular, ChangeLog, AuditLog)}


def problems_by_row(preview):
    found = {}
    for p in preview.problems:
        found.setdefault(p.row, []).append(p)
    return found


def preview_of(store, path, kind="households", options=ImportOptions(), **kwargs):
    table = read_table(path, **kwargs)
    mapping = guess_mapping(table.columns, kind)
    return table, mapping, preview_import(store, table, kind, mapping, options, today=TODAY)


# ---- reading -----------------------------------------------------------------------------------

def test_header_under_a_title_with_merged_cells_over_two_rows(tmp_path):
    table = read_table(elderly_list(tmp_path / "名簿.xlsx"))
    assert table.format == "xlsx" and table.sheet == "名簿"
    assert table.header_rows == (3, 4)
    labels = [(c.letter, c.label) for c in table.columns]
    assert labels == [("A", "氏名"), ("B", "フリガナ"), ("C", "連絡先・電話"), ("D", "連絡先・携帯"), ("E", "生年月日"),
                      ("F", "性別"), ("G", "地区"), ("H", "住所"), ("I", "備考")]
    assert [r.number for r in table.rows] == list(range(5, 14))  # blank rows after the last one are not rows
    assert table.rows[2].blank
    mapping = guess_mapping(table.columns, "households")
    assert [mapping[c.index] for c in table.columns] == [
        "name", "kana", "phone", "mobile", "birth_date", "sex", "district", "address", "notes"]


def test_sheet_choice_and_refusals(tmp_path):
    path = write_xlsx(tmp_path / "book.xlsx", [["メモ"]], extra_sheets=[("世帯", [["氏名", "住所"], ["山田", "上町"]])])
    table = read_table(path, sheet="世帯")
    assert table.sheets == ("名簿", "世帯") and table.sheet == "世帯" and table.rows[0].cells[0] == "山田"
    with pytest.raises(InvalidInput, match="シート「なし」.*名簿、世帯"):
        read_table(path, sheet="なし")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InvalidInput, match="古い形式"):
        read_table(tmp_path / "old.xls")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(InvalidInput, match="開けませんでした"):
        read_table(tmp_path / "broken.xlsx")
    with pytest.raises(InvalidInput, match="見つかりません"):
        read_table(tmp_path / "missing.csv")
    (tmp_path / "empty.csv").write_bytes(b"\r\n\r\n")
    with pytest.raises(InvalidInput, match="何も書かれていません"):
        read_table(tmp_path / "empty.csv")


CSV_TEXT = "氏名,ふりがな,住所,電話番号,生年月日,地区\r\n山田 花子,やまだ はなこ,架空村上町1-2,0267-11-2222,R2.4.1,上町\r\n"


@pytest.mark.parametrize("encoding, data", [
    ("utf-8", CSV_TEXT.encode("utf-8")),
    ("utf-8", b"\xef\xbb\xbf" + CSV_TEXT.encode("utf-8")),
    ("cp932", CSV_TEXT.encode("cp932")),
])
def test_csv_encodings(tmp_path, encoding, data):
    path = tmp_path / "list.csv"
    path.write_bytes(data)
    table = read_table(path)
    assert table.encoding == encoding and table.format == "csv"
    assert [c.header for c in table.columns] == ["氏名", "ふりがな", "住所", "電話番号", "生年月日", "地区"]
    assert table.rows[0].cells[0] == "山田 花子" and table.read_problems == ()


def test_mixed_encodings_are_a_problem_of_the_row(tmp_path, store, village):
    lines = ["氏名,フリガナ,住所,地区", "山田 花子,ヤマダ ハナコ,架空村上町1,上町", "鈴木 一郎,スズキ イチロウ,架空村上町2,上町",
             "田中 正,タナカ タダシ,架空村上町3,上町"]
    data = b"\r\n".join([lines[0].encode("cp932"), lines[1].encode("cp932"), lines[2].encode("utf-8"),
                         lines[3].encode("cp932")]) + b"\r\n"
    text, encoding, bad = decode_csv(data)
    assert encoding == "cp932" and list(bad) == [3] and "UTF-8" in bad[3] and "Shift_JIS" in bad[3]
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    _table, _mapping, preview = preview_of(store, path)
    rows = {r.number: r for r in preview.rows}
    assert rows[3].status == PROBLEM and rows[3].name == "鈴木 一郎"  # read for showing, never imported
    assert "文字コードが違います" in rows[3].problems[0].message
    assert rows[2].status == OK and rows[4].status == OK


def test_a_line_in_no_encoding_at_all(tmp_path):
    data = "氏名,住所\r\n山田,上町\r\n".encode("cp932") + b"\x81 ,x\r\n"
    _text, encoding, bad = decode_csv(data)
    assert encoding == "cp932" and list(bad) == [3] and "読めない文字" in bad[3]


# ---- the preview ---------------------------------------------------------------------------------

def test_preview_lists_every_problem_by_row_and_writes_nothing(tmp_path, store, village):
    before = counts(store)
    _table, _mapping, preview = preview_of(store, elderly_list(tmp_path / "名簿.xlsx"))
    assert counts(store) == before
    rows = {r.number: r for r in preview.rows}
    found = problems_by_row(preview)
    assert rows[5].status == OK and rows[6].status == OK and rows[9].status == OK
    assert rows[7].status == BLANK and "空の行" in found[7][0].message
    assert rows[8].status == PROBLEM
    assert found[8][0].column == "生年月日" and "令和7年2月30日という日はありません" in found[8][0].message
    assert rows[10].status == PROBLEM and "5行目と同じ方です" in found[10][0].message
    assert rows[11].status == PROBLEM and "すでに登録されています" in found[11][0].message
    assert rows[12].status == PROBLEM
    assert {p.column for p in found[12]} == {"連絡先・電話", "生年月日"}
    assert any("電話番号ではありません" in p.message for p in found[12])
    assert any("平成が終わった後" in p.message for p in found[12])
    assert rows[13].status == PROBLEM and found[13][0].column == "地区" and "中町" in found[13][0].message
    assert (preview.ready_rows, preview.problem_rows, preview.blank_rows) == (3, 5, 1)
    assert (preview.households, preview.persons) == (3, 3)
    assert not preview.can_apply() and preview.can_apply(skip_invalid=True)
    assert [p.row for p in preview.problems] == sorted(p.row for p in preview.problems)
    assert found[8][0].text() == "8行目 生年月日：令和7年2月30日という日はありません（2025年2月は28日までです）。"
    district = found[13][0]  # 「地区「中町」は登録されていません…」 names its column itself
    assert district.column_named and district.shown == district.message
    assert district.text() == f"13行目：{district.message}"


def test_a_problem_names_its_column_once():
    from shakyo_desk.store.imports.service import Problem

    dated = Problem(4, "生年月日", "令和7年2月30日という日はありません（2025年2月は28日までです）。")
    assert dated.shown == "生年月日：令和7年2月30日という日はありません（2025年2月は28日までです）。"
    kana = Problem(5, "ふりがな", "フリガナ「かたぎり 稲」にカタカナ以外の文字があります（そのまま登録します）。", blocking=False)
    assert kana.column_named and kana.shown == kana.message
    assert kana.text() == "5行目：フリガナ「かたぎり 稲」にカタカナ以外の文字があります（そのまま登録します）。"


def test_nothing_is_imported_while_problems_remain(tmp_path, store, village):
    table, mapping, _preview = preview_of(store, elderly_list(tmp_path / "名簿.xlsx"))
    before = counts(store)
    with pytest.raises(ImportHasProblems) as refused:
        apply_import(store, table, "households", mapping, today=TODAY)
    assert "問題のある行が5行" in refused.value.message and refused.value.preview.problem_rows == 5
    assert counts(store) == before


def test_skip_invalid_imports_exactly_the_valid_rows(tmp_path, store, village):
    table, mapping, _preview = preview_of(store, elderly_list(tmp_path / "名簿.xlsx"))
    before = counts(store)
    result = apply_import(store, table, "households", mapping, skip_invalid=True, today=TODAY)
    assert result.imported_rows == (5, 6, 9)
    assert [r.number for r in result.skipped] == [8, 10, 11, 12, 13]
    assert (result.households, result.persons, result.blank_rows) == (3, 3, 1)
    after = counts(store)
    assert after["household"] == before["household"] + 3 and after["person"] == before["person"] + 3
    listed = {h.head_name: h for h in households.list_households(store)}
    assert set(listed) == {"佐藤 一郎", "山田 花子", "鈴木 一郎", "高橋 ミツ"}

    yamada = households.get_household(store, listed["山田 花子"].id, log=False)
    assert yamada.district_id == village["kami"] and yamada.address == "架空村上町1-2"
    assert yamada.phone == "0267-11-2222" and yamada.notes == "足が悪い"
    (hanako,) = yamada.members
    assert (hanako.kana, hanako.sex, hanako.birth_date, hanako.relation) == ("ヤマダ ハナコ", "女", date(1940, 3, 10), "本人")
    assert hanako.notes == "携帯：090-1111-2222"
    suzuki = households.get_household(store, listed["鈴木 一郎"].id, log=False)
    assert suzuki.phone == "0267113333"  # the leading zero Excel dropped from a number cell
    assert suzuki.members[0].kana == "スズキ イチロウ" and suzuki.members[0].birth_date == date(1938, 5, 6)
    takahashi = households.get_household(store, listed["高橋 ミツ"].id, log=False)
    assert takahashi.members[0].birth_date == date(1938, 4, 30)  # Excel serial 14000

    assert check_store(store).sound
    # Importing the same list again finds everyone already registered.
    _table, _mapping, again = preview_of(store, tmp_path / "名簿.xlsx")
    assert again.ready_rows == 0
    assert all(any("すでに登録されています" in p.message or "行目と同じ方" in p.message or "中町" in p.message
                   or "電話番号" in p.message or "日という日はありません" in p.message for p in r.problems)
               for r in again.rows if r.status != BLANK)


def test_audit_entry_names_the_file_and_counts_but_no_person(tmp_path, store, village):
    table, mapping, _preview = preview_of(store, elderly_list(tmp_path / "名簿.xlsx"))
    apply_import(store, table, "households", mapping, skip_invalid=True, today=TODAY)
    with store.read() as s:
        entry = s.execute(sa.select(AuditLog).where(AuditLog.action == "list_import.apply")).scalar_one()
        detail = entry.detail
    assert detail["file"] == "名簿.xlsx" and detail["kind"] == "households" and detail["sheet"] == "名簿"
    assert (detail["households"], detail["persons"], detail["imported_rows"], detail["skipped_rows"],
            detail["blank_rows"]) == (3, 3, 3, 5, 1)
    text = json.dumps(detail, ensure_ascii=False)
    for personal in ("山田", "花子", "鈴木", "0267", "架空村", "ヤマダ", "1940"):
        assert personal not in text
    from shakyo_desk.store.services import audit_log

    [shown] = [e for e in audit_log.query(store, action_group="change").entries if e.action == "list_import.apply"]
    assert shown.label == "名簿の取り込み"  # on the 操作の記録 page, among 登録・変更


def test_a_failure_mid_apply_leaves_nothing_imported(tmp_path, store, village, monkeypatch):
    table, mapping, _preview = preview_of(store, elderly_list(tmp_path / "名簿.xlsx"))
    before = counts(store)
    original = Writer.insert
    calls = {"n": 0}

    def failing_insert(self, model, values, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:  # the second household's first member
            raise OSError("disk full")
        return original(self, model, values, **kwargs)

    monkeypatch.setattr(Writer, "insert", failing_insert)
    with pytest.raises(Exception, match="保存できませんでした"):
        apply_import(store, table, "households", mapping, skip_invalid=True, today=TODAY)
    monkeypatch.setattr(Writer, "insert", original)
    assert calls["n"] == 4
    assert counts(store) == before
    assert check_store(store).sound


def test_duplicates_are_checked_again_inside_the_transaction(tmp_path, store, village):
    path = write_xlsx(tmp_path / "l.xlsx", [["氏名", "フリガナ", "住所", "地区"],
                                            ["木村 キヨ", "キムラ キヨ", "架空村下町1", "下町"],
                                            ["林 カツ", "ハヤシ カツ", "架空村下町2", "下町"]])
    table, mapping, preview = preview_of(store, path)
    assert preview.clean
    # Someone registers 木村 キヨ on another screen between the preview and the import.
    households.add_household(store, village["shimo"], "木村 キヨ", "キムラ キヨ", address="架空村下町1")
    before = counts(store)
    with pytest.raises(ImportHasProblems, match="問題のある行が1行"):
        apply_import(store, table, "households", mapping, today=TODAY)
    assert counts(store) == before
    result = apply_import(store, table, "households", mapping, skip_invalid=True, today=TODAY)
    assert result.imported_rows == (3,) and [r.number for r in result.skipped] == [2]


def test_only_coordinators_and_admins_import(tmp_path, store, village):
    path = write_xlsx(tmp_path / "l.xlsx", [["氏名", "地区"], ["木村 キヨ", "下町"]])
    table = read_table(path)
    mapping = guess_mapping(table.columns, "households")
    coordinator = login_as(store, "coord", "coordinator")
    try:
        assert preview_import(coordinator, table, "households", mapping, today=TODAY).clean
    finally:
        coordinator.close()
    for role in ("staff", "reporter"):
        other = login_as(store, f"{role}1", role, district_ids=[village["shimo"]])
        try:
            before = counts(store)
            with pytest.raises(PermissionDenied, match="管理者とコーディネーター"):
                preview_import(other, table, "households", mapping, today=TODAY)
            with pytest.raises(PermissionDenied):
                apply_import(other, table, "households", mapping, today=TODAY)
            assert counts(store) == before
        finally:
            other.close()


# ---- households: grouping, districts, defaults ---------------------------------------------------

def test_rows_with_the_same_household_number_are_one_household(tmp_path, store, village):
    path = write_xlsx(tmp_path / "世帯.xlsx", [
        ["世帯番号", "氏名", "フリガナ", "続柄", "生年月日", "地区", "住所", "電話", "携帯", "備考"],
        [1, "中村 茂", "ナカムラ シゲル", "妻", "S20.1.1", "下町", "架空村下町7", "0267-22-1111", None, None],
        [1, "中村 ヨシ", "ナカムラ ヨシ", "世帯主", "S18.2.2", "下町", None, None, "080-1111-0000", "耳が遠い"],
        [1, "中村 一", "ナカムラ ハジメ", "長男", "S50.3.3", None, None, "0267-22-9999", None, "ひきこもり気味"],
        [2, "小林 ヨネ", "コバヤシ ヨネ", "本人", "T15.4.4", "下町", "架空村下町8", None, "090-2222-3333", None],
        [3, "加藤 実", "カトウ ミノル", "本人", "S25.5.5", "下町", "架空村下町9", None, None, None],
        [3, "加藤 光", "カトウ ヒカル", None, "S27.6.6", "上町", "架空村上町1", None, None, None],
    ])
    table, mapping, preview = preview_of(store, path)
    assert mapping[0] == "household_key" and mapping[3] == "relation" and mapping[8] == "mobile"
    rows = {r.number: r for r in preview.rows}
    assert rows[2].group == rows[3].group == rows[4].group != rows[5].group
    assert rows[7].status == PROBLEM and {p.column for p in rows[7].problems} >= {"地区", "住所"}
    assert rows[6].status == PROBLEM and "7行目に問題がある" in rows[6].problems[0].message
    assert rows[4].status == OK and rows[2].status == OK
    assert (preview.households, preview.persons) == (2, 4)
    result = apply_import(store, table, "households", mapping, skip_invalid=True, today=TODAY)
    assert (result.households, result.persons) == (2, 4)
    nakamura = next(h for h in households.list_households(store) if h.head_name == "中村 ヨシ")
    detail = households.get_household(store, nakamura.id, log=False)
    assert [(m.name, m.relation) for m in detail.members] == [("中村 ヨシ", "本人"), ("中村 茂", "配偶者"),
                                                               ("中村 一", "子")]
    assert detail.address == "架空村下町7" and detail.phone == "0267-22-1111" and detail.notes == "耳が遠い"
    assert detail.members[2].notes == "ひきこもり気味\n電話：0267-22-9999"
    assert detail.members[0].notes == "携帯：080-1111-0000"  # the head's 備考 is the household's memo
    kobayashi = next(h for h in households.list_households(store) if h.head_name == "小林 ヨネ")
    assert households.get_household(store, kobayashi.id, log=False).phone == "090-2222-3333"  # only a mobile
    assert check_store(store).sound


def test_without_household_numbers_every_row_is_its_own_household(tmp_path, store, village):
    path = write_xlsx(tmp_path / "l.xlsx", [["氏名", "住所", "地区"], ["A 一", "架空村下町1", "下町"],
                                            ["B 二", "架空村下町1", "下町"]])
    _table, _mapping, preview = preview_of(store, path)
    assert preview.households == 2 and len({r.group for r in preview.rows}) == 2


def test_head_named_in_a_column_groups_by_head_and_address(tmp_path, store, village):
    path = write_xlsx(tmp_path / "l.xlsx", [
        ["世帯主", "氏名", "続柄", "住所", "地区"],
        ["岡田 勇", "岡田 勇", "本人", "架空村下町3", "下町"],
        ["岡田 勇", "岡田 ふみ", "妻", "架空村下町3", "下町"],
        ["岡田 勇", "岡田 勇", "本人", "架空村下町99", "下町"],  # a namesake elsewhere: another household
    ])
    _table, mapping, preview = preview_of(store, path)
    assert mapping[0] == "head" and mapping[1] == "name"
    assert preview.households == 2 and preview.persons == 3 and preview.clean


def test_districts_match_by_name_path_suffix_and_reading(tmp_path, store, village):
    north = districts.add_district(store, "北地区", "きたちく")
    districts.add_district(store, "本町", "ほんまち", parent_id=north)
    south = districts.add_district(store, "南地区", "みなみちく")
    districts.add_district(store, "本町", "ほんまち", parent_id=south)
    path = write_xlsx(tmp_path / "l.xlsx", [
        ["氏名", "地区"], ["a", "上町"], ["b", "上町地区"], ["c", "かみまち"], ["d", "ｶﾐﾏﾁ"], ["e", "北地区/本町"],
        ["f", "北 本町"], ["g", "本町"], ["h", "北"], ["i", "西町"], ["j", None]])
    _table, _mapping, preview = preview_of(store, path)
    rows = {r.number: r for r in preview.rows}
    assert all(rows[n].status == OK for n in range(2, 8)), [(r.number, r.problems) for r in preview.rows]
    assert "2つあります" in rows[8].problems[0].message
    assert rows[9].status == OK  # 北 → 北地区
    assert "登録されていません" in rows[10].problems[0].message
    assert "地区が書かれていません" in rows[11].problems[0].message
    with_default = preview_import(store, *_tm(preview_of(store, path)),
                                  ImportOptions(default_district_id=village["shimo"]), today=TODAY)
    assert {r.number: r.status for r in with_default.rows}[11] == OK


def _tm(result):
    table, mapping, _preview = result
    return table, "households", mapping


def test_file_level_problems(tmp_path, store, village):
    path = write_xlsx(tmp_path / "l.xlsx", [["番号", "住所"], [1, "架空村"]])
    table, mapping, preview = preview_of(store, path)
    messages = [p.message for p in preview.file_problems]
    assert any("「氏名」にあたる列がありません" in m for m in messages)
    assert any("地区にあたる列がありません" in m for m in messages)
    assert all(r.status == PROBLEM for r in preview.rows) and not preview.can_apply(skip_invalid=True)
    with pytest.raises(ImportHasProblems):
        apply_import(store, table, "households", mapping, skip_invalid=True, today=TODAY)
    two = {0: "name", 1: "name"}
    preview = preview_import(store, table, "households", two, ImportOptions(default_district_id=village["kami"]),
                             today=TODAY)
    assert any("2つの列" in p.message for p in preview.file_problems)


def test_household_flags_for_the_whole_list_and_per_row(tmp_path, store, village):
    path = write_xlsx(tmp_path / "l.xlsx", [["氏名", "地区", "世帯区分", "年齢", "性別"],
                                            ["a", "上町", "高齢者世帯", 84, "男性"],
                                            ["b", "上町", "独居・避難行動要支援者", "９１歳", "F"],
                                            ["c", "上町", "お金持ち", "八十", "?"]])
    table, mapping, preview = preview_of(store, path)
    rows = {r.number: r for r in preview.rows}
    assert rows[4].status == PROBLEM and {p.column for p in rows[4].problems} == {"世帯区分", "年齢", "性別"}
    result = apply_import(store, table, "households", mapping, ImportOptions(household_flags=("一人暮らし高齢者",)),
                          skip_invalid=True, today=TODAY)
    assert result.households == 2
    rows = {h.head_name: h for h in households.list_households(store)}
    assert rows["a"].flags == ("一人暮らし高齢者", "高齢者のみ")
    assert rows["b"].flags == ("一人暮らし高齢者", "避難行動要支援者")
    a = households.get_household(store, rows["a"].id, log=False).members[0]
    b = households.get_household(store, rows["b"].id, log=False).members[0]
    assert (a.age_band, a.sex, b.age_band, b.sex) == ("80代", "男", "90代", "女")


# ---- the cells -------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell, expected", [
    ("０２６７－１１－２２２２", "0267-11-2222"),
    ("0267ー11ー2222", "0267-11-2222"),
    ("090 1234 5678", "090 1234 5678"),
    ("(0267)11-2222", "(0267)11-2222"),
    ("12-3456", "12-3456"),
    (267112222, "0267112222"),
    (9012345678, "09012345678"),
    ("なし", ""),
    ("電話なし", ""),
    ("", ""),
    (None, ""),
])
def test_phone_numbers(cell, expected):
    assert V.phone(cell) == expected


@pytest.mark.parametrize("cell", ["自宅", "0267-11-222", "0267-11-22222-1", "090-1234-5678（本人）", "1234", 3.5, True])
def test_not_phone_numbers(cell):
    with pytest.raises(V.CellProblem):
        V.phone(cell)


@pytest.mark.parametrize("cell, expected", [
    (datetime(1940, 3, 10), date(1940, 3, 10)),
    (date(1940, 3, 10), date(1940, 3, 10)),
    (14680, date(1940, 3, 10)),
    (14680.0, date(1940, 3, 10)),
    (19400310, date(1940, 3, 10)),
    ("S15.3.10", date(1940, 3, 10)),
    ("昭和15年3月10日", date(1940, 3, 10)),
    ("１９４０／３／１０", date(1940, 3, 10)),
    ("1940-03-10", date(1940, 3, 10)),
    (None, None),
    ("", None),
])
def test_birth_dates(cell, expected):
    assert V.birth_date(cell, today=TODAY) == expected


@pytest.mark.parametrize("cell, words", [
    ("令和7年2月30日", "ありません"),
    ("R8.1.1", "今日より後"),
    ("M1.2.1", "歳になります"),
    ("昭和", "読み取れません"),
    (-5, "日付ではありません"),
])
def test_bad_birth_dates(cell, words):
    with pytest.raises(V.CellProblem, match=words):
        V.birth_date(cell, today=TODAY)


def test_a_doubtful_birth_date_is_shown_in_the_era_it_was_read_in():
    with pytest.raises(V.CellProblem) as refused:
        V.birth_date("M1.2.1", today=TODAY)
    assert "明治元年2月1日（1868年）" in refused.value.message


def test_kana_and_names_are_normalised():
    remarks = []
    assert V.kana("やまだ\u3000はなこ", remarks.append) == "ヤマダ ハナコ"
    assert V.kana("ﾔﾏﾀﾞ ﾊﾅｺ", remarks.append) == "ヤマダ ハナコ"
    assert remarks == []
    assert V.kana("山田 はなこ", remarks.append) == "山田 ハナコ" and "カタカナ以外" in remarks[0]
    assert V.name("  髙﨑\u3000花子 ") == "髙﨑 花子"
    assert V.address("架空村上町１－２") == "架空村上町1-2"
    assert V.address("センター１ー２") == "センター1-2"


def test_a_warning_does_not_stop_the_row(tmp_path, store, village):
    path = write_xlsx(tmp_path / "l.xlsx", [["氏名", "フリガナ", "地区"], ["山田 花", "山田 はな", "上町"]])
    table, mapping, preview = preview_of(store, path)
    assert preview.rows[0].status == WARNING and preview.rows[0].ready and preview.clean
    assert apply_import(store, table, "households", mapping, today=TODAY).persons == 1


# ---- --map ------------------------------------------------------------------------------------------

def test_map_options_override_the_guess(tmp_path):
    path = write_xlsx(tmp_path / "l.xlsx", [["名前", "よみ", "TEL", "TEL2", "区"], ["a", "b", "1", "2", "x"]])
    table = read_table(path)
    guessed = guess_mapping(table.columns, "households")
    assert [guessed[i] for i in range(5)] == ["name", "kana", "phone", None, "district"]
    mapped = apply_map_options(table.columns, "households", guessed, ["TEL2=phone", "TEL=携帯電話", "よみ=-"])
    assert [mapped[i] for i in range(5)] == ["name", None, "mobile", "phone", "district"]
    assert apply_map_options(table.columns, "households", guessed, ["D=notes"])[3] == "notes"
    with pytest.raises(InvalidInput, match="「電話」という列はありません.*A（名前）"):
        apply_map_options(table.columns, "households", guessed, ["電話=phone"])
    with pytest.raises(InvalidInput, match="「でんわ」は世帯と世帯員の項目にありません"):
        apply_map_options(table.columns, "households", guessed, ["TEL=でんわ"])
    with pytest.raises(InvalidInput, match="2つの列"):
        apply_map_options(table.columns, "households", guessed, ["TEL=phone", "TEL2=phone"])
    with pytest.raises(InvalidInput, match="列名=項目"):
        apply_map_options(table.columns, "households", guessed, ["phone"])


# ---- salon regulars and agencies -------------------------------------------------------------------

def test_salon_regulars(tmp_path, store, village):
    kami = village["kami"]
    hanako = households.add_household(store, kami, "山田 花子", "ヤマダ ハナコ", address="架空村上町1")
    households.add_household(store, kami, "山田 花子", "ヤマダ ハナコ", address="架空村上町99")  # a namesake
    households.add_household(store, kami, "鈴木 ミヨ", "スズキ ミヨ", address="架空村上町2")
    salon = salons.add_salon(store, "いきいきサロン上町", kami)
    salons.add_salon(store, "ふれあいサロン", kami)
    suzuki_id = next(h.id for h in households.list_households(store) if h.head_name == "鈴木 ミヨ")
    suzuki_person = households.get_household(store, suzuki_id, log=False).members[0].id
    salons.set_regulars(store, salon, [suzuki_person])
    path = write_xlsx(tmp_path / "常連.xlsx", [
        ["サロン名", "氏名", "ふりがな", "住所"],
        ["いきいきサロン上町", "山田 花子", "やまだ はなこ", "架空村上町1"],   # 2 ok
        ["ふれあいサロン", "山田 花子", None, None],                           # 3 two namesakes
        ["ふれあいサロン", "佐藤 一郎", "さとう いちろう", None],              # 4 ok
        ["いきいきサロン上町", "鈴木 ミヨ", None, None],                       # 5 already a regular
        ["まだないサロン", "佐藤 一郎", None, None],                           # 6 unknown salon
        ["ふれあいサロン", "知らない 人", None, None],                         # 7 not registered
        ["ふれあいサロン", "佐藤 一郎", None, None],                           # 8 twice
    ])
    table, mapping, preview = preview_of(store, path, "salon-regulars")
    assert [mapping[i] for i in range(4)] == ["salon", "name", "kana", "address"]
    rows = {r.number: r for r in preview.rows}
    assert rows[2].status == OK and rows[4].status == OK
    assert "2人登録されています" in rows[3].problems[0].message
    assert "すでにサロン「いきいきサロン上町」の常連" in rows[5].problems[0].message
    assert "サロン「まだないサロン」は登録されていません" in rows[6].problems[0].message
    assert "世帯の名簿に登録されていません" in rows[7].problems[0].message
    assert "4行目と同じ方です" in rows[8].problems[0].message
    result = apply_import(store, table, "salon-regulars", mapping, skip_invalid=True, today=TODAY)
    assert result.regulars == 2 and result.imported_rows == (2, 4)
    names = {r.name for r in salons.regulars(store, salon)}
    assert names == {"山田 花子", "鈴木 ミヨ"}
    hanako_person = households.get_household(store, hanako, log=False).members[0].id
    assert hanako_person in {r.person_id for r in salons.regulars(store, salon)}
    assert check_store(store).sound


def test_salon_regulars_of_one_chosen_salon(tmp_path, store, village):
    salon = salons.add_salon(store, "いきいきサロン上町", village["kami"])
    path = write_xlsx(tmp_path / "l.xlsx", [["氏名"], ["佐藤 一郎"]])
    table, mapping, preview = preview_of(store, path, "salon-regulars")
    assert any("サロン名にあたる列" in p.message for p in preview.file_problems)
    result = apply_import(store, table, "salon-regulars", mapping, ImportOptions(default_salon_id=salon), today=TODAY)
    assert result.regulars == 1 and [r.name for r in salons.regulars(store, salon)] == ["佐藤 一郎"]


def test_agencies(tmp_path, store, village):
    agencies.add_agency(store, "架空村役場 福祉課")
    path = tmp_path / "機関.csv"
    path.write_bytes("名称,ふりがな,分野,連絡先,電話,できること\r\n"
                     "みどり地域包括支援センター,みどりちいきほうかつ,高齢,主任ケアマネ 架空,0267-00-1111,介護の相談\r\n"
                     "架空村役場 福祉課,,行政,,0267-00-2222,\r\n"
                     "まいさぽ架空,,生活困窮,,０２６７－００－３３３３,家計の相談\r\n"
                     "まいさぽ架空,,生活困窮,,,\r\n"
                     "ハローワーク,,就労,,電話番号,\r\n".encode("cp932"))
    table, mapping, preview = preview_of(store, path, "agencies")
    assert [mapping[i] for i in range(6)] == ["name", "kana", "field", "contact", "phone", "services"]
    rows = {r.number: r for r in preview.rows}
    assert rows[2].status == OK and rows[4].status == OK
    assert "すでに登録されています" in rows[3].problems[0].message
    assert "4行目と同じ機関です" in rows[5].problems[0].message
    assert "電話番号ではありません" in rows[6].problems[0].message
    result = apply_import(store, table, "agencies", mapping, skip_invalid=True, today=TODAY)
    assert result.agencies == 2
    listed = {a.name: a for a in agencies.list_agencies(store)}
    center = listed["みどり地域包括支援センター"]
    assert (center.kana, center.field, center.contact, center.phone, center.services) == (
        "ミドリチイキホウカツ", "高齢", "主任ケアマネ 架空", "0267-00-1111", "介護の相談")
    assert listed["まいさぽ架空"].phone == "0267-00-3333"
    assert check_store(store).sound


# ---- size -------------------------------------------------------------------------------------------

def test_two_thousand_rows_in_a_few_seconds(tmp_path, store, village):
    import time

    rows = [["氏名", "フリガナ", "性別", "生年月日", "地区", "住所", "電話"]]
    for i in range(2000):
        rows.append([f"利用者 {i}", f"リヨウシャ {i}", "女" if i % 2 else "男", f"S{10 + i % 50}.{1 + i % 12}.{1 + i % 28}",
                     "上町" if i % 2 else "下町", f"架空村{i}番地", f"0267-{10 + i % 80}-{i:04d}"])
    path = write_xlsx(tmp_path / "big.xlsx", rows)
    started = time.perf_counter()
    table = read_table(path)
    mapping = guess_mapping(table.columns, "households")
    preview = preview_import(store, table, "households", mapping, today=TODAY)
    previewed = time.perf_counter()
    assert preview.ready_rows == 2000 and preview.clean
    result = apply_import(store, table, "households", mapping, today=TODAY)
    finished = time.perf_counter()
    assert result.households == 2000
    print(f"\n2,000 rows: read + preview {previewed - started:.2f} s, apply {finished - previewed:.2f} s")
    assert finished - started < 30  # a generous bound for a shared CI machine; measured ~3 s here


def test_missing_name_and_a_head_marked_with_a_circle(tmp_path, store, village):
    path = write_xlsx(tmp_path / "l.xlsx", [
        ["世帯番号", "世帯主", "氏名", "住所", "地区"],
        ["A-1", None, "西村 花", "架空村下町4", "下町"],
        ["A-1", "○", "西村 守", "架空村下町4", "下町"],
        ["A-2", "○", None, "架空村下町5", "下町"],
    ])
    table, mapping, preview = preview_of(store, path)
    assert mapping[1] == "head"
    rows = {r.number: r for r in preview.rows}
    assert rows[4].status == PROBLEM and rows[4].problems[0].column == "氏名"
    assert rows[4].problems[0].message == "氏名が書かれていません。"
    assert rows[2].status == WARNING and "その他の親族" in rows[2].problems[0].message
    result = apply_import(store, table, "households", mapping, skip_invalid=True, today=TODAY)
    assert (result.households, result.persons) == (1, 2)
    (row,) = [h for h in households.list_households(store) if h.head_name.startswith("西村")]
    detail = households.get_household(store, row.id, log=False)
    assert [(m.name, m.relation) for m in detail.members] == [("西村 守", "本人"), ("西村 花", "その他の親族")]
