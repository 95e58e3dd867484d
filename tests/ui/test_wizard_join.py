"""The first-run wizard's second way: a laptop joins the council from a real enrolment file
made at a real office store, with real clicks and typing."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QWizard

from shakyo_desk.domain.errors import AuthError, InvalidInput, StoreError
from shakyo_desk.store.exchange import devices
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services.accounts import add_account
from shakyo_desk.store.store import create_store, unlock, unlock_with_recovery
from shakyo_desk.ui import setup_state as steps
from shakyo_desk.ui.app import AppController
from shakyo_desk.ui.main_window import MainWindow
from shakyo_desk.ui.setup_state import SetupState, normalise_code
from shakyo_desk.ui.wizard import SetupWizard
from tests.ui.helpers import click, type_text

COUNCIL = "山里村社会福祉協議会"
OFFICE_PASS = "office passphrase 1"
LAPTOP_PASS = "のはら 2025 laptop"


@pytest.fixture
def enrolment(tmp_path):
    """A real office store with a colleague's account, and a real enrolment file on a 'stick'."""
    office, _ = create_store(tmp_path / "office", COUNCIL, "admin", OFFICE_PASS, admin_name="管理 太郎",
                             municipality="山里村", kdf=FAST_KDF)
    add_account(office, "tanaka", "田中 花子", "staff", OFFICE_PASS, kdf=FAST_KDF)
    stick = tmp_path / "usb"
    stick.mkdir()
    path = stick / "田中.shakyo"
    code = devices.add_device(office, "田中さんのノートPC", path, kdf=FAST_KDF)
    office.close()
    return path, code


def wrong(code: str) -> str:
    """Another well-formed code (one character changed)."""
    first = "B" if code[0] != "B" else "C"
    return first + code[1:]


def next_button(wizard):
    return wizard.button(QWizard.WizardButton.NextButton)


def choose_join(qtbot, wizard):
    page = wizard.start_page
    assert wizard.currentPage() is page
    assert page.create_choice.isChecked() and not page.join_choice.isChecked()
    assert not next_button(wizard).isEnabled()  # creating needs the council's name first
    qtbot.mouseClick(page.join_choice, Qt.MouseButton.LeftButton)
    assert page.join_choice.isChecked() and not page.council_box.isEnabled()
    click(qtbot, next_button(wizard))
    assert wizard.currentPage() is wizard.join_file_page


def fill_file_and_code(qtbot, wizard, path, code):
    page = wizard.join_file_page
    page.file.clear()
    type_text(qtbot, page.file, str(path))
    page.code.clear()
    type_text(qtbot, page.code, code)
    click(qtbot, next_button(wizard))


def fill_account(qtbot, wizard, login):
    page = wizard.join_account_page
    assert wizard.currentPage() is page
    page.login.clear()
    type_text(qtbot, page.login, login)
    if not page.passphrase.text():
        type_text(qtbot, page.passphrase, LAPTOP_PASS)
        type_text(qtbot, page.passphrase_again, LAPTOP_PASS)
    assert "強さ" in page.strength.text()
    click(qtbot, next_button(wizard))


def join_in_folder(qtbot, wizard, folder):
    page = wizard.folder_page
    assert wizard.currentPage() is page
    page.folder.clear()
    type_text(qtbot, page.folder, str(folder))
    assert next_button(wizard).text() == "参加する"
    assert "登録ファイル" in page.action_hint.text()
    click(qtbot, next_button(wizard))
    assert wizard.currentPage() is wizard.recovery_page


def test_join_with_a_mistyped_code_then_an_unknown_login_then_succeed(qtbot, executor, tmp_path, enrolment):
    path, code = enrolment
    folder = tmp_path / "laptop" / "shakyo-desk"
    wizard = SetupWizard(executor, tmp_path / "default", kdf=FAST_KDF)
    qtbot.addWidget(wizard)
    wizard.show()
    choose_join(qtbot, wizard)

    # a wrong code of the right form: refused when the file is opened, nothing is created
    fill_file_and_code(qtbot, wizard, path, wrong(code).lower().replace("-", " "))
    fill_account(qtbot, wizard, "tanaka")
    join_in_folder(qtbot, wizard, folder)
    page = wizard.recovery_page
    assert "登録コードが違う" in page.errors.text() and page.errors.isVisible()
    assert page.back_button.isVisible() and not page.key_label.isVisible()
    assert not folder.exists() and not folder.parent.exists()
    assert not wizard.state.created and wizard.store is None
    click(qtbot, page.back_button)
    assert wizard.currentPage() is wizard.join_file_page  # straight back to where the code is typed
    assert "登録コードが違う" in wizard.join_file_page.errors.text()

    # the right code, typed in lower case without hyphens; but a login that is not in the council
    fill_file_and_code(qtbot, wizard, path, code.lower().replace("-", ""))
    assert wizard.join_file_page.code.text() == code  # shown as the office screen shows it
    fill_account(qtbot, wizard, "nobody")
    join_in_folder(qtbot, wizard, folder)
    assert "職員名簿にありません" in page.errors.text()
    assert not folder.parent.exists()
    click(qtbot, page.back_button)
    assert wizard.currentPage() is wizard.join_account_page
    assert "職員名簿" in wizard.join_account_page.errors.text()

    fill_account(qtbot, wizard, "tanaka")
    join_in_folder(qtbot, wizard, folder)
    assert not page.errors.isVisible() and not page.back_button.isVisible()
    key = wizard.state.recovery_key
    assert page.key_label.isVisible() and page.print_button.isVisible()
    assert page.key_label.text().replace(" ", "") == key.replace("-", "")
    assert not page.identity_label.isVisible()  # the council's age identity is the office's to print
    assert "田中さんのノートPC" in page.instructions.text() and "削除" in page.instructions.text()
    assert wizard.state.council_name == COUNCIL
    assert not wizard.button(QWizard.WizardButton.CancelButton).isVisible()

    finish = wizard.button(QWizard.WizardButton.FinishButton)
    assert not finish.isEnabled()
    with qtbot.waitSignal(wizard.created) as created:
        click(qtbot, page.confirm)
        click(qtbot, finish)
    store = created.args[0]
    assert store.actor.login == "tanaka" and store.actor.display_name == "田中 花子"
    assert devices.overview(store).device_name == "田中さんのノートPC"
    store.close()

    # the new passphrase opens this installation; the shown key recovers it
    reopened = unlock(folder, "tanaka", LAPTOP_PASS)
    from shakyo_desk.store.services.council import get_settings

    assert get_settings(reopened).name == COUNCIL
    reopened.close()
    unlock_with_recovery(folder, page.key_label.text(), "tanaka", "another passphrase").close()


def test_keyboard_choice_and_file_dialog(qtbot, executor, tmp_path, enrolment, monkeypatch):
    path, _ = enrolment
    wizard = SetupWizard(executor, tmp_path / "default", kdf=FAST_KDF)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitActive(wizard)
    page = wizard.start_page
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.create_choice)  # the choice comes first
    qtbot.keyClick(page.create_choice, Qt.Key.Key_Down)
    assert page.join_choice.isChecked() and wizard.state.mode == steps.JOIN
    qtbot.keyClick(page.join_choice, Qt.Key.Key_Up)
    assert page.create_choice.isChecked() and page.council_box.isEnabled()
    qtbot.keyClick(page.create_choice, Qt.Key.Key_Down)
    qtbot.keyClick(page.join_choice, Qt.Key.Key_Return)  # the Next button is the default
    assert wizard.currentPage() is wizard.join_file_page

    asked = []

    def fake_open(parent, caption, folder, filters):
        asked.append(filters)
        return str(path), filters

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(fake_open))
    click(qtbot, wizard.join_file_page.choose)
    assert "*.shakyo" in asked[0]
    assert wizard.join_file_page.file.text() == str(path)

    # a file that is not an enrolment file is refused on the page itself
    other = tmp_path / "memo.shakyo"
    other.write_text("hello")
    wizard.join_file_page.file.setText(str(other))
    type_text(qtbot, wizard.join_file_page.code, "ABCD-EFGH-JKMN")
    click(qtbot, next_button(wizard))
    assert wizard.currentPage() is wizard.join_file_page
    assert "登録ファイルではありません" in wizard.join_file_page.errors.text()

    # back to the start, and the create path is where it was
    click(qtbot, wizard.button(QWizard.WizardButton.BackButton))
    assert wizard.currentPage() is page
    qtbot.mouseClick(page.create_choice, Qt.MouseButton.LeftButton)
    type_text(qtbot, page.council_name, COUNCIL)
    click(qtbot, next_button(wizard))
    assert wizard.currentPage() is wizard.admin_page


def test_joined_store_opens_the_main_window(qtbot, executor, ui_settings, tmp_path, enrolment):
    path, code = enrolment
    folder = tmp_path / "laptop"
    controller = AppController(executor, ui_settings, folder, kdf=FAST_KDF)
    controller.start()
    wizard = controller.wizard
    qtbot.addWidget(wizard)
    choose_join(qtbot, wizard)
    fill_file_and_code(qtbot, wizard, path, code)
    fill_account(qtbot, wizard, "tanaka")
    join_in_folder(qtbot, wizard, folder)
    click(qtbot, wizard.recovery_page.confirm)
    click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    window = controller.window
    assert isinstance(window, MainWindow)
    qtbot.addWidget(window)
    assert window.ctx.store.actor.login == "tanaka"
    assert window.ctx.council.name == COUNCIL
    assert ui_settings.last_store_dir() == str(folder) and ui_settings.last_login() == "tanaka"
    window.idle.stop()
    window.ctx.store.close()


def test_join_rules_without_a_screen(tmp_path):
    s = SetupState()
    assert s.mode == steps.CREATE and s.steps() == (steps.START, steps.ADMIN, steps.FOLDER, steps.FINISH)
    assert s.start_errors()  # creating needs the council's name
    s.mode = steps.JOIN
    assert not s.start_errors()
    assert s.steps() == (steps.START, steps.JOIN_FILE, steps.JOIN_ACCOUNT, steps.FOLDER, steps.FINISH)
    assert s.next_step(steps.START) == steps.JOIN_FILE and s.next_step(steps.JOIN_ACCOUNT) == steps.FOLDER
    assert s.next_step(steps.FINISH) is None and s.next_step(steps.ADMIN) is None

    # the code: as shown, lower case, spaces, no hyphens, full-width from a Japanese input method
    for typed in ("ABCD-EFGH-JKMN", "abcd efgh jkmn", "abcdefghjkmn", " ＡＢＣＤ－ＥＦＧＨ－ＪＫＭＮ "):
        assert normalise_code(typed) == "ABCD-EFGH-JKMN"
    for typed in ("ABCD-EFGH", "ABCD-EFGH-JKM0", "ABCD-EFGH-JKMN-P"):
        with pytest.raises(InvalidInput):
            normalise_code(typed)

    errors = s.enrolment_errors()
    assert any("登録ファイルを選んで" in e for e in errors) and any("登録コードを入力" in e for e in errors)
    s.enrolment_file, s.code = str(tmp_path / "none.shakyo"), "ABCD-EFGH"
    errors = s.enrolment_errors()
    assert any("見つかりません" in e for e in errors) and any("12文字" in e for e in errors)
    s.enrolment_file = str(tmp_path)
    assert any("ファイルではありません" in e for e in s.enrolment_errors())
    real = tmp_path / "real.shakyo"
    from shakyo_desk.sync.enrolment import MAGIC

    assert steps.ENROLMENT_MAGIC == MAGIC
    real.write_bytes(MAGIC + b"\0" * 40)
    s.enrolment_file, s.code = str(real), "abcd efgh jkmn"
    assert s.enrolment_errors() == []

    s.join_login, s.join_passphrase, s.join_passphrase_again = "田中", "short", "short"
    assert len(s.join_account_errors()) == 2
    s.join_login, s.join_passphrase, s.join_passphrase_again = "tanaka", LAPTOP_PASS, LAPTOP_PASS + "x"
    assert [e for e in s.join_account_errors() if "一致しません" in e]
    s.join_passphrase_again = LAPTOP_PASS
    assert s.join_account_errors() == []

    # where to go back to after a failure in the worker
    assert s.failure_step(AuthError("登録コードが違うか…")) == steps.JOIN_FILE
    assert s.failure_step(InvalidInput("この登録ファイルは期限…")) == steps.JOIN_FILE
    assert s.failure_step(StoreError("保存できませんでした。")) == steps.FOLDER
    assert s.failure_step(AuthError("アカウント「tanaka」は無効になっています。")) == steps.JOIN_ACCOUNT
    s.mode = steps.CREATE
    assert s.failure_step(AuthError("x")) == steps.FOLDER


def test_failure_step_follows_the_services_own_message(tmp_path, enrolment):
    """The account page is chosen from the service's sentence: keep them in step."""
    path, code = enrolment
    s = SetupState(mode=steps.JOIN, folder=str(tmp_path / "laptop"), enrolment_file=str(path), code=code,
                   join_login="nobody", join_passphrase=LAPTOP_PASS, join_passphrase_again=LAPTOP_PASS)
    with pytest.raises(InvalidInput) as refused:
        s.run(FAST_KDF)
    assert s.failure_step(refused.value) == steps.JOIN_ACCOUNT
    assert not (tmp_path / "laptop").exists()


def test_the_used_file_is_refused_on_the_file_page_with_when_and_for_whom(qtbot, executor, tmp_path, enrolment):
    """A successful join uses the enrolment file up; choosing it again on another PC says so
    on the page itself, before anything is created."""
    from shakyo_desk.domain import clock
    from shakyo_desk.domain.wareki import format_wareki
    from shakyo_desk.sync.enrolment import USED_MAGIC

    path, code = enrolment
    wizard = SetupWizard(executor, tmp_path / "default", kdf=FAST_KDF)
    qtbot.addWidget(wizard)
    wizard.show()
    choose_join(qtbot, wizard)
    fill_file_and_code(qtbot, wizard, path, code)
    fill_account(qtbot, wizard, "tanaka")
    join_in_folder(qtbot, wizard, tmp_path / "laptop")
    page = wizard.recovery_page
    assert wizard.state.created and not page.errors.isVisible()
    assert "使用済み" in page.instructions.text()
    assert path.read_bytes().startswith(USED_MAGIC)
    wizard.store.close()

    again = SetupWizard(executor, tmp_path / "default", kdf=FAST_KDF)
    qtbot.addWidget(again)
    again.show()
    choose_join(qtbot, again)
    fill_file_and_code(qtbot, again, path, code)
    assert again.currentPage() is again.join_file_page
    shown = again.join_file_page.errors.text()
    assert f"{format_wareki(clock.today())}に端末「田中さんのノートPC」の登録に使われた" in shown
    assert "端末の追加" in shown


def test_a_file_left_behind_is_shown_as_a_warning_to_delete_it(qtbot, executor, tmp_path, enrolment, monkeypatch):
    """A write-protected stick: the join succeeds, and the page says in red to delete the file now."""
    import errno
    import pathlib

    path, code = enrolment

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    real_unlink = pathlib.Path.unlink

    def unlink(self, *args, **kwargs):
        if self == path:
            read_only()
        return real_unlink(self, *args, **kwargs)

    monkeypatch.setattr(devices, "write_atomic", read_only)
    monkeypatch.setattr(pathlib.Path, "unlink", unlink)
    wizard = SetupWizard(executor, tmp_path / "default", kdf=FAST_KDF)
    qtbot.addWidget(wizard)
    wizard.show()
    choose_join(qtbot, wizard)
    fill_file_and_code(qtbot, wizard, path, code)
    fill_account(qtbot, wizard, "tanaka")
    join_in_folder(qtbot, wizard, tmp_path / "laptop")
    page = wizard.recovery_page
    assert wizard.state.created and page.key_label.isVisible()
    assert page.errors.isVisible() and "今すぐ削除してください" in page.errors.text() and str(path) in page.errors.text()
    assert "Read-only" not in page.errors.text() and "書き込み禁止" in page.errors.text()
    assert "使用済み" not in page.instructions.text()
    assert not page.back_button.isVisible()  # nothing to go back to: the join is done
    wizard.store.close()


def test_a_file_saved_without_the_suffix_is_found_and_another_file_is_explained(qtbot, executor, tmp_path,
                                                                                enrolment, monkeypatch):
    """Issue 17: a file saved as 「田中」 (a save dialog that added no suffix) can be chosen in the
    picker and joins; a file that is not an enrolment file is explained as soon as it is chosen."""
    path, code = enrolment
    bare = path.with_name("田中")
    path.rename(bare)
    memo = tmp_path / "memo.txt"
    memo.write_text("買い物メモ")
    wizard = SetupWizard(executor, tmp_path / "default", kdf=FAST_KDF)
    qtbot.addWidget(wizard)
    wizard.show()
    choose_join(qtbot, wizard)
    page = wizard.join_file_page
    asked, chosen = [], [memo]

    def fake_open(parent, caption, folder, filters, *args, **kwargs):
        asked.append(filters)
        return str(chosen[0]), filters.split(";;")[-1]

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(fake_open))
    click(qtbot, page.choose)
    filters = asked[0].split(";;")
    assert filters[0] == "登録ファイル (*.shakyo)" and "すべてのファイル (*)" in filters
    assert page.file.text() == str(memo)
    assert page.errors.isVisible() and "登録ファイルではありません" in page.errors.text()

    chosen[0] = bare
    click(qtbot, page.choose)
    assert page.file.text() == str(bare) and not page.errors.isVisible()
    type_text(qtbot, page.code, code)
    click(qtbot, next_button(wizard))
    fill_account(qtbot, wizard, "tanaka")
    join_in_folder(qtbot, wizard, tmp_path / "laptop")
    assert wizard.state.created and not wizard.recovery_page.errors.isVisible()
    wizard.store.close()
