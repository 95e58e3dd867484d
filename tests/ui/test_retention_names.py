"""保存期間の整理 says whom a clerk is about to erase (issue 17): each row names the head of the
household, their address and district, what will be erased by kind and the last activity in
和暦; the confirmation names them again. On the demo village too (its closed cases of long ago)."""

from datetime import date

import pytest
from PySide6.QtCore import Qt

from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.store.services import districts, retention
from shakyo_desk.ui.pages.retention import ConfirmPurgeDialog, RetentionPage
from tests.store.test_retention import closed_case
from tests.ui.demo_village import demo_ctx, demo_store, village_template  # noqa: F401 - fixtures
from tests.ui.helpers import click


@pytest.fixture(autouse=True)
def _on_a_day_past_retention(pin_today):
    pin_today(date(2026, 12, 5))  # the closed cases of 2019 are past five years' retention


def row_texts(page) -> list[str]:
    table = page.table
    return [" ".join(table.item(r, c).text() for c in range(table.columnCount()) if table.item(r, c))
            for r in range(table.rowCount())]


def column(page, title: str) -> int:
    for c in range(page.table.columnCount()):
        if page.table.horizontalHeaderItem(c).text() == title:
            return c
    raise AssertionError(title)


def test_rows_name_the_household(qtbot, ctx):
    district = districts.add_district(ctx.store, "上町", "かみまち")
    old = closed_case(ctx.store, district, "架空 古子", "カクウ フルコ", date(2019, 6, 1))
    page = RetentionPage(ctx)
    qtbot.addWidget(page)
    page.refresh()
    [text] = row_texts(page)
    assert "架空 古子" in text and "架空村上町9-9" in text and "上町" in text
    assert format_wareki(date(2019, 6, 1)) in text  # 令和元年6月1日
    what = page.table.item(0, column(page, "消去する記録")).text()
    assert "訪問記録1件" in what and "把握シート1件" in what and "世帯員1人" in what, what
    name_item = page.table.item(0, 0)
    assert name_item.data(Qt.ItemDataRole.UserRole) == old and name_item.text() == "架空 古子"
    assert "カクウ フルコ" in name_item.toolTip()

    asked = []

    def confirm(chosen):
        asked.append(chosen)
        return False

    page.ask_confirmation = confirm
    name_item.setCheckState(Qt.CheckState.Checked)
    click(qtbot, page.purge_button)
    [[chosen]] = asked
    assert chosen.household_id == old and chosen.head_name == "架空 古子"


def test_the_confirmation_names_whom_it_erases(qtbot, ctx):
    district = districts.add_district(ctx.store, "上町", "かみまち")
    closed_case(ctx.store, district, "架空 古子", "カクウ フルコ", date(2019, 6, 1))
    closed_case(ctx.store, district, "架空 旧子", "カクウ キュウコ", date(2019, 4, 20))
    chosen = retention.list_expired(ctx.store)
    dialog = ConfirmPurgeDialog(chosen)
    qtbot.addWidget(dialog)
    text = dialog.summary_text()
    assert "2世帯" in text and "架空 古子" in text and "架空 旧子" in text and "架空村上町9-9" in text
    assert "訪問記録2件" in text


def test_expired_households_carry_names_and_kinds(ctx):
    district = districts.add_district(ctx.store, "上町", "かみまち")
    closed_case(ctx.store, district, "架空 古子", "カクウ フルコ", date(2019, 6, 1))
    [e] = retention.list_expired(ctx.store)
    assert (e.head_name, e.head_kana, e.address, e.district) == ("架空 古子", "カクウ フルコ", "架空村上町9-9", "上町")
    assert dict(e.kinds) == {"世帯": 1, "世帯員": 1, "訪問記録": 1, "把握シート": 1, "シートの状況": 2}
    assert e.records == 6


def test_the_demo_villages_old_cases_have_names(qtbot, demo_ctx):  # noqa: F811
    page = RetentionPage(demo_ctx)
    qtbot.addWidget(page)
    page.refresh()
    assert page.table.rowCount() > 0
    names = [page.table.item(r, 0).text() for r in range(page.table.rowCount())]
    assert all(n and not n.startswith("H-") for n in names), names
