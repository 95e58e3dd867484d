"""「この端末で報告者が使えるようにする…」 on the 同期 page (issue 16), with real stores: an office
made by init, a laptop enrolled from it and unlocked by a staff member."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from shakyo_desk.domain.roles import Role
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.reporter import ReporterSession
from shakyo_desk.store.services import accounts
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.store.store import unlock
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.pages.registry import pages_for
from shakyo_desk.ui.pages.sync import SyncPage
from shakyo_desk.ui.reporter_here import DONE_TEXT, NONE_TEXT, offers_reporter_here
from shakyo_desk.ui.worker import SyncExecutor
from tests.sync.council import PASSPHRASE, enrol, make_office
from tests.ui.helpers import click

REP_PASS = "reporter passphrase"
NEW_PASS = "on the laptop 42"


@pytest.fixture
def council(tmp_path):
    office, _kit = make_office(tmp_path)
    rep_id = accounts.add_account(office, "rep", "報告 次郎", "reporter", REP_PASS, section="介護保険事業所",
                                  kdf=FAST_KDF)
    accounts.add_account(office, "tanaka", "田中 一郎", "staff", PASSPHRASE, kdf=FAST_KDF)
    laptop = enrol(office, tmp_path, "laptop1", login="tanaka")
    opened = [office, laptop]
    yield office, laptop, rep_id, opened
    for s in opened:
        if s.is_open:
            s.close()


def make_page(qtbot, store, ui_settings):
    ctx = AppContext(store=store, executor=SyncExecutor(), ui_settings=ui_settings, council=get_settings(store),
                     kdf=FAST_KDF)
    page = SyncPage(ctx)
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    page.refresh()
    qtbot.wait(20)
    return page


def open_dialog(qtbot, page):
    button = page.reporter_here_button
    assert button.isVisible() and button.text() == "この端末で報告者が使えるようにする…"
    click(qtbot, button)
    dialog = button.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=2000)
    return dialog


def press(qtbot, key):
    """A key press where the keyboard focus is, like a person typing."""
    widget = QApplication.focusWidget()
    assert widget is not None
    qtbot.keyClick(widget, key)


def test_the_button_is_for_laptops_data_key_sessions_only(qtbot, council, ui_settings):
    office, laptop, _rep_id, opened = council
    # (each page is kept until the test ends: pytest-qt holds them weakly, and a page collected
    # while shown trips the event filter of ui/events.py)
    office_page = make_page(qtbot, office, ui_settings)
    assert not office_page.reporter_here_button.isVisible()  # at the office: the admin's アカウント page
    staff = unlock(office.layout.root, "tanaka", PASSPHRASE)
    opened.append(staff)
    staff_page = make_page(qtbot, staff, ui_settings)
    assert not staff_page.reporter_here_button.isVisible()
    laptop_page = make_page(qtbot, laptop, ui_settings)
    assert laptop_page.reporter_here_button.isVisible()

    # a reporter: no 同期 page at all, and never the button
    assert "sync" not in [p.key for p in pages_for(Role.REPORTER)]
    assert not offers_reporter_here(Role.REPORTER, False)
    reporter = unlock(office.layout.root, "rep", REP_PASS)
    assert isinstance(reporter, ReporterSession)
    opened.append(reporter)
    reporter_page = make_page(qtbot, reporter, ui_settings)
    assert not reporter_page.reporter_here_button.isVisible()
    for page in (office_page, staff_page, laptop_page, reporter_page):
        page.close()


def test_a_staff_member_enables_the_reporter_on_the_laptop_from_the_keyboard(qtbot, council, ui_settings):
    _office, laptop, rep_id, _opened = council
    page = make_page(qtbot, laptop, ui_settings)
    dialog = open_dialog(qtbot, page)
    assert [dialog.reporter.itemText(i) for i in range(dialog.reporter.count())] == ["報告 次郎（介護保険事業所）"]
    assert dialog.reporter.currentData() == rep_id
    assert dialog.ok_button.isEnabled() and dialog.ok_button.text() == "使えるようにする"
    hint = dialog.sizeHint()
    assert hint.width() <= 700 and hint.height() <= 500  # compact on a 1366×768 laptop

    # a mismatch is said, and nothing is written
    assert QApplication.focusWidget() is dialog.reporter  # the first thing to choose has the focus
    press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.new
    qtbot.keyClicks(dialog.new, NEW_PASS)
    press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.again
    qtbot.keyClicks(dialog.again, NEW_PASS + "x")
    press(qtbot, Qt.Key.Key_Return)  # 「使えるようにする」 is the default button
    assert "一致しません" in dialog.errors.text() and dialog.errors.isVisible()
    assert "rep" not in laptop.keyfile.accounts

    dialog.again.clear()
    qtbot.keyClicks(dialog.again, NEW_PASS)
    press(qtbot, Qt.Key.Key_Return)
    assert not dialog.errors.isVisible()
    assert dialog.message.isVisible() and dialog.message.text() == DONE_TEXT.format(name="報告 次郎")
    assert dialog.message.text() == "報告 次郎さんは、この端末でロックを解除して把握シートを出せるようになりました。"
    assert not dialog.form_box.isVisible() and not dialog.ok_button.isVisible()
    assert dialog.close_button.text() == "閉じる" and QApplication.focusWidget() is dialog.close_button
    reporter = unlock(laptop.layout.root, "rep", NEW_PASS)
    assert isinstance(reporter, ReporterSession)
    reporter.close()
    press(qtbot, Qt.Key.Key_Space)
    assert not dialog.isVisible()

    # asked again: nobody is left to enable here
    again = open_dialog(qtbot, page)
    assert again.message.isVisible() and again.message.text() == NONE_TEXT
    assert not again.ok_button.isVisible() and not again.form_box.isVisible()


def test_the_empty_state_when_the_council_has_no_reporter(qtbot, tmp_path, ui_settings):
    office, _kit = make_office(tmp_path)
    laptop = enrol(office, tmp_path, "laptop1")
    try:
        page = make_page(qtbot, laptop, ui_settings)
        dialog = open_dialog(qtbot, page)
        assert dialog.message.text() == ("この端末で使えるようにできる報告者はいません。"
                                         "報告者のアカウントは事務局で管理者が作ります。")
        assert dialog.close_button.text() == "閉じる" and not dialog.ok_button.isVisible()
        assert not dialog.errors.isVisible()
        page.close()
    finally:
        laptop.close()
        office.close()


def test_a_refusal_from_the_service_is_shown_in_the_dialog(qtbot, council, ui_settings):
    _office, laptop, _rep_id, _opened = council
    page = make_page(qtbot, laptop, ui_settings)
    dialog = open_dialog(qtbot, page)
    dialog.new.setText("short")
    dialog.again.setText("short")
    click(qtbot, dialog.ok_button)
    assert "文字以上" in dialog.errors.text()
    assert dialog.ok_button.isEnabled() and dialog.form_box.isVisible()
