"""Issue 19 on screen: a household's 支え合い tab and the tie dialog (saved in the store, refused
with nothing changed, confirmed, ended, edited), a tie heard on a visit, the bulk entry per
district (N saved, the refused line kept with its reason), the 支え合い tab of the 地域 page."""

from datetime import date, timedelta

import sqlalchemy as sa
from PySide6.QtCore import Qt

from shakyo_desk.domain import clock
from shakyo_desk.store.models import AuditLog, ChangeLog
from shakyo_desk.store.services import activities, supporters, ties
from shakyo_desk.store.services.districts import list_districts
from shakyo_desk.store.services.households import get_household
from shakyo_desk.ui.community_ties_tab import CommunityTiesTab
from shakyo_desk.ui.contact_entry import ContactEntryDialog
from shakyo_desk.ui.household_editor import HouseholdEditorDialog
from shakyo_desk.ui.pages.community import CommunityPage
from shakyo_desk.ui.tie_bulk_dialog import TieBulkDialog
from tests.ui.helpers import type_text


def counts(store):
    with store.read() as s:
        return tuple(s.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in (ChangeLog, AuditLog))


def editor(qtbot, ctx, household_id):
    dialog = HouseholdEditorDialog(ctx, get_household(ctx.store, household_id, log=False), list_districts(ctx.store))
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_household_tab_records_a_tie_and_refuses_bad_input(qtbot, ctx, village):
    yamada = village["households"]["yamada"]
    helper = supporters.add_supporter(ctx.store, "田中 一夫", district_id=village["districts"]["kami"])
    dialog = editor(qtbot, ctx, yamada)
    section = dialog.ties
    assert dialog.member_tabs.tabText(2) == "支え合い" and section.table.rowCount() == 0

    qtbot.mouseClick(section.add_button, Qt.MouseButton.LeftButton)
    tie_dialog = section.tie_dialog
    qtbot.addWidget(tie_dialog)
    before = counts(ctx.store)
    tie_dialog.save()  # no supporter
    assert "支え手を、登録された担い手から選ぶか" in tie_dialog.errors.text()
    tie_dialog.supporter.setEditText("隣の 佐藤")
    tie_dialog.since.set_date(clock.today() + timedelta(days=3))
    tie_dialog.save()
    assert "未来" in tie_dialog.errors.text() and tie_dialog.isVisible()
    assert counts(ctx.store) == before and ties.list_ties(ctx.store, household_id=yamada) == []

    tie_dialog.since.set_date(clock.today() - timedelta(days=100))
    tie_dialog.supporter_kind.setCurrentText("住民")
    tie_dialog.kind.setCurrentText("声かけ")
    type_text(qtbot, tie_dialog.frequency, "毎朝")
    with qtbot.waitSignal(tie_dialog.saved):
        qtbot.keyClick(tie_dialog.frequency, Qt.Key.Key_Return)  # Enter saves
    [tie] = ties.list_ties(ctx.store, household_id=yamada)
    assert (tie.supporter, tie.supporter_kind, tie.kind, tie.frequency, tie.source) == (
        "隣の 佐藤", "住民", "声かけ", "毎朝", "世帯")
    assert section.table.rowCount() == 1 and dialog.member_tabs.tabText(2) == "支え合い（1）"

    qtbot.mouseClick(section.add_button, Qt.MouseButton.LeftButton)
    second = section.tie_dialog
    qtbot.addWidget(second)
    second.supporter.setEditText("田中 一夫")  # the registered one, typed
    assert not second.supporter_kind.isEnabled()
    second.kind.setCurrentText("買い物")
    with qtbot.waitSignal(second.saved):
        qtbot.keyClick(second.supporter.lineEdit(), Qt.Key.Key_Return)  # Enter in the combo saves too
    assert {t.supporter_id for t in ties.list_ties(ctx.store, household_id=yamada)} == {None, helper}


def test_stale_tie_confirmed_edited_and_ended(qtbot, ctx, village):
    yamada = village["households"]["yamada"]
    old = clock.today() - timedelta(days=500)
    tie_id = ties.add_tie(ctx.store, yamada, "見守り", supporter_name="郵便局", supporter_kind="事業所",
                          since=old, today=old)
    dialog = editor(qtbot, ctx, yamada)
    section = dialog.ties
    assert "1年以上前" in section.table.item(0, 5).text() and "1件" in section.summary.text()

    section.table.selectRow(0)
    qtbot.mouseClick(section.confirm_button, Qt.MouseButton.LeftButton)
    assert ties.list_ties(ctx.store, household_id=yamada)[0].confirmed_on == clock.today()
    assert "1年以上前" not in section.table.item(0, 5).text() and section.summary.text() == ""

    section.table.selectRow(0)
    section.edit()
    editing = section.tie_dialog
    qtbot.addWidget(editing)
    assert not editing.supporter.isEnabled() and editing.supporter.currentText() == "郵便局"
    editing.frequency.setText("配達のたび")
    with qtbot.waitSignal(editing.saved):
        editing.save()
    assert ties.list_ties(ctx.store, household_id=yamada)[0].frequency == "配達のたび"

    section.table.selectRow(0)
    qtbot.mouseClick(section.end_button, Qt.MouseButton.LeftButton)
    ending = section.end_dialog
    qtbot.addWidget(ending)
    ending.ended_on.set_date(old - timedelta(days=1))  # before it began
    before = counts(ctx.store)
    ending.save()
    assert "始まった日より前" in ending.errors.text() and counts(ctx.store) == before
    ending.ended_on.set_date(clock.today())
    with qtbot.waitSignal(ending.saved):
        ending.save()
    assert ties.list_ties(ctx.store, household_id=yamada) == []
    [ended] = ties.list_ties(ctx.store, household_id=yamada, include_ended=True)
    assert ended.id == tie_id and ended.ended_on == clock.today() and section.table.rowCount() == 0


def test_a_tie_heard_on_a_visit(qtbot, ctx, village):
    yamada = village["households"]["yamada"]
    dialog = ContactEntryDialog(ctx, household_id=yamada, household_label="山田 花子　上町")
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.tie_button.isEnabled()
    type_text(qtbot, dialog.seen_heard, "お隣の佐藤さんが毎朝声をかけているとのこと")
    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.save()
    contact_id = saved.args[0]
    assert dialog.tie_button.isEnabled()
    qtbot.mouseClick(dialog.tie_button, Qt.MouseButton.LeftButton)
    tie_dialog = dialog.tie_dialog
    qtbot.addWidget(tie_dialog)
    assert "山田 花子" in tie_dialog.findChildren(type(dialog.confirmation))[0].text()
    tie_dialog.supporter.setEditText("お隣の 佐藤さん")
    tie_dialog.supporter_kind.setCurrentText("住民")
    tie_dialog.kind.setCurrentText("声かけ")
    with qtbot.waitSignal(tie_dialog.saved):
        tie_dialog.save()
    [tie] = ties.list_ties(ctx.store, household_id=yamada)
    assert (tie.source, tie.supporter) == ("訪問", "お隣の 佐藤さん")
    with ctx.store.read() as s:
        from shakyo_desk.store.models import SupportTie

        assert s.get(SupportTie, tie.id).contact_id == contact_id


def test_bulk_entry_saves_the_lines_and_keeps_the_refused_one(qtbot, ctx, village):
    north = village["districts"]["north"]
    meeting = activities.add_activity(ctx.store, "地域懇談会", clock.today(), "北地区 なるほど懇談会", district_id=north)
    dialog = TieBulkDialog(ctx, list_districts(ctx.store), district_id=north)
    qtbot.addWidget(dialog)
    dialog.show()
    # 北地区 and its 上町: only the elderly living alone first, the others on request
    assert [dialog.household.itemText(i) for i in range(dialog.household.count())] == ["山田 花子（一人暮らし高齢者）"]
    dialog.all_households.setChecked(True)
    assert dialog.household.count() == 2
    dialog.activity.setCurrentIndex(dialog.activity.findData(meeting))

    dialog.household.setCurrentIndex(0)
    dialog.name.setFocus()
    type_text(qtbot, dialog.name, "隣の 佐藤")
    dialog.kind.setCurrentText("声かけ")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)  # Enter adds the line
    assert dialog.table.rowCount() == 1 and dialog.name.text() == "" and dialog.focusWidget() is dialog.name
    dialog.name.setText("長" * 101)  # too long a name: refused at saving
    qtbot.keyClick(dialog.frequency, Qt.Key.Key_Return)
    dialog.household.setCurrentIndex(1)
    dialog.name.setText("北の 商店")
    dialog.kind_of_supporter.setCurrentText("事業所")
    dialog.kind.setCurrentText("買い物")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Enter)
    assert dialog.table.rowCount() == 3

    before = counts(ctx.store)
    dialog.save()
    assert "2件の支え合いを記録しました" in dialog.result.text() and "1件は記録できませんでした" in dialog.result.text()
    assert dialog.table.rowCount() == 1 and "支え手の名前" in dialog.table.item(0, 5).text()
    saved = ties.list_tie_rows(ctx.store, [north])
    assert sorted(r.tie.supporter for r in saved) == ["北の 商店", "隣の 佐藤"]
    assert {r.tie.source for r in saved} == {"懇談会"}
    assert counts(ctx.store)[0] == before[0] + 2


def test_ties_tab_lists_ties_and_households_without_one(qtbot, ctx, village):
    yamada, tanaka = village["households"]["yamada"], village["households"]["tanaka"]
    page = CommunityPage(ctx)
    qtbot.addWidget(page)
    page.show()
    tab = page.show_tab("支え合い")
    assert isinstance(tab, CommunityTiesTab)
    tab.untied.setChecked(True)
    assert tab.untied_table.rowCount() == 1 and tab.untied_table.item(0, 0).text() == "山田 花子"
    ties.add_tie(ctx.store, yamada, "見守り", supporter_name="隣の 佐藤", supporter_kind="住民")
    tab.untied.setChecked(False)
    tab.district.setCurrentIndex(tab.district.findData(village["districts"]["north"]))
    assert tab.table.rowCount() == 1
    assert [tab.table.item(0, c).text() for c in (0, 1, 2)] == ["山田 花子", "上町", "隣の 佐藤"]
    tab.district.setCurrentIndex(tab.district.findData(village["districts"]["south"]))
    assert tab.table.rowCount() == 0
    tab.untied.setChecked(True)
    assert tab.untied_table.rowCount() == 0
    bulk = tab.bulk()
    qtbot.addWidget(bulk)
    assert bulk.district.currentData() == village["districts"]["south"]
    bulk.reject()
    tab.untied.setChecked(False)
    tab.district.setCurrentIndex(0)
    tab.table.selectRow(0)
    tab.open_household()
    qtbot.addWidget(tab.editor)
    assert tab.editor.detail.id == yamada and tanaka
