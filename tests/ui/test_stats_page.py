"""統計 page: real clicks on a store holding the hand-made data set (tests/store/test_stats_dataset.py);
known totals in the tables, chart values, coordinators see small counts (tinted) and staff the
suppressed ones, exports through the buttons with the file dialog stubbed."""

import csv
import io
import os
from datetime import date

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt

from shakyo_desk.domain import safe_file
from shakyo_desk.domain.wareki import format_fiscal_year
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.pages import stats as stats_page
from shakyo_desk.ui.pages.registry import pages_for
from shakyo_desk.ui.pages.stats import PRIMARY_TINT, StatsPage
from tests.domain.safe_file_faults import refuse_partial
from tests.store.conftest import login_as
from tests.store.test_stats_dataset import build_dataset
from tests.ui.helpers import click

TODAY = date(2026, 1, 15)


@pytest.fixture(autouse=True)
def _on_today(pin_today):
    pin_today(TODAY)  # the records below are dated around this day


@pytest.fixture
def data(store):
    return build_dataset(store)


def open_page(qtbot, ctx, year=2024) -> StatsPage:
    page = StatsPage(ctx, today=TODAY)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    page.refresh()
    if year is not None:
        page.choose_year(year)
    return page


def cell(view, row_label: str, column: int, role=Qt.ItemDataRole.DisplayRole):
    model = view.model()
    for r in range(model.rowCount()):
        if model.index(r, 0).data() == row_label:
            return model.index(r, column).data(role)
    raise KeyError(row_label)


def pick_table(page: StatsPage, title: str) -> None:
    titles = [page.table_list.item(i).text() for i in range(page.table_list.count())]
    page.table_list.setCurrentRow(titles.index(title))


def test_the_page_is_in_the_navigation_for_staff_not_reporters():
    from shakyo_desk.domain.roles import Role

    for role in (Role.ADMIN, Role.COORDINATOR, Role.STAFF):
        assert "stats" in [p.key for p in pages_for(role)]
    assert "stats" not in [p.key for p in pages_for(Role.REPORTER)]


def test_default_is_the_running_year_then_a_chosen_year_shows_known_totals(qtbot, ctx, data):
    page = open_page(qtbot, ctx, year=None)
    assert page.year.currentData() == 2025  # 令和7年度 is running on 2026-01-15
    assert [page.year.itemText(i) for i in range(page.year.count())] == [
        format_fiscal_year(y) for y in (2025, 2024, 2023)]
    page.choose_year(2024)
    assert page.stack.currentWidget() is page.tabs
    assert "令和6年度（令和6年4月1日～令和7年3月31日）" in page.heading.text()
    summary = page.summary_view
    assert cell(summary, "訪問記録の延べ件数", 1) == "10"
    assert cell(summary, "サロンの延べ参加者数", 1) == "15"
    assert summary.model().headerData(3, Qt.Orientation.Horizontal) == "増減"
    right = cell(summary, "訪問記録の延べ件数", 1, Qt.ItemDataRole.TextAlignmentRole)
    assert right & int(Qt.AlignmentFlag.AlignRight)
    pick_table(page, "地区別の訪問記録")
    assert cell(page.table_view, "計", 1) == "10"
    assert cell(page.table_view, "計", 1, Qt.ItemDataRole.FontRole).bold()
    assert cell(page.table_view, "北地区", 1) == "7"


def test_charts_carry_the_figures(qtbot, ctx, data):
    page = open_page(qtbot, ctx)
    page.tabs.setCurrentIndex(1)
    assert set(page.chart_panels) >= {"contacts_by_district", "contacts_by_method", "salons_by_district"}
    method = page.chart_panels["contacts_by_method"]
    drawn = method.values()
    assert drawn["令和6年度"] == [5, 2, 0, 0, 1, 2]  # 訪問 電話 来所 同行 立ち寄り 不在
    assert drawn["令和5年度"] == [1, 1, 0, 0, 0, 0]  # H2 訪問 2023-10-01, H3 電話 2024-03-31
    stacked = page.chart_panels["contacts_by_district"].values()
    assert stacked == {"会えた・話せた": [5, 3], "不在": [2, 0]}  # 北地区, 南地区
    salons = page.chart_panels["salons_by_district"].values()
    assert salons["令和6年度"] == [9, 6]  # 北地区: ひだまり 5 + 2 + 2; 南地区: 川辺 2 + 4
    assert not method.note.isVisible()  # a coordinator's charts hide nothing


def test_a_coordinator_sees_small_counts_tinted_and_a_legend(qtbot, ctx, data):
    page = open_page(qtbot, ctx)
    pick_table(page, "方法別の訪問記録")
    assert cell(page.table_view, "電話", 1) == "2"
    tint = cell(page.table_view, "電話", 1, Qt.ItemDataRole.BackgroundRole)
    assert tint is not None and tint.color().name() == PRIMARY_TINT
    assert cell(page.table_view, "訪問", 1, Qt.ItemDataRole.BackgroundRole) is None
    assert page.legend_primary.isVisible() and "3未満" in page.legend_primary.text()
    assert "秘匿" in page.legend_primary.text()


def test_staff_see_their_districts_with_small_counts_hidden(qtbot, store, data, executor, ui_settings):
    staff = login_as(store, "kita", "staff", [data.north])
    try:
        ctx = AppContext(store=staff, executor=executor, ui_settings=ui_settings, council=get_settings(staff),
                         kdf=FAST_KDF)
        page = open_page(qtbot, ctx)
        names = [page.district.itemText(i).strip() for i in range(page.district.count())]
        assert names == ["担当地区すべて", "北地区", "上村", "下村"]
        pick_table(page, "方法別の訪問記録")
        assert cell(page.table_view, "電話", 1) == "<3"  # H1's one call
        assert cell(page.table_view, "訪問", 1) == "4"  # H1 4/1, H2 7/1 and 3/31, H3 8/2
        assert not page.legend_primary.isVisible()
        assert "「<3」" in page.notes.text()
        pick_table(page, "地区別の訪問記録")
        assert cell(page.table_view, "計", 1) == "7"
        with pytest.raises(KeyError):
            cell(page.table_view, "南地区", 1)
        page.tabs.setCurrentIndex(1)
        method = page.chart_panels["contacts_by_method"]
        assert method.values()["令和6年度"][1] == 0 and "電話＊" in method.spec.labels
        assert method.note.isVisible()
    finally:
        staff.close()


def test_choose_a_month_and_a_district(qtbot, ctx, data):
    page = open_page(qtbot, ctx)
    page.kind.setCurrentIndex(1)
    assert page.month.isVisible()
    page.month.setCurrentIndex(page.month.findText("令和6年8月"))
    assert "令和6年8月" in page.heading.text()
    assert cell(page.summary_view, "訪問記録の延べ件数", 1) == "2"  # H3 不在 8/1, 訪問 8/2
    page.district.setCurrentIndex(page.district.findData(data.south))
    assert page.stack.currentWidget() is page.empty  # nothing in 南地区 that month
    assert "令和6年8月の記録はありません" in page.empty.text()
    assert not page.csv_button.isEnabled() and not page.pdf_button.isEnabled()


def test_an_empty_year_shows_a_clear_state(qtbot, ctx):
    page = open_page(qtbot, ctx, year=None)  # a new store: only the running 年度
    assert page.stack.currentWidget() is page.empty
    assert "記録はありません" in page.empty.text()
    assert not page.pdf_button.isEnabled()


def test_export_csv_through_the_button(qtbot, ctx, data, tmp_path, monkeypatch):
    page = open_page(qtbot, ctx)
    asked = []

    def dialog(parent, title, suggested, filters):
        asked.append((suggested, filters))
        return str(tmp_path / "統計"), filters[1]  # Shift_JIS; the .csv is added

    monkeypatch.setattr(stats_page, "ask_save_path", dialog)
    click(qtbot, page.csv_button)
    suggested, filters = asked[0]
    assert os.path.basename(suggested) == "統計_令和6年度.csv"
    assert "UTF-8" in filters[0] and "Shift_JIS" in filters[1]
    target = tmp_path / "統計.csv"
    rows = list(csv.reader(io.StringIO(target.read_bytes().decode("cp932"), newline="")))
    assert rows[0] == ["統計（社協デスク）"]
    assert ["電話", "<3", "<3"] in rows  # exported suppressed even by a coordinator
    assert "Shift_JIS" in page.status.text() and str(target) in page.status.text()


def test_export_pdf_through_the_button(qtbot, ctx, data, tmp_path, monkeypatch):
    page = open_page(qtbot, ctx)
    monkeypatch.setattr(stats_page, "ask_save_path", lambda *a: (str(tmp_path / "報告書.pdf"), a[3][0]))
    click(qtbot, page.pdf_button)
    reader = PdfReader(str(tmp_path / "報告書.pdf"))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "令和6年度（令和6年4月1日～令和7年3月31日）" in text and "山里村社会福祉協議会" in text
    assert "報告書を保存しました" in page.status.text()


def test_an_unwritable_folder_is_a_sentence_and_nothing_is_written(qtbot, ctx, data, tmp_path, monkeypatch):
    page = open_page(qtbot, ctx)
    folder = tmp_path / "locked"
    folder.mkdir()
    monkeypatch.setattr(stats_page, "ask_save_path", lambda *a: (str(folder / "報告書.pdf"), a[3][0]))

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(safe_file.os, "open", refuse_partial(refuse))
    click(qtbot, page.pdf_button)
    assert "書き込めない" in page.errors.text() and page.errors.isVisible()
    assert list(folder.iterdir()) == []
    assert page.pdf_button.isEnabled()  # the page can try again


def test_cancelling_the_dialog_writes_nothing(qtbot, ctx, data, tmp_path, monkeypatch):
    page = open_page(qtbot, ctx)
    monkeypatch.setattr(stats_page, "ask_save_path", lambda *a: ("", ""))
    click(qtbot, page.csv_button)
    assert not page.status.isVisible() and not page.errors.isVisible()
