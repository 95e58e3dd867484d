"""統計の CSV (reports/stats_csv.py): read back with the csv module in both encodings, small
counts hidden, formula cells neutralised, cp932 refusals, safe writing and the audit entry."""

import csv
import errno
import io
import os
import stat
from datetime import date

import pytest
import sqlalchemy as sa

from shakyo_desk.domain import safe_file
from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.reports.stats_csv import csv_bytes, export_csv, neutralise
from shakyo_desk.reports.stats_render import json_document, render, text_lines
from shakyo_desk.store.models import AuditLog
from shakyo_desk.store.services import agencies, referrals, salons, stats
from tests.store.conftest import login_as, store, store_dir  # noqa: F401 (fixtures)
from tests.store.test_stats_dataset import build_dataset

TODAY = date(2026, 1, 15)


@pytest.fixture(autouse=True)
def _on_today(pin_today):
    pin_today(TODAY)  # the records below are dated around this day


@pytest.fixture
def data(store):  # noqa: F811
    return build_dataset(store)


@pytest.fixture
def figures(store, data):  # noqa: F811
    return stats.yearly_figures(store, 2024, today=TODAY)


def read_back(raw: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode(encoding), newline="")))


def section(rows: list[list[str]], title: str) -> dict[str, list[str]]:
    """The rows of one table, by label, from its header line to the next blank line."""
    start = rows.index([f"■ {title}"])
    result = {}
    for row in rows[start + 1:]:
        if not row:
            break
        result[row[0]] = row[1:]
    return result


def audit_entries(store, action):  # noqa: F811
    with store.read() as s:
        return s.execute(sa.select(AuditLog.detail).where(AuditLog.action == action)).scalars().all()


def test_utf8_has_a_bom_and_reads_back(figures):
    raw = csv_bytes(render(figures))
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = read_back(raw, "utf-8-sig")
    assert rows[0] == ["統計（社協デスク）"]
    head = {r[0]: r[1] for r in rows[1:12] if len(r) == 2}
    assert head["期間"] == "令和6年度（令和6年4月1日～令和7年3月31日）"
    assert head["開始日"] == "2024-04-01" and head["終了日"] == "2025-03-31"  # ISO for machines
    assert head["地区"] == "全地区" and head["比べる期間（前年度）"] == "令和5年度（令和5年4月1日～令和6年3月31日）"
    methods = section(rows, "方法別の訪問記録")
    assert methods["方法"] == ["件数", "世帯（実数）"]
    assert methods["訪問"] == ["5", "4"] and methods["電話"] == ["<3", "<3"] and methods["計"][0] == "10"
    salons_ = section(rows, "サロン別の開催と参加")
    assert salons_["ひだまりサロン"][0] == "3" and salons_["計"] == ["4", "15", "8", "7", "4"]
    days = section(rows, "つなぐ・終結までの日数")
    assert days["つないだ"] == ["3", "10.0", "14.7"] and days["終結"] == ["<3", "秘匿", "秘匿"]
    assert any(r[:1] == ["注"] and "「<3」" in r[1] for r in rows[:15])


def test_no_small_count_is_exported(figures):
    rendered = render(figures)
    small = 0
    for table, shown in zip(figures.tables, rendered.tables):
        for row, out in zip(table.rows, shown.rows):
            for column, value, cell in zip(table.columns, row.values, out.cells):
                if column.personal and row.personal and column.measure_of is None and column.difference_of is None \
                        and isinstance(value, int) and 0 < value < 3:
                    assert cell == "<3", (table.key, row.label, column.header)
                    small += 1
    assert small > 20
    rows = read_back(csv_bytes(rendered), "utf-8-sig")
    assert sum(cell == "<3" for row in rows for cell in row) == small
    assert section(rows, "概要（前年度との比較）")["会議の開催回数"] == ["4", "1", "3"]  # meetings name nobody


def test_cp932_reads_back_the_same_cells(figures):
    rendered = render(figures)
    raw = csv_bytes(rendered, encoding="cp932")
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert read_back(raw, "cp932") == read_back(csv_bytes(rendered), "utf-8-sig")
    assert csv_bytes(rendered, encoding="Shift_JIS") == raw


def test_formula_cells_are_neutralised_numbers_are_not(store, data):  # noqa: F811
    salons.add_salon(store, "=HYPERLINK(\"http://example.invalid\",\"x\")", data.kamimura)
    salons.add_salon(store, "@SUM(A1)", data.kamimura)
    salons.add_salon(store, "+81 サロン", data.kamimura)
    salons.add_salon(store, "-1+2", data.kamimura)
    agency = agencies.add_agency(store, "＝全角の機関", kana="ぜんかく")
    referrals.add_referral(store, agency, "相談", household_id=data.households["H1"], referred_on=date(2024, 5, 5))
    figures = stats.yearly_figures(store, 2024, today=TODAY)
    rows = read_back(csv_bytes(render(figures)), "utf-8-sig")
    labels = {row[0] for row in rows if row}
    assert "'=HYPERLINK(\"http://example.invalid\",\"x\")" in labels
    assert {"'@SUM(A1)", "'+81 サロン", "'-1+2", "'＝全角の機関"} <= labels
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    summary = section(rows, "概要（前年度との比較）")
    assert summary["サロンの開催回数"] == ["4", "0", "4"]
    assert neutralise(-3) == -3 and neutralise("\tx") == "'\tx" and neutralise("\rx") == "'\rx"
    assert neutralise("<3") == "<3" and neutralise("秘匿") == "秘匿"


def test_negative_changes_stay_numbers(store, data):  # noqa: F811
    figures = stats.yearly_figures(store, 2025, today=TODAY)  # fewer contacts than the year before
    rows = read_back(csv_bytes(render(figures)), "utf-8-sig")
    assert section(rows, "概要（前年度との比較）")["訪問記録の延べ件数"] == ["<3", "10", "秘匿"]
    assert section(rows, "概要（前年度との比較）")["サロンの開催回数"] == ["1", "4", "-3"]


def test_cp932_refuses_an_unmappable_character_or_replaces_it(store, data):  # noqa: F811
    salons.add_salon(store, "𠮷野サロン", data.kamimura)
    salons.add_salon(store, "朝〜昼のサロン", data.kamimura)  # WAVE DASH: folded to the cp932 ～
    rendered = render(stats.yearly_figures(store, 2024, today=TODAY))
    with pytest.raises(InvalidInput) as err:
        csv_bytes(rendered, encoding="cp932")
    assert "𠮷" in err.value.message and "UTF-8" in err.value.message
    rows = read_back(csv_bytes(rendered, encoding="cp932", unmappable="replace"), "cp932")
    labels = {row[0] for row in rows if row}
    assert "〓野サロン" in labels and "朝～昼のサロン" in labels
    assert "𠮷野サロン" in {row[0] for row in read_back(csv_bytes(rendered), "utf-8-sig") if row}


def test_unknown_encoding_is_refused(figures):
    with pytest.raises(InvalidInput) as err:
        csv_bytes(render(figures), encoding="euc-jp")
    assert "cp932" in err.value.message


def test_export_writes_the_file_and_logs_it(store, figures, tmp_path):  # noqa: F811
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "統計.csv"
    result = export_csv(store, figures, target, encoding="cp932")
    assert result.path == target and result.encoding == "cp932" and result.cells_hidden > 0
    assert read_back(target.read_bytes(), "cp932")[0] == ["統計（社協デスク）"]
    assert [p.name for p in target.parent.iterdir()] == ["統計.csv"]  # no temporary file left
    [detail] = audit_entries(store, "stats_csv.export")
    assert detail["file"] == "統計.csv" and detail["period"] == "FY2024" and detail["encoding"] == "cp932"
    assert detail["suppressed"] is True and detail["cells_hidden"] == result.cells_hidden
    assert "青木" not in str(detail)  # no personal data in the audit entry


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_the_exported_file_is_readable_by_its_owner_only(store, figures, tmp_path):  # noqa: F811
    target = tmp_path / "統計.csv"
    target.write_bytes(b"old")
    target.chmod(0o644)
    export_csv(store, figures, target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert read_back(target.read_bytes(), "utf-8-sig")[0] == ["統計（社協デスク）"]


def test_export_into_a_missing_folder_changes_nothing(store, figures, tmp_path):  # noqa: F811
    with pytest.raises(InvalidInput) as err:
        export_csv(store, figures, tmp_path / "ない" / "x.csv")
    assert "フォルダ" in err.value.message
    with pytest.raises(InvalidInput):
        export_csv(store, figures, tmp_path)  # a folder, not a file
    assert audit_entries(store, "stats_csv.export") == []


@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "空き"), (errno.EACCES, "書き込めない")])
def test_a_failed_write_leaves_no_file(store, figures, tmp_path, monkeypatch, code, words):  # noqa: F811
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "x.csv"
    target.write_bytes(b"old")

    def failing_replace(src, dst):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(safe_file.os, "replace", failing_replace)
    with pytest.raises(InvalidInput) as err:
        export_csv(store, figures, target)
    assert words in err.value.message
    assert target.read_bytes() == b"old"  # the earlier file is untouched
    assert sorted(p.name for p in target.parent.iterdir()) == ["x.csv"]


def test_staff_exports_only_their_districts(store, data, tmp_path):  # noqa: F811
    staff = login_as(store, "kita", "staff", [data.north])
    try:
        export_csv(staff, stats.yearly_figures(staff, 2024, today=TODAY), tmp_path / "kita.csv")
    finally:
        staff.close()
    rows = read_back((tmp_path / "kita.csv").read_bytes(), "utf-8-sig")
    assert "南地区" not in section(rows, "地区別の訪問記録")
    assert section(rows, "地区別の訪問記録")["計"][0] == "7"


def test_text_and_json_render_the_same_cells(figures):
    rendered = render(figures)
    doc = json_document(rendered)
    method = next(t for t in doc["tables"] if t["key"] == "contacts_by_method")
    assert [c["header"] for c in method["columns"]] == ["件数", "世帯（実数）"]
    assert {r["label"]: r["values"] for r in method["rows"]}["電話"] == ["<3", "<3"]
    assert doc["period"]["start"] == "2024-04-01" and doc["period"]["end"] == "2025-03-31"
    assert doc["suppression"]["cells_hidden"] == rendered.suppressed > 0
    days = next(t for t in doc["tables"] if t["key"] == "sheet_days")
    assert {r["label"]: r["values"] for r in days["rows"]}["つないだ"] == [3, 10.0, 14.7]
    text = "\n".join(text_lines(rendered))
    assert "期間：令和6年度（令和6年4月1日～令和7年3月31日）" in text and "■ 方法別の訪問記録" in text
    line = next(l for l in text.splitlines() if l.strip().startswith("電話"))
    assert line.split() == ["電話", "<3", "<3"]
