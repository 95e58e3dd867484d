from datetime import timedelta

from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QDialog

from shakyo_desk.store.services import contacts, households, salons
from shakyo_desk.ui.household_editor import HouseholdEditorDialog, interval_fields, interval_parts
from shakyo_desk.ui.pages.households import HouseholdListPage
from shakyo_desk.ui.timeline import TimelineDialog
from shakyo_desk.domain import clock

TODAY = clock.today()


def records(ctx, village):
    hid = village["households"]["yamada"]
    person = households.get_household(ctx.store, hid).members[0].id
    salon = salons.add_salon(ctx.store, "ひだまりサロン", village["districts"]["north"])
    salons.record_session(ctx.store, salon, TODAY - timedelta(days=10), attendee_ids=[person])
    contacts.add_contact(ctx.store, household_id=hid, contact_date=TODAY - timedelta(days=2), method="訪問",
                         seen_heard="足が痛いと話していた。\n買い物に困っている", concerns=["介護"],
                         next_action="包括に相談")
    return hid


def make_timeline(qtbot, ctx, hid):
    dialog = TimelineDialog(ctx, hid, "山田 花子")
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_timeline_shows_contact_and_attendance_and_filters(qtbot, ctx, village):
    hid = records(ctx, village)
    dialog = make_timeline(qtbot, ctx, hid)
    assert [e.kind for e in dialog.entries] == ["contact", "attendance"]  # newest first
    text = dialog.view.toPlainText()
    assert "訪問記録" in text and "サロン参加" in text
    assert "サロン「ひだまりサロン」に参加" in text
    assert "足が痛いと話していた" in text and "買い物に困っている" in text
    assert "記録：管理 太郎" in text
    assert dialog.count_label.text() == "2件"

    dialog.kind_boxes["contact"].setChecked(False)
    assert [e.kind for e in dialog.entries] == ["attendance"]
    dialog.kind_boxes["contact"].setChecked(True)
    dialog.kind_boxes["attendance"].setChecked(False)
    assert [e.kind for e in dialog.entries] == ["contact"]
    dialog.kind_boxes["attendance"].setChecked(True)

    dialog.date_from.set_date(TODAY - timedelta(days=5))
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert [e.kind for e in dialog.entries] == ["contact"]
    dialog.date_from.set_date(TODAY + timedelta(days=1))
    dialog.load()
    assert dialog.entries == [] and "条件に合う記録はありません" in dialog.view.toPlainText()
    qtbot.mouseClick(dialog.clear_button, Qt.MouseButton.LeftButton)
    assert len(dialog.entries) == 2
    dialog.date_from.edit.setText("平成31年5月1日")
    dialog.load()
    assert dialog.errors.text().startswith("期間のはじめ：平成31年5月1日は平成が終わった後の日付です")


def test_timeline_contact_link_opens_the_record(qtbot, ctx, village):
    hid = records(ctx, village)
    dialog = make_timeline(qtbot, ctx, hid)
    contact_id = dialog.entries[0].ref_id
    dialog.view.anchorClicked.emit(QUrl(f"contact:{contact_id}"))
    detail = dialog.contact_detail
    assert detail.info.id == contact_id
    detail.done(0)


def test_empty_timeline_explains(qtbot, ctx, village):
    dialog = make_timeline(qtbot, ctx, village["households"]["tanaka"])
    assert "この世帯の記録はまだありません" in dialog.view.toPlainText()


def test_timeline_from_household_list_and_editor(qtbot, ctx, village):
    hid = records(ctx, village)
    page = HouseholdListPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    row = [page.model.row_at(i).id for i in range(page.model.rowCount())].index(hid)
    page.table.selectRow(row)
    assert page.timeline_button.isEnabled()
    qtbot.mouseClick(page.timeline_button, Qt.MouseButton.LeftButton)
    assert page.timeline.household_id == hid and len(page.timeline.entries) == 2
    page.timeline.done(0)

    page.open_household(hid)
    editor = page.editor
    qtbot.addWidget(editor)
    qtbot.mouseClick(editor.timeline_button, Qt.MouseButton.LeftButton)
    assert editor.timeline.household_id == hid
    editor.timeline.done(0)
    qtbot.mouseClick(editor.contact_button, Qt.MouseButton.LeftButton)
    assert editor.contact_entry.household_id == hid
    editor.contact_entry.done(0)
    editor.done(QDialog.DialogCode.Rejected)


def test_interval_units():
    assert interval_parts(None, 3) == (3, "months")
    assert interval_parts(14, None) == (2, "weeks")
    assert interval_parts(10, None) == (10, "days")
    assert interval_parts(None, None) == (0, "days")
    assert interval_fields(2, "weeks") == {"watch_interval_days": 14, "watch_interval_months": None}
    assert interval_fields(0, "months") == {"watch_interval_days": None, "watch_interval_months": None}


def test_editor_interval_in_months_round_trips(qtbot, ctx, village):
    hid = village["households"]["suzuki"]
    households.update_household(ctx.store, hid, watch_interval_days=10)
    editor = HouseholdEditorDialog(ctx, households.get_household(ctx.store, hid), [])
    qtbot.addWidget(editor)
    assert editor.watch_interval.value() == 10 and editor.watch_unit.currentData() == "days"
    editor.watch_interval.setValue(2)
    editor.watch_unit.setCurrentIndex(editor.watch_unit.findData("months"))
    with qtbot.waitSignal(editor.saved):
        editor.save()
    detail = households.get_household(ctx.store, hid)
    assert detail.watch_interval_months == 2 and detail.watch_interval_days is None

    again = HouseholdEditorDialog(ctx, detail, [])
    qtbot.addWidget(again)
    assert again.watch_interval.value() == 2 and again.watch_unit.currentText() == "か月ごと"
    assert not again.is_dirty()
    again.watch_unit.setCurrentIndex(again.watch_unit.findData("weeks"))
    again.save()
    detail = households.get_household(ctx.store, hid)
    assert detail.watch_interval_days == 14 and detail.watch_interval_months is None
