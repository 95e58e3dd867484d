"""First run ends on 「はじめにすること」: after the wizard (creating a council or joining one)
the main window opens with the first steps, each with a button that gets there."""

from PySide6.QtWidgets import QWizard

from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.ui.app import AppController
from shakyo_desk.ui.first_steps import CREATE_STEPS, JOIN_STEPS, FirstStepsDialog, open_first_steps
from shakyo_desk.ui.help_window import HelpWindow
from shakyo_desk.ui.main_window import MainWindow
from shakyo_desk.ui.setup_state import CREATE, JOIN
from tests.ui.helpers import click, type_text
from tests.ui.test_wizard_join import choose_join, enrolment, fill_account, fill_file_and_code, join_in_folder  # noqa: F401


def create_through_wizard(qtbot, controller):
    controller.start()
    wizard = controller.wizard
    qtbot.addWidget(wizard)
    type_text(qtbot, wizard.council_page.council_name, "山里村社会福祉協議会")
    wizard.next()
    type_text(qtbot, wizard.admin_page.display_name, "田中 一郎")
    type_text(qtbot, wizard.admin_page.passphrase, "long passphrase")
    type_text(qtbot, wizard.admin_page.passphrase_again, "long passphrase")
    wizard.next()
    wizard.next()
    wizard.recovery_page.confirm.setChecked(True)
    wizard.button(QWizard.WizardButton.FinishButton).click()
    window = controller.window
    qtbot.addWidget(window)
    return window


def close(window):
    window.idle.stop()
    window.ctx.store.close()


def test_new_council_ends_on_the_first_steps(qtbot, executor, ui_settings, tmp_path, monkeypatch):
    controller = AppController(executor, ui_settings, tmp_path / "data", kdf=FAST_KDF)
    window = create_through_wizard(qtbot, controller)
    assert isinstance(window, MainWindow)
    dialog = window.first_steps
    assert isinstance(dialog, FirstStepsDialog) and dialog.isVisible() and not dialog.isModal()
    assert dialog.mode == CREATE
    assert list(dialog.buttons) == [s.title for s in CREATE_STEPS]
    assert {"地区を登録する", "職員のアカウントを作る", "名簿を取り込む", "バックアップの場所を決める",
            "操作ガイドを読む"} == set(dialog.buttons)
    assert all(b.isVisibleTo(dialog) for b in dialog.buttons.values())  # the admin may do each of them

    click(qtbot, dialog.buttons["地区を登録する"])
    assert window.current_page() is window.pages["districts"]
    click(qtbot, dialog.buttons["職員のアカウントを作る"])
    assert window.current_page() is window.pages["accounts"]
    click(qtbot, dialog.buttons["名簿を取り込む"])
    assert window.current_page() is window.pages["households"]
    started = []
    monkeypatch.setattr(window, "start_backup", lambda: started.append(True))
    click(qtbot, dialog.buttons["バックアップの場所を決める"])
    assert started == [True]
    click(qtbot, dialog.buttons["操作ガイドを読む"])
    assert isinstance(window.help_window, HelpWindow) and window.help_window.isVisible()
    assert window.help_window.current_page() == "README.md"
    click(qtbot, dialog.guide_buttons["バックアップの場所を決める"])
    assert window.help_window.current_page() == "backup.md"
    window.help_window.close()

    click(qtbot, dialog.close_button)
    assert not dialog.isVisible()
    close(window)


def test_joined_laptop_ends_on_sync_and_visits(qtbot, executor, ui_settings, tmp_path, enrolment):  # noqa: F811
    path, code = enrolment
    controller = AppController(executor, ui_settings, tmp_path / "laptop", kdf=FAST_KDF)
    controller.start()
    wizard = controller.wizard
    qtbot.addWidget(wizard)
    choose_join(qtbot, wizard)
    fill_file_and_code(qtbot, wizard, path, code)
    fill_account(qtbot, wizard, "tanaka")
    join_in_folder(qtbot, wizard, tmp_path / "laptop")
    click(qtbot, wizard.recovery_page.confirm)
    click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    window = controller.window
    qtbot.addWidget(window)
    dialog = window.first_steps
    assert dialog.isVisible() and dialog.mode == JOIN
    assert list(dialog.buttons) == [s.title for s in JOIN_STEPS]
    click(qtbot, dialog.buttons["同期の仕方を知る"])
    assert window.current_page() is window.pages["sync"]
    click(qtbot, dialog.guide_buttons["同期の仕方を知る"])
    assert window.help_window.current_page() == "sync.md"
    window.help_window.close()
    click(qtbot, dialog.buttons["訪問記録の入れ方を知る"])
    from shakyo_desk.ui.contact_entry import ContactEntryDialog

    entries = [d for d in window.findChildren(ContactEntryDialog) if d.isVisible()]
    assert entries, "Ctrl+N's quick entry opens"
    for entry in entries:
        entry.reject()
    dialog.accept()

    # shown once: reopening the window (e.g. the next unlock) does not show it again
    assert controller.first_run is None
    # … and ヘルプ → はじめにすること… shows the laptop's list again
    window.first_steps = None
    open_first_steps(window)
    assert window.first_steps.mode == JOIN
    window.first_steps.accept()
    close(window)


def test_help_menu_shows_the_office_list(qtbot, ctx):
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    assert not hasattr(window, "first_steps")  # an ordinary unlock shows nothing extra
    window.first_steps_action.trigger()
    assert window.first_steps.mode == CREATE and window.first_steps.isVisible()
    window.first_steps.accept()
    window.idle.stop()
