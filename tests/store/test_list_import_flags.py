"""A council's real list (issue 17): a workbook written by LibreOffice Calc with a ○ column per
flag and districts the register lacks (tests/fixtures/lists/libreoffice-flags.xlsx, made by
tests/fixtures/make_lists_fixture.py with a real LibreOffice). The ○ columns become household and
person flags; a cell that is not a mark is a problem of its row in Japanese; the districts the
list names are listed in the preview and, when asked, registered in the import's transaction
through the districts service — only those a written household uses."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from shakyo_desk.store.imports import (
    OK, PROBLEM, ImportHasProblems, ImportOptions, apply_import, apply_map_options, guess_mapping, preview_import,
    read_table,
)
from shakyo_desk.store.imports import values as V
from shakyo_desk.store.imports.fields import guess_field
from shakyo_desk.store.models import AuditLog, District, Household, Person
from shakyo_desk.store.services import districts

TODAY = date(2025, 11, 23)
FIXTURE = Path(__file__).parents[1] / "fixtures" / "lists" / "libreoffice-flags.xlsx"


@pytest.fixture
def registered(store):
    return {"kami": districts.add_district(store, "上町", "かみまち"),
            "north": districts.add_district(store, "北地区", "きたちく")}


def load():
    table = read_table(FIXTURE)
    return table, guess_mapping(table.columns, "households")


def by_row(preview):
    return {r.number: r for r in preview.rows}


def households_by_head(store) -> dict[str, dict]:
    with store.read() as s:
        rows = s.execute(sa.select(Household.id, Household.flags, District.name, District.parent_id, Person.name,
                                   Person.flags, Person.relation)
                         .join(District, District.id == Household.district_id)
                         .join(Person, Person.household_id == Household.id)
                         .order_by(Household.id, Person.sort_order)).all()
    found: dict[str, dict] = {}
    for hid, hflags, district, parent_id, name, pflags, relation in rows:
        entry = found.setdefault(hid, {"flags": list(hflags or ()), "district": district, "parent_id": parent_id,
                                       "persons": {}})
        entry["persons"][name] = list(pflags or ())
        if relation == "本人":
            entry["head"] = name
    return {e["head"]: e for e in found.values()}


def test_the_workbook_is_libreoffice_s_and_every_flag_column_is_recognised():
    import zipfile

    with zipfile.ZipFile(FIXTURE) as z:
        assert "LibreOffice" in z.read("docProps/app.xml").decode()
        assert "xl/sharedStrings.xml" in z.namelist() and "xl/styles.xml" in z.namelist()
    table, mapping = load()
    assert table.header_rows == (2,) and table.sheets == ("名簿", "メモ")
    assert {c.header: mapping[c.index] for c in table.columns if c.header in (
        "一人暮らし", "高齢者のみ", "要介護", "障がい", "避難行動要支援者")} == {
        "一人暮らし": "flag:一人暮らし高齢者", "高齢者のみ": "flag:高齢者のみ", "要介護": "flag:要介護",
        "障がい": "flag:障がい", "避難行動要支援者": "flag:避難行動要支援者"}
    # the column of flag words stays what it was
    assert guess_field("households", "世帯の特徴") == guess_field("households", "世帯区分") == "household_flags"


@pytest.mark.parametrize("header, flag", [
    ("独居", "一人暮らし高齢者"), ("ひとり暮らし", "一人暮らし高齢者"), ("ﾋﾄﾘ暮らし", "一人暮らし高齢者"),
    ("１人暮らし", "一人暮らし高齢者"), ("高齢者世帯", "高齢者のみ"), ("母子世帯", "ひとり親"), ("８０５０", "8050"),
    ("障害", "障がい"), ("要介護度", "要介護"), ("要介護区分", "要介護"), ("要支援", "要支援"),
    ("避難行動要支援者", "避難行動要支援者"), ("引きこもり", "ひきこもり"), ("生活保護", "生活保護"),
])
def test_flag_headers_with_their_common_variants(header, flag):
    assert guess_field("households", header) == f"flag:{flag}"


@pytest.mark.parametrize("cell, expected", [
    ("○", ["要介護"]), ("〇", ["要介護"]), ("✓", ["要介護"]), ("✔", ["要介護"]), (1, ["要介護"]), ("1", ["要介護"]),
    ("はい", ["要介護"]), ("ﾊｲ", ["要介護"]), ("有", ["要介護"]), ("あり", ["要介護"]), (True, ["要介護"]),
    ("×", []), ("", []), (None, []), (0, []), ("0", []), ("いいえ", []), ("なし", []),
    ("要介護3", ["要介護"]), ("要支援1", ["要支援"]),
])
def test_marks(cell, expected):
    assert V.flag_mark(cell, "要介護") == expected


@pytest.mark.parametrize("cell", ["済", "?", 2, "△"])
def test_anything_else_is_a_japanese_sentence(cell):
    with pytest.raises(V.CellProblem, match="「要介護」の列の印として読めません.*「○」.*「×」"):
        V.flag_mark(cell, "要介護")


def test_the_preview_lists_the_new_districts_and_the_rows_wait_for_them(store, registered):
    table, mapping = load()
    preview = preview_import(store, table, "households", mapping, today=TODAY)
    assert [d.path for d in preview.new_districts] == ["清水集落", "奥沢", "峠", "北地区 › 沢口"]
    assert [d.rows for d in preview.new_districts] == [2, 2, 1, 1]
    assert not preview.add_districts
    rows = by_row(preview)
    assert rows[3].status == OK  # 上町 is registered
    for number in (4, 5, 6, 7, 10):
        assert rows[number].status == PROBLEM
        assert any("登録されていません" in p.message and p.column == "地区" for p in rows[number].problems)
    # 済 under 一人暮らし: a sentence on its row and column
    assert [(p.column, p.message) for p in rows[8].problems if "印" in p.message] == [
        ("一人暮らし", "「済」は「一人暮らし高齢者」の列の印として読めません。該当するときは「○」、しないときは空欄か「×」にしてください。")]
    with store.read() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(District)).scalar_one() == 2  # nothing added


def test_import_registers_the_districts_and_sets_the_flags(store, registered):
    table, mapping = load()
    options = ImportOptions(add_districts=True)
    preview = preview_import(store, table, "households", mapping, options, today=TODAY)
    assert preview.add_districts
    assert [r.number for r in preview.rows if r.status == PROBLEM] == [8]  # only 済 is left
    with pytest.raises(ImportHasProblems):
        apply_import(store, table, "households", mapping, options, today=TODAY)
    with store.read() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(District)).scalar_one() == 2  # refused: nothing added

    result = apply_import(store, table, "households", mapping, options, skip_invalid=True, today=TODAY)
    assert (result.households, result.persons) == (5, 6)
    # 峠 is named only by the row left out: not registered
    assert list(result.districts) == ["清水集落", "奥沢", "北地区 › 沢口"]
    names = {d.path for d in districts.list_districts(store)}
    assert names == {"上町", "北地区", "清水集落", "奥沢", "北地区 › 沢口"}

    homes = households_by_head(store)
    assert homes["山本 キク"]["flags"] == ["一人暮らし高齢者", "避難行動要支援者"]
    assert homes["山本 キク"]["persons"] == {"山本 キク": ["要介護"]}
    kawaguchi = homes["川口 正"]
    assert kawaguchi["district"] == "清水集落"
    assert kawaguchi["flags"] == ["高齢者のみ", "避難行動要支援者", "障がい"]
    assert kawaguchi["persons"] == {"川口 正": ["要介護"], "川口 ハナ": ["障がい"]}
    assert homes["森田 一郎"]["flags"] == ["一人暮らし高齢者"] and homes["森田 一郎"]["persons"] == {"森田 一郎": []}
    # 奥沢地区 is the same new district as 奥沢
    assert homes["谷 トメ"]["district"] == homes["森田 一郎"]["district"] == "奥沢"
    assert homes["谷 トメ"]["flags"] == ["一人暮らし高齢者", "障がい", "避難行動要支援者"]
    assert homes["谷 トメ"]["persons"] == {"谷 トメ": ["要支援", "障がい"]}
    assert homes["北村 ヨシ"]["district"] == "沢口" and homes["北村 ヨシ"]["parent_id"] == registered["north"]

    with store.read() as s:
        detail = s.execute(sa.select(AuditLog.detail).where(AuditLog.action == "list_import.apply")).scalar_one()
    assert detail["districts"] == 3 and detail["households"] == 5


def test_a_district_registered_meanwhile_is_found_not_added_twice(store, registered):
    table, mapping = load()
    options = ImportOptions(add_districts=True)
    preview_import(store, table, "households", mapping, options, today=TODAY)
    districts.add_district(store, "清水集落")  # someone registers it between the check and the import
    result = apply_import(store, table, "households", mapping, options, skip_invalid=True, today=TODAY)
    assert list(result.districts) == ["奥沢", "北地区 › 沢口"]
    assert [d.name for d in districts.list_districts(store)].count("清水集落") == 1


def test_a_flag_column_can_be_left_out_or_named_with_map(store, registered):
    table, mapping = load()
    mapping = apply_map_options(table.columns, "households", mapping, ["一人暮らし=-", "備考=身寄りなし"])
    assert mapping[8] is None and mapping[13] == "flag:身寄りなし"
