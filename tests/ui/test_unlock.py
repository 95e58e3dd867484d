from PySide6.QtCore import Qt

from shakyo_desk.store.store import Throttle
from shakyo_desk.ui.unlock import RecoveryDialog, UnlockDialog
from tests.ui.conftest import PASSPHRASE
from tests.ui.helpers import type_text


def make_dialog(qtbot, store_dir, executor, ui_settings, **kw):
    dialog = UnlockDialog(store_dir, executor, ui_settings, council_name="山里村社会福祉協議会", **kw)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_wrong_then_right_passphrase(qtbot, store, store_dir, executor, ui_settings):
    store.close()
    dialog = make_dialog(qtbot, store_dir, executor, ui_settings)
    type_text(qtbot, dialog.login, "admin")
    type_text(qtbot, dialog.passphrase, "wrong passphrase")
    qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
    assert dialog.errors.isVisible()
    assert "パスフレーズ" in dialog.errors.text()
    assert dialog.passphrase.text() == ""

    qtbot.wait(1100)  # the first failure asks for a one-second pause
    with qtbot.waitSignal(dialog.unlocked) as unlocked:
        type_text(qtbot, dialog.passphrase, PASSPHRASE)
        qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    opened = unlocked.args[0]
    assert opened.actor.login == "admin"
    assert ui_settings.last_login() == "admin"
    opened.close()

    again = make_dialog(qtbot, store_dir, executor, ui_settings)
    assert again.login.text() == "admin"  # remembered


def test_throttle_countdown_disables_button(qtbot, store, store_dir, executor, ui_settings):
    store.close()
    throttle = Throttle(store.layout.unlock_state)
    for _ in range(4):
        throttle.record_failure("admin")  # 8 seconds to wait
    dialog = make_dialog(qtbot, store_dir, executor, ui_settings, login="admin")
    type_text(qtbot, dialog.passphrase, PASSPHRASE)
    qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
    assert not dialog.unlock_button.isEnabled()
    assert dialog.countdown.isVisible()
    first = dialog.remaining_seconds
    assert 5 <= first <= 8
    assert f"あと{first}秒" in dialog.countdown.text()
    qtbot.waitUntil(lambda: dialog.remaining_seconds < first, timeout=2500)
    assert not dialog.unlock_button.isEnabled()
    dialog._remaining = 1
    qtbot.waitUntil(lambda: dialog.unlock_button.isEnabled(), timeout=2500)
    assert not dialog.countdown.isVisible()


def test_recovery_dialog(qtbot, store_and_key, store_dir, executor, ui_settings):
    store, key = store_and_key
    store.close()
    dialog = make_dialog(qtbot, store_dir, executor, ui_settings, login="admin")
    qtbot.mouseClick(dialog.forgot_button, Qt.MouseButton.LeftButton)
    recovery = dialog._recovery_dialog
    assert isinstance(recovery, RecoveryDialog)
    qtbot.addWidget(recovery)
    assert recovery.login.text() == "admin"
    type_text(qtbot, recovery.key, "AAAAA-BBBBB")
    type_text(qtbot, recovery.new, "new passphrase 2")
    type_text(qtbot, recovery.again, "new passphrase 2")
    recovery.submit()
    assert recovery.errors.isVisible()  # wrong key, in Japanese
    recovery.key.clear()
    type_text(qtbot, recovery.key, key.lower().replace("-", " "))
    with qtbot.waitSignal(dialog.unlocked) as unlocked:
        recovery.submit()
    unlocked.args[0].close()
