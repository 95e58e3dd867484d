from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.paths import StoreLayout
from shakyo_desk.store.store import unlock, unlock_with_recovery
from shakyo_desk.ui.setup_state import SetupState, group_key, passphrase_strength
from shakyo_desk.ui.wizard import SetupWizard
from tests.ui.helpers import type_text

PASS = "ひだまり 坂道 2025"


def fill_and_create(qtbot, wizard, folder):
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    page = wizard.council_page
    assert not next_button.isEnabled()
    type_text(qtbot, page.council_name, "山里村社会福祉協議会")
    type_text(qtbot, page.municipality, "山里村")
    assert next_button.isEnabled()
    qtbot.mouseClick(next_button, Qt.MouseButton.LeftButton)

    page = wizard.admin_page
    assert wizard.currentPage() is page
    page.login.clear()
    type_text(qtbot, page.login, "tanaka")
    type_text(qtbot, page.display_name, "田中 一郎")
    type_text(qtbot, page.passphrase, PASS)
    type_text(qtbot, page.passphrase_again, PASS + "x")
    assert "強さ" in page.strength.text()
    qtbot.mouseClick(next_button, Qt.MouseButton.LeftButton)
    assert wizard.currentPage() is page  # mismatch refused
    assert "一致しません" in page.errors.text()
    qtbot.keyClick(page.passphrase_again, Qt.Key.Key_Backspace)
    qtbot.mouseClick(next_button, Qt.MouseButton.LeftButton)

    page = wizard.folder_page
    assert wizard.currentPage() is page
    page.folder.clear()
    type_text(qtbot, page.folder, str(folder))
    assert wizard.button(QWizard.WizardButton.NextButton).text() == "作成する"
    qtbot.mouseClick(next_button, Qt.MouseButton.LeftButton)
    return wizard.recovery_page


def test_wizard_end_to_end(qtbot, executor, tmp_path):
    folder = tmp_path / "村のデータ"
    wizard = SetupWizard(executor, tmp_path / "default", kdf=FAST_KDF)
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.folder_page.folder.text() == str(tmp_path / "default")

    page = fill_and_create(qtbot, wizard, folder)
    assert wizard.currentPage() is page
    assert StoreLayout(folder).exists()
    key = wizard.state.recovery_key
    shown = page.key_label.text()
    assert shown.replace(" ", "") == key.replace("-", "")
    assert page.key_label.isVisible() and page.print_button.isVisible()
    assert page.identity_label.isVisible() and page.identity_label.text() == key.identity
    assert key.identity.startswith("AGE-SECRET-KEY-1")

    finish = wizard.button(QWizard.WizardButton.FinishButton)
    assert not finish.isEnabled()
    with qtbot.waitSignal(wizard.created) as created:
        page.confirm.click()
        assert finish.isEnabled()
        qtbot.mouseClick(finish, Qt.MouseButton.LeftButton)
    store = created.args[0]
    assert store.actor.login == "tanaka"
    store.close()

    # the chosen passphrase unlocks; the shown recovery key recovers
    unlock(folder, "tanaka", PASS).close()
    recovered = unlock_with_recovery(folder, shown, "tanaka", "new passphrase 9")
    assert recovered.actor.display_name == "田中 一郎"
    recovered.close()


def test_wizard_refuses_folder_with_data(qtbot, executor, tmp_path, store_dir, store):
    wizard = SetupWizard(executor, tmp_path / "default", kdf=FAST_KDF)
    qtbot.addWidget(wizard)
    wizard.show()
    page = fill_and_create(qtbot, wizard, store_dir)
    assert wizard.currentPage() is wizard.folder_page
    assert "すでに" in wizard.folder_page.errors.text()
    assert page is wizard.recovery_page and not wizard.state.created


def test_setup_state_rules(tmp_path):
    s = SetupState()
    assert s.council_errors()
    s.council_name = " 村社協 "
    assert not s.council_errors()
    s.login, s.display_name, s.passphrase, s.passphrase_again = "a", "", "short", "short"
    assert len(s.admin_errors()) == 3
    s.folder = "relative/path"
    assert s.folder_errors()
    s.folder = str(tmp_path / "new")
    assert not s.folder_errors()
    assert passphrase_strength("abc")[0] == 0
    assert passphrase_strength("ひだまり 坂道 2025 みかん")[0] == 3
    assert group_key("AAAAA-BBBBB-CCCCC") == ["AAAAA", "BBBBB", "CCCCC"]
