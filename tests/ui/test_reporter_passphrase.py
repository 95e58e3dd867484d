"""A reporter changes their passphrase from the main window's menu (issue 16)."""

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialogButtonBox

from shakyo_desk.domain.roles import Role
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.reporter import ReporterSession
from shakyo_desk.store.services import accounts, drops, sheets
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.store.store import unlock
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.main_window import MainWindow
from shakyo_desk.ui.worker import ThreadExecutor
from tests.ui.helpers import click, type_text

CARE_PASS = "care passphrase 1"
NEW_PASS = "brand new phrase 7"


def test_a_reporter_changes_their_passphrase_from_the_menu(qtbot, store, store_dir, ui_settings):
    accounts.add_account(store, "coord", "調整 花子", Role.COORDINATOR, "coord passphrase 1", kdf=FAST_KDF)
    accounts.add_account(store, "care1", "介護 花子", Role.REPORTER, CARE_PASS, kdf=FAST_KDF)
    drops.publish(store)
    store.close()
    reporter = unlock(store_dir, "care1", CARE_PASS)
    first = sheets.file_sheet(reporter, household_hint="北町の角の家", concerns=[reporter.concern_names()[0]],
                              urgency="早め")
    executor = ThreadExecutor()
    try:
        ctx = AppContext(store=reporter, executor=executor, ui_settings=ui_settings, council=get_settings(reporter),
                         kdf=FAST_KDF)
        window = MainWindow(ctx)
        qtbot.addWidget(window)
        window.show()
        action = next(a for a in window.findChildren(QAction) if a.text() == "パスフレーズの変更…")
        action.trigger()
        dialog = window.passphrase_dialog
        qtbot.addWidget(dialog)
        type_text(qtbot, dialog.old, CARE_PASS)
        type_text(qtbot, dialog.new, NEW_PASS)
        type_text(qtbot, dialog.again, NEW_PASS)
        click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Ok))
        qtbot.waitUntil(lambda: not dialog.isVisible() or bool(dialog.errors.text()), timeout=5000)
        assert not dialog.errors.text() and dialog.result() == dialog.DialogCode.Accepted
        assert window.statusBar().currentMessage() == "パスフレーズを変更しました。"

        # the session goes on with the new key pair: the reporter files again, sees both
        second = sheets.file_sheet(reporter, household_hint="南の坂の家", concerns=[reporter.concern_names()[0]],
                                   urgency="見守り")
        assert {s.id for s in sheets.list_sheets(reporter)} == {first, second}
        window.idle.stop()
    finally:
        executor.shutdown()
    assert isinstance(unlock(store_dir, "care1", NEW_PASS), ReporterSession)
    coordinator = unlock(store_dir, "coord", "coord passphrase 1")  # files both: the sender's key is current
    try:
        assert {s.id for s in sheets.list_sheets(coordinator)} == {first, second}
    finally:
        coordinator.close()
