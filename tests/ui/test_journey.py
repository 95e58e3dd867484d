"""One person's first day: set up the council in the wizard, come back and unlock,
search a household as they type, edit it, save — and find it saved."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import districts, households
from shakyo_desk.store.store import unlock
from shakyo_desk.ui.app import AppController
from tests.ui.helpers import type_text

PASS = "first day passphrase"


def test_wizard_unlock_search_edit_saved(qtbot, executor, ui_settings, tmp_path):
    folder = tmp_path / "社協データ"

    # 1. first run: the wizard creates the store and opens the main window
    controller = AppController(executor, ui_settings, folder, kdf=FAST_KDF)
    controller.start()
    wizard = controller.wizard
    qtbot.addWidget(wizard)
    type_text(qtbot, wizard.council_page.council_name, "山里村社会福祉協議会")
    wizard.next()
    type_text(qtbot, wizard.admin_page.display_name, "田中 一郎")
    type_text(qtbot, wizard.admin_page.passphrase, PASS)
    type_text(qtbot, wizard.admin_page.passphrase_again, PASS)
    wizard.next()
    wizard.next()
    qtbot.mouseClick(wizard.recovery_page.confirm, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    window = controller.window
    qtbot.addWidget(window)
    store = window.ctx.store
    # registers a colleague filled in meanwhile (the 世帯 screen is what this test walks)
    upper = districts.add_district(store, "上町", "かみまち")
    households.add_household(store, upper, "山田 ハル", "ヤマダ ハル", address="山里村上町1")
    households.add_household(store, upper, "佐藤 キヨ", "サトウ キヨ", address="山里村上町2")
    window.close()
    controller.shutdown()
    assert not store.is_open

    # 2. next morning: the unlock dialog, with the wizard's passphrase
    controller = AppController(executor, ui_settings, folder, kdf=FAST_KDF)
    controller.start()
    dialog = controller.unlock_dialog
    qtbot.addWidget(dialog)
    assert dialog.login.text() == "admin"  # remembered from the wizard
    type_text(qtbot, dialog.passphrase, PASS)
    qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    window = controller.window
    qtbot.addWidget(window)
    page = window.pages["households"]
    assert page.model.rowCount() == 2

    # 3. search as you type, in hiragana, for a name kept in katakana
    type_text(qtbot, page.search, "やまだ")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    assert page.model.row_at(0).head_name == "山田 ハル"

    # 4. keyboard into the list, Enter opens the editor; change the phone; save
    qtbot.keyClick(page.search, Qt.Key.Key_Down)
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.editor is not None)
    editor = page.editor
    qtbot.addWidget(editor)
    assert editor.detail.head_name == "山田 ハル"
    type_text(qtbot, editor.phone, "0000-12-3456")
    with qtbot.waitSignal(editor.saved):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    window.close()
    controller.shutdown()

    # 5. found saved, by another session on the same store
    again = unlock(folder, "admin", PASS)
    saved = households.list_households(again, "やまだ")[0]
    assert saved.phone == "0000-12-3456"
    again.close()
