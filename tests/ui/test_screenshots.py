"""Renders the main screens; saves PNGs when SHAKYO_SCREENSHOTS names a folder."""

import os
from pathlib import Path

from PySide6.QtWidgets import QWizard

from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import households
from shakyo_desk.ui.main_window import MainWindow
from shakyo_desk.ui.member_dialog import MemberDialog
from shakyo_desk.ui.unlock import RecoveryDialog, UnlockDialog
from shakyo_desk.ui.wizard import SetupWizard
from tests.ui.helpers import type_text


def save(widget, name: str) -> None:
    widget.repaint()
    image = widget.grab()
    assert not image.isNull() and image.width() > 100
    folder = os.environ.get("SHAKYO_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        image.save(str(Path(folder) / f"{name}.png"))


def test_screenshots(qtbot, tmp_path, executor, ui_settings, ctx, village, store_dir):
    wizard = SetupWizard(executor, tmp_path / "新しいデータ", kdf=FAST_KDF)
    qtbot.addWidget(wizard)
    wizard.show()
    save(wizard, "01_wizard_council")
    type_text(qtbot, wizard.council_page.council_name, "山里村社会福祉協議会")
    type_text(qtbot, wizard.council_page.municipality, "山里村")
    wizard.next()
    page = wizard.admin_page
    type_text(qtbot, page.display_name, "田中 一郎")
    type_text(qtbot, page.passphrase, "hidamari sakamichi")
    type_text(qtbot, page.passphrase_again, "hidamari")
    save(wizard, "02_wizard_admin")
    type_text(qtbot, page.passphrase_again, " sakamichi")
    wizard.next()
    save(wizard, "03_wizard_folder")
    wizard.next()
    save(wizard, "04_wizard_recovery")
    wizard.recovery_page.confirm.setChecked(True)
    wizard.button(QWizard.WizardButton.FinishButton).click()
    wizard.store.close()

    unlock = UnlockDialog(store_dir, executor, ui_settings, council_name="山里村社会福祉協議会", login="admin")
    qtbot.addWidget(unlock)
    unlock.show()
    save(unlock, "05_unlock")
    unlock.start_countdown(8)
    unlock.errors.show_error("パスフレーズが違います。もう一度入力してください。")
    save(unlock, "06_unlock_throttled")
    recovery = RecoveryDialog(store_dir, executor, login="admin")
    qtbot.addWidget(recovery)
    recovery.show()
    save(recovery, "07_recovery")

    hid = village["households"]["yamada"]
    households.add_person(ctx.store, hid, "山田 健", kana="ヤマダ ケン", relation="子", age_band="50代",
                          flags=["ひきこもり"])
    households.update_person(ctx.store, households.get_household(ctx.store, hid).members[0].id,
                             birth_date="1941-05-03", sex="女", flags=["要支援"])
    ctx.demo = True
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    save(window, "08_main_households")
    list_page = window.current_page()
    type_text(qtbot, list_page.search, "ぞ")
    list_page.run_search()
    save(window, "09_main_no_match")
    list_page.search.clear()
    list_page.run_search()

    list_page.open_household(hid)
    editor = list_page.editor
    editor.show()
    save(editor, "10_household_editor")
    member = MemberDialog(households.get_household(ctx.store, hid).members and
                          {"name": "山田 花子", "kana": "ヤマダ ハナコ", "sex": "女",
                           "birth_date": households.get_household(ctx.store, hid).members[0].birth_date,
                           "age_band": "", "relation": "本人", "flags": ["要支援"], "roles": ["参加者"],
                           "wishes": "できるだけ家で暮らしたい", "notes": ""}, editor)
    qtbot.addWidget(member)
    member.show()
    save(member, "11_member")
    member.done(0)
    editor.done(0)

    window.show_page("accounts")
    save(window, "12_accounts")
    window.show_page("districts")
    save(window, "12b_districts")
    window.show_page("settings")
    save(window, "13_settings")
    window.lock()
    save(window, "14_locked")
    save(window.unlock_dialog, "15_unlock_after_idle")
    window.idle.stop()
