"""The quick contact entry with the keyboard alone, on the demo village: Ctrl+N in the main
window, the household found by typing its reading in hiragana, Tab from field to field in the
order they are read, the method by its number, a date typed in 和暦, ticks with Space, and
Ctrl+Enter to save. What was typed is what is stored."""

from datetime import date, timedelta

import jaconv
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from shakyo_desk.domain.vocab import COMPANIONS, CONTACT_METHODS
from shakyo_desk.store.services.contacts import get_contact
from shakyo_desk.store.services.households import list_households
from shakyo_desk.ui.contact_entry import ContactEntryDialog
from shakyo_desk.ui.main_window import MainWindow
from tests.ui.demo_village import demo_ctx, demo_store  # noqa: F401 - fixtures
from tests.ui.helpers import type_text
from shakyo_desk.domain import clock

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def focused():
    return QApplication.focusWidget()


def press(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier):
    """A key press where the keyboard focus is, like a person typing."""
    widget = focused()
    assert widget is not None
    qtbot.keyClick(widget, key, modifier)


def wareki_short(d: date) -> str:
    return f"R{d.year - 2018}.{d.month}.{d.day}"


def unique_reading(store):
    """A household whose head's reading, typed in hiragana, finds only that household."""
    for row in list_households(store, "", None, None):
        reading = jaconv.kata2hira(row.head_kana)
        if reading and len(list_households(store, reading, None, 3)) == 1:
            return row, reading
    pytest.fail("no household with a reading of its own in the demo village")


@pytest.fixture
def window(qtbot, demo_ctx):  # noqa: F811
    window = MainWindow(demo_ctx)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitActive(window):
        window.activateWindow()
    yield window
    window.idle.stop()


def open_with_ctrl_n(qtbot, window) -> ContactEntryDialog:
    window.nav.setFocus()
    press(qtbot, Qt.Key.Key_N, CTRL)
    qtbot.waitUntil(lambda: isinstance(getattr(window, "contact_entry", None), ContactEntryDialog)
                    and window.contact_entry.isVisible(), timeout=2000)
    dialog = window.contact_entry
    with qtbot.waitActive(dialog):
        dialog.activateWindow()
    qtbot.waitUntil(lambda: focused() is dialog.household, timeout=2000)
    return dialog


def test_tab_order_follows_the_form(qtbot, window):
    dialog = open_with_ctrl_n(qtbot, window)
    expected = [dialog.household, dialog.contact_date.edit, dialog.contact_time,
                dialog.method.buttons[CONTACT_METHODS[0]], dialog.companions, dialog.companion_text,
                dialog.seen_heard, dialog.concerns, dialog.urgency, dialog.isolation, dialog.next_action,
                dialog.next_date.edit, dialog.save_button, dialog.close_button]
    forward = [focused()]
    for _ in expected[1:]:
        press(qtbot, Qt.Key.Key_Tab)
        forward.append(focused())
    assert forward == expected, [type(w).__name__ + ":" + w.accessibleName() for w in forward]
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is dialog.household, (focused().accessibleName(), focused().placeholderText())
    backward = [focused()]
    for _ in expected[1:]:
        press(qtbot, Qt.Key.Key_Backtab, SHIFT)
        backward.append(focused())
    assert backward == [expected[0], *reversed(expected[1:])]
    dialog.done(0)


def test_a_whole_contact_with_the_keyboard(qtbot, window, demo_ctx):  # noqa: F811
    store = demo_ctx.store
    household, reading = unique_reading(store)
    dialog = open_with_ctrl_n(qtbot, window)
    today = clock.today()
    contact_day = today - timedelta(days=1)
    next_day = today + timedelta(days=14)

    # 世帯: the reading in hiragana, ↓ into the list, Enter
    type_text(qtbot, dialog.household, reading)
    qtbot.waitUntil(lambda: dialog.completer.popup().isVisible(), timeout=2000)
    popup = dialog.completer.popup()
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.household_id == household.id, timeout=2000)
    qtbot.waitUntil(lambda: not popup.isVisible() and focused() is dialog.household, timeout=2000)
    assert household.head_name in dialog.household_chosen.text()

    # 日付: typed over in 和暦; the 和暦 beside it confirms it
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is dialog.contact_date.edit
    press(qtbot, Qt.Key.Key_A, CTRL)
    type_text(qtbot, focused(), wareki_short(contact_day))
    assert dialog.contact_date.date() == contact_day
    assert f"{contact_day.month}月{contact_day.day}日" in dialog.contact_date.wareki.text()

    # 時刻, then 方法 by its number (2 電話)
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, focused(), "1030")
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() in dialog.method.buttons.values()
    press(qtbot, Qt.Key.Key_2)
    assert dialog.method.value() == CONTACT_METHODS[1]

    # 同行: arrows to the second choice, Space ticks it; then the names
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is dialog.companions
    press(qtbot, Qt.Key.Key_Home)
    press(qtbot, Qt.Key.Key_Right)
    press(qtbot, Qt.Key.Key_Space)
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is dialog.companion_text
    type_text(qtbot, focused(), "娘さん")

    # 見たこと聞いたこと: Tab leaves the text box instead of typing a tab
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is dialog.seen_heard
    type_text(qtbot, focused(), "台所で転んだと話していた。灯油は足りている")
    press(qtbot, Qt.Key.Key_Tab)

    # 困りごと: the first one, with Space
    assert focused() is dialog.concerns
    press(qtbot, Qt.Key.Key_Home)
    press(qtbot, Qt.Key.Key_Space)
    first_concern = dialog.concerns.item(0).data(Qt.ItemDataRole.UserRole)

    # 緊急度 (↓↓ 早め), 孤立 (↓ the first answer), 次にすること, 次回の予定日
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is dialog.urgency
    press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is dialog.isolation
    press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is dialog.next_action
    type_text(qtbot, focused(), "2週間後にもう一度訪ねる")
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is dialog.next_date.edit
    type_text(qtbot, focused(), next_day.strftime("%Y/%m/%d"))

    # Ctrl+Enter saves from wherever the cursor is
    with qtbot.waitSignal(dialog.saved, timeout=3000) as saved:
        press(qtbot, Qt.Key.Key_Return, CTRL)
    stored = get_contact(store, saved.args[0])
    assert stored.household_id == household.id
    assert stored.contact_date == contact_day and stored.contact_time == "10:30"
    assert stored.method == CONTACT_METHODS[1]
    assert stored.companions == (COMPANIONS[1], "娘さん")
    assert stored.seen_heard == "台所で転んだと話していた。灯油は足りている"
    assert stored.concerns == (first_concern,)
    assert stored.urgency == dialog.urgency.itemData(2) == "早め"
    assert stored.isolation == dialog.isolation.itemData(1)
    assert stored.next_action == "2週間後にもう一度訪ねる" and stored.next_contact_date == next_day
    # ready for the next one, the cursor back in the household search
    assert "保存しました" in dialog.confirmation.text()
    assert dialog.household_id is None and focused() is dialog.household
    dialog.done(0)


def test_a_place_contact_with_the_keyboard(qtbot, window, demo_ctx):  # noqa: F811
    """Alt+P switches to 地域の拠点: the place is chosen with the arrows; Enter alone never saves."""
    dialog = open_with_ctrl_n(qtbot, window)
    press(qtbot, Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: focused() is dialog.place, timeout=2000)
    assert dialog.to_place.isChecked()
    press(qtbot, Qt.Key.Key_Down)
    place_id = dialog.place.currentData()
    assert place_id
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is dialog.add_place_button
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is dialog.contact_date.edit
    press(qtbot, Qt.Key.Key_Return)  # Enter alone: nothing saved, nothing closed
    assert dialog.isVisible() and dialog.last_saved_id is None
    for _ in range(5):
        press(qtbot, Qt.Key.Key_Tab)
    assert focused() is dialog.seen_heard
    type_text(qtbot, focused(), "商店の方から、最近見かけない方がいると聞いた")
    with qtbot.waitSignal(dialog.saved, timeout=3000) as saved:
        press(qtbot, Qt.Key.Key_Return, CTRL)
    stored = get_contact(demo_ctx.store, saved.args[0])
    assert stored.place_id == place_id and stored.household_id is None
    assert stored.seen_heard == "商店の方から、最近見かけない方がいると聞いた"
    press(qtbot, Qt.Key.Key_H, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: dialog.to_household.isChecked() and focused() is dialog.household, timeout=2000)
    dialog.done(0)
