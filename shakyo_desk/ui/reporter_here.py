"""「この端末で報告者が使えるようにする…」 (issue 16), on the 同期 page of an installation that is
not the office, for data-key sessions: a reporter account known here from the synced staff
table gets a key pair on this installation under a passphrase chosen now
(``accounts.enable_reporter_here``; the risk is written there). The list and the key
derivation run on the worker."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.roles import Role
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.accounts import Account, enable_reporter_here, reporters_to_enable_here
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel, button_row
from shakyo_desk.ui.setup_state import passphrase_strength

TITLE = "この端末で報告者が使えるようにする"
NONE_TEXT = "この端末で使えるようにできる報告者はいません。報告者のアカウントは事務局で管理者が作ります。"
DONE_TEXT = "{name}さんは、この端末でロックを解除して把握シートを出せるようになりました。"
MISMATCH = "確認のために入力したパスフレーズが一致しません。もう一度入力してください。"


def offers_reporter_here(role: Role, is_office: bool) -> bool:
    """Whether the 同期 page shows the button: a data-key session on a laptop (at the office an
    admin uses the アカウント page)."""
    return not is_office and role != Role.REPORTER


class ReporterHereButton(QPushButton):
    """The 同期 page's button, hidden until the page knows where it is (``show_for``); it opens
    the dialog."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(tr("この端末で報告者が使えるようにする…"), parent)
        self.ctx = ctx
        self.dialog: EnableReporterHereDialog | None = None
        self.setAutoDefault(False)
        self.setVisible(False)
        self.clicked.connect(self.open_dialog)

    def show_for(self, is_office: bool) -> None:
        self.setVisible(offers_reporter_here(self.ctx.role, is_office))

    def open_dialog(self) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()  # the one opened before (closed: the dialog is window-modal)
        self.dialog = EnableReporterHereDialog(self.ctx, self)
        self.dialog.open()


def _password_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class EnableReporterHereDialog(QDialog):
    """Choose a reporter, type the new passphrase twice, 「使えるようにする」."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.accounts: list[Account] = []
        self.setWindowTitle(tr(TITLE))
        self.intro = QLabel(tr("報告者が、この端末でロックを解除して把握シートを出せるようにします。"
                               "報告者が見られるのは、自分の出したシートとその状況だけです。"
                               "決めたパスフレーズは本人だけに伝え、本人に「パスフレーズの変更」で変えてもらってください。"))
        self.intro.setWordWrap(True)
        self.reporter = QComboBox()
        self.new = _password_edit()
        self.again = _password_edit()
        self.strength = QLabel()
        self.form_box = QWidget()
        form = QFormLayout(self.form_box)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(tr("報告者"), self.reporter)
        form.addRow(tr("新しいパスフレーズ"), self.new)
        form.addRow(tr("新しいパスフレーズ（確認）"), self.again)
        form.addRow("", self.strength)
        self.message = QLabel()  # the empty state, or what was done
        self.message.setWordWrap(True)
        self.message.setStyleSheet("font-size: 12pt; padding: 6px 0;")
        self.message.setVisible(False)
        self.errors = ErrorLabel()
        self.buttons, self.ok_button = button_row(self, tr("使えるようにする"), self.submit, cancel_text=tr("キャンセル"))
        self.close_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.new.textChanged.connect(self._strength)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.form_box)
        layout.addWidget(self.message)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(500)
        self.ok_button.setEnabled(False)  # until the list is there
        self.ctx.executor.submit(reporters_to_enable_here, ctx.store, on_done=self._listed, on_error=self._failed,
                                 owner=self)

    def _listed(self, accounts: list[Account]) -> None:
        self.accounts = list(accounts)
        self.reporter.clear()
        for account in self.accounts:
            label = account.display_name + (tr("（{section}）", section=account.section) if account.section else "")
            self.reporter.addItem(label, account.id)
        if not self.accounts:
            self._finish(tr(NONE_TEXT))
            return
        self.ok_button.setEnabled(True)
        self.reporter.setFocus()

    def _strength(self, text: str) -> None:
        self.strength.setText(tr("強さ：") + passphrase_strength(text)[1] if text else "")

    def submit(self) -> None:
        if not self.ok_button.isEnabled():
            return
        if self.new.text() != self.again.text():
            self.errors.show_error(tr(MISMATCH))
            self.again.setFocus()
            return
        staff_id = self.reporter.currentData()
        if staff_id is None:
            return
        self.errors.clear_error()
        self.ok_button.setEnabled(False)
        self.ctx.executor.submit(enable_reporter_here, self.ctx.store, staff_id, self.new.text(), self.ctx.kdf,
                                 on_done=self._done, on_error=self._failed, owner=self)

    def _done(self, account: Account) -> None:
        self.new.clear()
        self.again.clear()
        self._finish(tr(DONE_TEXT, name=account.display_name))

    def _finish(self, text: str) -> None:
        """Only a sentence and 「閉じる」 remain."""
        self.intro.setVisible(False)
        self.form_box.setVisible(False)
        self.errors.clear_error()
        self.message.setText(text)
        self.message.setVisible(True)
        self.ok_button.setVisible(False)
        self.close_button.setText(tr("閉じる"))
        self.close_button.setDefault(True)
        self.close_button.setFocus()
        self.adjustSize()

    def _failed(self, error: BaseException) -> None:
        self.ok_button.setEnabled(bool(self.accounts))
        self.errors.show_error(error)
