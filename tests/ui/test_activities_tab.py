"""地域活動 tab (issue 19) through the real widgets: record an activity that raises a 地域課題 of
the register and a new one, refused input kept in the dialog with nothing changed, Enter on a row
opens it to edit, and the district and 年度 filters."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from shakyo_desk.domain import clock
from shakyo_desk.domain.wareki import format_wareki_short
from shakyo_desk.store.models import AuditLog, ChangeLog
from shakyo_desk.store.services import activities, community_issues
from shakyo_desk.ui.activities_tab import ActivitiesTab
from shakyo_desk.ui.activity_dialog import ActivityDialog
from tests.ui.helpers import type_text


def counts(store):
    with store.read() as s:
        return tuple(s.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in (ChangeLog, AuditLog))


@pytest.fixture
def tab(qtbot, ctx, village):
    tab = ActivitiesTab(ctx)
    qtbot.addWidget(tab)
    tab.resize(1200, 600)
    tab.show()
    tab.refresh()
    return tab


def test_an_activity_recorded_with_the_issues_it_raises(qtbot, ctx, tab, village):
    community_issues.add_issue(ctx.store, "雪かきの担い手がいない")
    tab.refresh()
    assert tab.table.rowCount() == 0 and not tab.edit_button.isEnabled()
    dialog = tab.add()
    assert isinstance(dialog, ActivityDialog) and dialog.new_issue.isVisible()
    dialog.kind.setCurrentText("地域懇談会")
    dialog.district.setCurrentIndex(dialog.district.findData(village["districts"]["kami"]))
    type_text(qtbot, dialog.title, "上町 なるほど地域懇談会")
    type_text(qtbot, dialog.participants, "十数人")
    before = counts(ctx.store)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)  # refused in the dialog, nothing saved
    assert "参加者数" in dialog.errors.text() and dialog.result() != QDialog.DialogCode.Accepted
    assert counts(ctx.store) == before
    dialog.participants.clear()
    type_text(qtbot, dialog.participants, "１８")
    type_text(qtbot, dialog.organisations, "自治会、民生委員協議会")
    type_text(qtbot, dialog.raised, "冬はバスが減って通院できない")
    dialog.issues.item(0).setCheckState(Qt.CheckState.Checked)
    type_text(qtbot, dialog.new_issue, "冬の移動手段がない")
    qtbot.keyClick(dialog.new_issue, Qt.Key.Key_Return)  # Enter saves
    assert dialog.result() == QDialog.DialogCode.Accepted, dialog.errors.text()
    assert tab.table.rowCount() == 1
    row = [tab.table.item(0, c).text() for c in range(tab.table.columnCount())]
    assert row[:6] == [format_wareki_short(clock.today()), "地域懇談会", "上町", "上町 なるほど地域懇談会", "18人",
                       "自治会、民生委員協議会"]
    assert set(row[7].split("、")) == {"雪かきの担い手がいない", "冬の移動手段がない"}
    assert {i.title: i.activity_count for i in community_issues.list_issues(ctx.store)} == {
        "雪かきの担い手がいない": 1, "冬の移動手段がない": 1}

    tab.table.selectRow(0)
    qtbot.keyClick(tab.table, Qt.Key.Key_Return)  # Enter on the row: open it to edit
    edit = tab.dialog
    assert edit is not dialog and edit.title.text() == "上町 なるほど地域懇談会" and edit.participants.text() == "18"
    assert len(edit.issues.checked()) == 2
    edit.participants.clear()
    type_text(qtbot, edit.participants, "21")
    type_text(qtbot, edit.followed, "協議体で移動支援を話し合う")
    qtbot.mouseClick(edit.ok_button, Qt.MouseButton.LeftButton)
    assert edit.result() == QDialog.DialogCode.Accepted, edit.errors.text()
    assert tab.table.item(0, 4).text() == "21人"
    [saved] = activities.list_activities(ctx.store)
    assert saved.followed == "協議体で移動支援を話し合う"


def test_the_district_and_year_filters(qtbot, ctx, tab, village):
    today = clock.today()
    activities.add_activity(ctx.store, "学習会", today, "上町 学習会", district_id=village["districts"]["kami"])
    activities.add_activity(ctx.store, "出張相談", today - timedelta(days=400), "南 出張相談",
                            district_id=village["districts"]["south"])
    tab.refresh()
    assert [tab.table.item(r, 3).text() for r in range(tab.table.rowCount())] == ["上町 学習会"]  # this 年度
    tab.year.setCurrentIndex(0)  # すべての年度
    assert tab.table.rowCount() == 2
    tab.district.setCurrentIndex(tab.district.findData(village["districts"]["north"]))  # takes in 上町
    assert [tab.table.item(r, 3).text() for r in range(tab.table.rowCount())] == ["上町 学習会"]
    tab.district.setCurrentIndex(tab.district.findData(village["districts"]["south"]))
    assert [tab.table.item(r, 3).text() for r in range(tab.table.rowCount())] == ["南 出張相談"]
    assert "1件の活動" in tab.summary.text()
