from datetime import date, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from shakyo_desk.store.services import contacts, places
from shakyo_desk.ui.contact_entry import ContactEntryDialog, normalise_time
from shakyo_desk.ui.date_field import parse_date_text
from shakyo_desk.ui.pages.contacts import ContactsPage
from tests.ui.helpers import type_text
from shakyo_desk.domain import clock

TODAY = clock.today()


def make_entry(qtbot, ctx, **kwargs):
    dialog = ContactEntryDialog(ctx, **kwargs)
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
        dialog.activateWindow()
    return dialog


def press(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier):
    """A key press where the keyboard focus is, like a person typing."""
    widget = QApplication.focusWidget()
    assert widget is not None
    qtbot.keyClick(widget, key, modifier)


def test_parse_dates_as_typed():
    today = date(2025, 11, 23)
    assert parse_date_text("2025/11/20", today=today) == date(2025, 11, 20)
    assert parse_date_text("11/2", today=today) == date(2025, 11, 2)
    assert parse_date_text("R7.11.3", today=today) == date(2025, 11, 3)
    assert parse_date_text("令和7年11月3日", today=today) == date(2025, 11, 3)
    assert parse_date_text("２０２５／１１／０１", today=today) == date(2025, 11, 1)
    assert parse_date_text("20251101", today=today) == date(2025, 11, 1)
    assert parse_date_text("", today=today) is None
    assert normalise_time("1430") == "14:30" and normalise_time("9時") == "09:00" and normalise_time("") == ""


def test_keyboard_only_walk_through_quick_entry(qtbot, ctx, village):
    dialog = make_entry(qtbot, ctx)
    assert QApplication.focusWidget() is dialog.household
    type_text(qtbot, dialog.household, "やまだ")
    qtbot.waitUntil(lambda: dialog.completer.popup().isVisible(), timeout=1000)
    popup = dialog.completer.popup()
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.household_id == village["households"]["yamada"], timeout=1000)
    qtbot.waitUntil(lambda: not popup.isVisible() and QApplication.focusWidget() is dialog.household, timeout=1000)
    assert dialog.household.text().startswith("山田 花子")
    # date: keep today; Tab to time, type it; Tab to the method, press 2 (電話)
    press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.contact_date.edit
    press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.contact_time
    type_text(qtbot, dialog.contact_time, "1030")
    press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() in dialog.method.buttons.values()
    press(qtbot, Qt.Key.Key_2)
    assert dialog.method.value() == "電話"
    # companions: the first item (民生委員) ticked with Space
    press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.companions
    dialog.companions.setCurrentRow(0)
    press(qtbot, Qt.Key.Key_Space)
    press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.companion_text
    press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.seen_heard
    type_text(qtbot, dialog.seen_heard, "元気そう。灯油が残り少ない")
    press(qtbot, Qt.Key.Key_Tab)  # Tab leaves the text box
    assert QApplication.focusWidget() is dialog.concerns
    dialog.concerns.setCurrentRow(0)
    press(qtbot, Qt.Key.Key_Space)
    press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.urgency
    press(qtbot, Qt.Key.Key_Down)  # 緊急
    press(qtbot, Qt.Key.Key_Down)  # 早め
    press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.isolation
    press(qtbot, Qt.Key.Key_Down)  # 孤立している
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, dialog.next_action, "灯油の配達を確認")
    press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.next_date.edit
    next_date = TODAY + timedelta(days=7)
    type_text(qtbot, dialog.next_date.edit, next_date.strftime("%Y/%m/%d"))
    with qtbot.waitSignal(dialog.saved):
        press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    saved = contacts.list_contacts(ctx.store)
    assert len(saved) == 1
    c = saved[0]
    assert c.household_id == village["households"]["yamada"]
    assert c.contact_date == TODAY and c.contact_time == "10:30" and c.method == "電話"
    assert c.companions == ("民生委員",)
    assert c.seen_heard == "元気そう。灯油が残り少ない"
    assert c.concerns == ("生活費・借金",)
    assert c.urgency == "早め" and c.isolation == "孤立している"
    assert c.next_action == "灯油の配達を確認" and c.next_contact_date == next_date
    assert c.staff_name == "管理 太郎"
    # confirmation, and a fresh form for the next one (household cleared, date kept)
    assert dialog.isVisible() and "保存しました" in dialog.confirmation.text()
    assert dialog.household_id is None and dialog.household.text() == ""
    assert dialog.contact_date.date() == TODAY
    assert dialog.seen_heard.toPlainText() == "" and dialog.method.value() == "訪問"
    assert dialog.sheet_button.isEnabled()
    assert not dialog.is_dirty()


def test_bad_input_stays_open_and_saves_nothing(qtbot, ctx, village):
    dialog = make_entry(qtbot, ctx)
    type_text(qtbot, dialog.seen_heard, "誰かの話")
    dialog.save()
    assert "世帯か地域の拠点" in dialog.errors.text()

    dialog.set_household(village["households"]["suzuki"], "鈴木 一郎")
    dialog.contact_date.set_date(TODAY + timedelta(days=3))
    dialog.save()
    assert "未来の日付" in dialog.errors.text()

    dialog.contact_date.set_date(TODAY)
    dialog.next_date.set_date(TODAY - timedelta(days=1))
    qtbot.keyClick(dialog.next_action, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "次回の予定日が訪問日より前" in dialog.errors.text()

    dialog.next_date.edit.setText("あした")
    dialog.save()
    assert "次回の予定日「あした」は日付として読み取れません" in dialog.errors.text()

    dialog.next_date.edit.setText("R7.2.30")
    dialog.save()
    assert "次回の予定日：令和7年2月30日という日はありません" in dialog.errors.text()

    assert dialog.isVisible()
    assert dialog.seen_heard.toPlainText() == "誰かの話"
    assert dialog.household_id == village["households"]["suzuki"]
    assert contacts.list_contacts(ctx.store) == []


def test_typed_name_without_choosing_is_explained(qtbot, ctx, village):
    dialog = make_entry(qtbot, ctx)
    type_text(qtbot, dialog.household, "zzz")
    dialog.save()
    assert "世帯が選ばれていません" in dialog.errors.text()
    assert contacts.list_contacts(ctx.store) == []


def test_single_match_enter_picks_it(qtbot, ctx, village):
    dialog = make_entry(qtbot, ctx)
    type_text(qtbot, dialog.household, "すずき")
    dialog.run_search()
    dialog.completer.popup().hide()
    qtbot.keyClick(dialog.household, Qt.Key.Key_Return)
    assert dialog.household_id == village["households"]["suzuki"]


def test_place_contact(qtbot, ctx, village):
    place_id = places.add_place(ctx.store, "みどり商店", "店", village["districts"]["south"])
    dialog = make_entry(qtbot, ctx)
    dialog.to_place.setChecked(True)
    assert dialog.place_box.isVisibleTo(dialog) and not dialog.household_box.isVisibleTo(dialog)
    dialog.place.setCurrentIndex(dialog.place.findData(place_id))
    dialog.method.set_value("立ち寄り")
    type_text(qtbot, dialog.seen_heard, "最近、北の山田さんを見かけないとのこと")
    dialog.save()
    saved = contacts.list_contacts(ctx.store)
    assert [(c.place_name, c.method) for c in saved] == [("みどり商店", "立ち寄り")]


def test_opened_for_a_household(qtbot, ctx, village):
    hid = village["households"]["tanaka"]
    dialog = make_entry(qtbot, ctx, household_id=hid, household_label="田中 正")
    assert dialog.household_id == hid
    dialog.save()
    assert [c.household_id for c in contacts.list_contacts(ctx.store)] == [hid]


def test_turn_contact_into_sheet_goes_through_the_navigator(qtbot, ctx, village, monkeypatch):
    hid = village["households"]["yamada"]
    dialog = make_entry(qtbot, ctx, household_id=hid, household_label="山田 花子")
    type_text(qtbot, dialog.seen_heard, "食事がとれていない")
    dialog.save()
    received = []
    monkeypatch.setattr(ctx.navigator, "open_sheet_form", lambda prefill, *_a, **_k: received.append(prefill))
    dialog.turn_into_sheet()
    assert received[0]["household_id"] == hid and received[0]["situation"] == "食事がとれていない"


# ---- the 訪問記録 page -------------------------------------------------------------

def make_page(qtbot, ctx):
    page = ContactsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1100, 600)
    page.show()
    page.refresh()
    return page


def shown(page):
    return [(c.household_name or c.place_name, c.method) for c in page.rows]


def test_contacts_page_filters(qtbot, ctx, village):
    h, d = village["households"], village["districts"]
    page = make_page(qtbot, ctx)
    assert page.stack.currentWidget() is page.empty
    assert "まだ訪問記録がありません" in page.empty.text()

    contacts.add_contact(ctx.store, household_id=h["yamada"], contact_date=TODAY - timedelta(days=40),
                         concerns=["介護"], method="訪問")
    contacts.add_contact(ctx.store, household_id=h["suzuki"], contact_date=TODAY - timedelta(days=2), method="電話")
    contacts.add_contact(ctx.store, household_id=h["tanaka"], contact_date=TODAY, method="不在")
    page.refresh()
    assert shown(page) == [("田中 正", "不在"), ("鈴木 一郎", "電話"), ("山田 花子", "訪問")]
    assert page.table.rowCount() == 3
    assert page.count_label.text() == "3件"

    page.method.setCurrentIndex(page.method.findData("電話"))
    assert shown(page) == [("鈴木 一郎", "電話")]
    page.method.setCurrentIndex(0)

    page.district.setCurrentIndex(page.district.findData(d["kami"]))
    assert shown(page) == [("山田 花子", "訪問")]
    page.district.setCurrentIndex(0)

    page.concern.setCurrentIndex(page.concern.findData("介護"))
    assert shown(page) == [("山田 花子", "訪問")]
    page.concern.setCurrentIndex(0)

    page.date_from.set_date(TODAY - timedelta(days=7))
    page.apply_filters()
    assert [n for n, _ in shown(page)] == ["田中 正", "鈴木 一郎"]
    page.date_to.set_date(TODAY - timedelta(days=1))
    page.apply_filters()
    assert [n for n, _ in shown(page)] == ["鈴木 一郎"]

    page.date_from.set_date(TODAY + timedelta(days=1))
    page.date_to.set_date(TODAY + timedelta(days=2))
    page.apply_filters()
    assert page.stack.currentWidget() is page.empty and "条件に合う訪問記録はありません" in page.empty.text()


def test_contacts_page_opens_timeline_and_new_entry(qtbot, ctx, village):
    hid = village["households"]["suzuki"]
    contacts.add_contact(ctx.store, household_id=hid, method="訪問", seen_heard="畑仕事をしていた")
    page = make_page(qtbot, ctx)
    page.open_row(0)
    timeline = page.timeline
    assert timeline.household_id == hid and len(timeline.entries) == 1
    timeline.done(0)

    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    entry = page.contact_entry
    assert isinstance(entry, ContactEntryDialog)
    entry.set_household(village["households"]["tanaka"], "田中 正")
    entry.save()
    assert page.table.rowCount() == 2  # the page refreshed after the save
    entry.done(0)


def test_a_visit_saved_without_a_time_is_first_and_selected(qtbot, ctx, village, pinned_clock):
    """Issue 17: a visit saved without a time went under the day's timed visits, and the clerk
    could not see what they had just saved without filtering."""
    from datetime import datetime, timezone

    pinned_clock.moment = datetime(2026, 12, 7, 10, 0, tzinfo=timezone(timedelta(hours=9)))  # 10:00 in Japan
    today = clock.today()
    for key, at in (("suzuki", "08:30"), ("tanaka", "09:45")):
        contacts.add_contact(ctx.store, household_id=village["households"][key], contact_time=at, today=today)
    for days in range(1, 30):  # a month of visits before today: the list is longer than the page
        contacts.add_contact(ctx.store, household_id=village["households"]["tanaka"], contact_time="11:00",
                             contact_date=today - timedelta(days=days), today=today)
    page = make_page(qtbot, ctx)
    page.table.selectRow(20)  # the clerk was looking further down
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    entry = page.contact_entry
    entry.set_household(village["households"]["yamada"], "山田 花子")
    assert entry.contact_time.text() == ""
    with qtbot.waitSignal(entry.saved) as saved:
        qtbot.mouseClick(entry.save_button, Qt.MouseButton.LeftButton)
    assert page.rows[0].id == saved.args[0] and page.rows[0].household_name == "山田 花子"
    assert page.table.currentRow() == 0 and page.table.item(0, 2).text() == "山田 花子"
    assert page.table.visualItemRect(page.table.item(0, 0)).intersects(page.table.viewport().rect())  # in view
    entry.done(0)
