"""保存期間を過ぎた記録: the admin ticks households past retention and erases them after typing
削除; cancelling or not typing the word changes nothing."""

import os
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.store.services import districts, retention
from shakyo_desk.ui.pages.retention import ConfirmPurgeDialog, RetentionPage
from tests.store.test_retention import SECRET, _all_text, closed_case
from tests.ui.helpers import click, type_text


@pytest.fixture(autouse=True)
def _on_a_day_past_retention(pin_today):
    pin_today(date(2026, 12, 5))  # the closed cases of 2019 are past five years' retention


def _page(qtbot, ctx):
    district = districts.add_district(ctx.store, "上町", "かみまち")
    old = closed_case(ctx.store, district, "架空 古子", "カクウ フルコ", date(2019, 6, 1))
    other = closed_case(ctx.store, district, "架空 旧子", "カクウ キュウコ", date(2019, 4, 20), note="別のメモ")
    page = RetentionPage(ctx)
    qtbot.addWidget(page)
    page.refresh()
    return page, old, other


def _tick(page, household_id):
    for r in range(page.table.rowCount()):
        item = page.table.item(r, 0)
        if item.data(Qt.ItemDataRole.UserRole) == household_id:
            item.setCheckState(Qt.CheckState.Checked)


def test_lists_ticks_and_purges_after_confirmation(qtbot, ctx):
    page, old, other = _page(qtbot, ctx)
    assert page.table.rowCount() == 2 and not page.purge_button.isEnabled()
    # oldest last activity first: the other case's contact of 2019-05-01
    assert page.table.item(0, 3).text() == format_wareki(date(2019, 5, 1))
    assert page.table.item(1, 5).text() == "世帯員1人・訪問記録1件・把握シート1件・シートの状況2件"
    assert "6件" in page.table.item(1, 5).toolTip()
    asked = []
    page.ask_confirmation = lambda chosen: asked.append([(e.household_id, e.records) for e in chosen]) or True
    _tick(page, old)
    assert page.checked_label.text() == "1世帯にチェック"
    click(qtbot, page.purge_button)
    assert asked == [[(old, 6)]]
    assert "1世帯（6件の記録）を消去しました" in page.status.text()
    assert [page.table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(page.table.rowCount())] == [other]
    text = _all_text(ctx.store)
    assert SECRET not in text and "別のメモ" in text


def test_cancel_changes_nothing(qtbot, ctx):
    page, old, _ = _page(qtbot, ctx)
    page.ask_confirmation = lambda chosen: False
    _tick(page, old)
    click(qtbot, page.purge_button)
    assert page.table.rowCount() == 2 and page.status.text() == ""
    assert SECRET in _all_text(ctx.store)
    assert len(retention.list_expired(ctx.store)) == 2


def test_the_dialog_needs_the_typed_word(qtbot, ctx):
    _page(qtbot, ctx)
    dialog = ConfirmPurgeDialog(retention.list_expired(ctx.store))
    qtbot.addWidget(dialog)
    assert not dialog.erase_button.isEnabled()
    type_text(qtbot, dialog.word, "削")
    assert not dialog.erase_button.isEnabled()
    type_text(qtbot, dialog.word, "除")
    assert dialog.erase_button.isEnabled()


def test_empty_state(qtbot, ctx, tmp_path):
    page = RetentionPage(ctx)
    qtbot.addWidget(page)
    page.refresh()
    assert page.stack.currentWidget() is page.empty and "ありません" in page.empty.text()
    page.resize(900, 500)
    shot = Path(os.environ.get("SHAKYO_SCREENSHOTS") or tmp_path) / "retention_empty.png"
    assert page.grab().save(str(shot))
