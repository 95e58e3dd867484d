"""統計報告書 PDF (reports/stats_pdf.py): the text pypdf extracts from the report of the
hand-made data set (tests/store/test_stats_dataset.py): period in 和暦 and 年度, council, known
totals, small counts hidden exactly as in the CSV, page n / m, the safe write and the audit
entry; the charts leave hidden values out."""

import errno
import io
import os
import re
from datetime import date

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from shakyo_desk.domain import safe_file
from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.reports.stats_chart_data import chart_specs
from shakyo_desk.reports.stats_pdf import export_pdf, stats_pdf_bytes
from shakyo_desk.reports.stats_render import render
from shakyo_desk.store.models import AuditLog
from shakyo_desk.store.services import stats
from tests.domain.safe_file_faults import refuse_partial
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


def pages_text(raw: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(raw)).pages]


def lines(text: str) -> list[str]:
    return [re.sub(r"\s+", " ", line).strip() for line in text.splitlines()]


def rows_of(text: str, label: str, width: int) -> list[list[str]]:
    """Every table row starting with ``label``: its ``width`` cells (pypdf gives one cell a line)."""
    found = lines(text)
    return [found[i + 1:i + 1 + width] for i, line in enumerate(found) if line == label]


def audit_entries(store, action):  # noqa: F811
    with store.read() as s:
        return s.execute(sa.select(AuditLog.detail).where(AuditLog.action == action)).scalars().all()


def test_title_period_council_and_page_numbers(figures):
    pages = pages_text(stats_pdf_bytes(render(figures), today=TODAY))
    first = pages[0]
    assert "テスト村社会福祉協議会" in first and "統計報告書（年度）" in first
    assert "令和6年度（令和6年4月1日～令和7年3月31日）" in first
    assert "令和5年度（令和5年4月1日～令和6年3月31日）" in first  # the comparison period
    assert "作成日：令和8年1月15日" in first
    total = len(pages)
    assert total >= 2
    for number, text in enumerate(pages, start=1):
        assert f"{number} / {total} ページ" in text


def test_known_totals_and_small_counts_hidden(figures):
    text = "\n".join(pages_text(stats_pdf_bytes(render(figures), today=TODAY)))
    # summary: 10 contacts this 年度; the year before had 2 (H2 10/1, H3 3/31): hidden
    assert rows_of(text, "訪問記録の延べ件数", 3) == [["10", "<3", "秘匿"]]
    # salons: 15 attendances (4 sessions), none the year before; ひだまりサロン held 3 sessions
    assert rows_of(text, "サロンの延べ参加者数", 3) == [["15", "0", "15"]]
    assert rows_of(text, "ひだまりサロン", 1) == [["3"]]
    # 電話 was used twice (H1, H4): the count below 3 never appears, only <3
    assert rows_of(text, "電話", 2) == [["<3", "<3"]]
    assert rows_of(text, "訪問", 2) == [["5", "4"]]
    assert "「<3」" in text  # the legend says what the mark means


def test_the_pdf_shows_the_same_cells_as_the_csv(figures):
    rendered = render(figures)
    text = "\n".join(pages_text(stats_pdf_bytes(rendered, today=TODAY)))
    for table in rendered.tables:
        assert table.title in text
    by_district = rendered.table("contacts_by_district")
    assert [str(c) for c in by_district.rows[0].cells] in rows_of(text, "北地区", 5)
    assert by_district.rows[0].cells[0] == 7


def test_charts_leave_hidden_values_out(figures):
    rendered = render(figures)
    specs = {s.key: s for s in chart_specs(rendered)}
    method = specs["contacts_by_method"]
    this_year = dict(zip(method.categories, method.series[0].values))
    assert this_year["訪問"] == 5 and this_year["電話"] is None and this_year["来所"] == 0
    assert "電話＊" in method.labels and method.hidden > 0
    text = "\n".join(pages_text(stats_pdf_bytes(rendered, today=TODAY)))
    assert "方法別の訪問記録（前年度との比較）" in text
    assert "その棒は描いていません" in text
    # raw counts (a coordinator's screen) would draw them; the report refuses raw figures
    raw = {s.key: s for s in chart_specs(render(figures, raw=True))}
    assert dict(zip(raw["contacts_by_method"].categories, raw["contacts_by_method"].series[0].values))["電話"] == 2
    with pytest.raises(InvalidInput):
        stats_pdf_bytes(render(figures, raw=True))


def test_export_writes_the_file_and_logs_it(store, figures, tmp_path):  # noqa: F811
    target = tmp_path / "out" / "統計報告書_令和6年度.pdf"
    target.parent.mkdir()
    result = export_pdf(store, figures, target, today=TODAY)
    assert result.path == target and target.read_bytes().startswith(b"%PDF")
    assert result.pages == len(PdfReader(str(target)).pages) and result.cells_hidden > 0
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary file left
    [detail] = audit_entries(store, "stats_pdf.export")
    assert detail["file"] == target.name and detail["period"] == "FY2024" and detail["format"] == "pdf"
    assert detail["suppressed"] is True and detail["cells_hidden"] == result.cells_hidden
    assert "青木" not in str(detail)


def test_the_font_is_embedded(figures):
    reader = PdfReader(io.BytesIO(stats_pdf_bytes(render(figures), today=TODAY)))
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("BIZUDGothic" in f for f in fonts)


@pytest.mark.parametrize("code, words", [(errno.EACCES, "書き込めない"), (errno.ENOSPC, "空き")])
def test_an_unwritable_folder_leaves_nothing(store, figures, tmp_path, monkeypatch, code, words):  # noqa: F811
    folder = tmp_path / "locked"
    folder.mkdir()

    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(safe_file.os, "open", refuse_partial(refuse))
    with pytest.raises(InvalidInput) as err:
        export_pdf(store, figures, folder / "report.pdf", today=TODAY)
    assert words in err.value.message and "PDF" in err.value.message
    assert list(folder.iterdir()) == []
    assert audit_entries(store, "stats_pdf.export") == []


def test_a_failure_before_the_rename_leaves_neither_file_nor_entry(store, figures, tmp_path, monkeypatch):  # noqa: F811
    target = tmp_path / "report.pdf"
    target.write_bytes(b"old")

    def failing_replace(src, dst):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(safe_file.os, "replace", failing_replace)
    with pytest.raises(InvalidInput):
        export_pdf(store, figures, target, today=TODAY)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf", "store"]


def test_missing_folder_is_refused_before_anything(store, figures, tmp_path):  # noqa: F811
    with pytest.raises(InvalidInput) as err:
        export_pdf(store, figures, tmp_path / "ない" / "x.pdf")
    assert "フォルダ" in err.value.message
    assert audit_entries(store, "stats_pdf.export") == []


def test_a_month_and_a_staff_member(store, data, tmp_path):  # noqa: F811
    month = stats.monthly_figures(store, 2024, 8, today=TODAY)
    text = pages_text(stats_pdf_bytes(render(month), today=TODAY))[0]
    assert "統計報告書（月次）" in text and "令和6年8月（令和6年8月1日～令和6年8月31日）" in text
    staff = login_as(store, "kita", "staff", [data.north])
    try:
        export_pdf(staff, stats.yearly_figures(staff, 2024, today=TODAY), tmp_path / "kita.pdf", today=TODAY)
    finally:
        staff.close()
    text = "\n".join(pages_text((tmp_path / "kita.pdf").read_bytes()))
    assert "北地区" in text and "南地区" not in text and "担当地区の記録だけ" in text


def test_an_empty_period_says_so(store, data):  # noqa: F811
    figures = stats.yearly_figures(store, 2010, today=TODAY)
    text = "\n".join(pages_text(stats_pdf_bytes(render(figures), today=TODAY)))
    assert "この期間の記録はありません" in text and "グラフはありません" in text
