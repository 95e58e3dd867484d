"""Change one's own passphrase (available to every account)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from shakyo_desk.i18n import tr
from shakyo_desk.store.services.accounts import change_passphrase
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel, button_row
from shakyo_desk.ui.setup_state import passphrase_strength


def _password_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class ChangePassphraseDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(tr("パスフレーズの変更"))
        intro = QLabel(tr("いまのパスフレーズと、新しいパスフレーズを入力してください。"))
        intro.setWordWrap(True)
        self.old = _password_edit()
        self.new = _password_edit()
        self.again = _password_edit()
        self.strength = QLabel()
        self.errors = ErrorLabel()
        self.buttons, _ = button_row(self, tr("変更する"), self.submit)
        form = QFormLayout()
        form.addRow(tr("いまのパスフレーズ"), self.old)
        form.addRow(tr("新しいパスフレーズ"), self.new)
        form.addRow(tr("新しいパスフレーズ（確認）"), self.again)
        form.addRow("", self.strength)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)
        self.new.textChanged.connect(self._strength)

    def _strength(self, text: str) -> None:
        self.strength.setText(tr("強さ：") + passphrase_strength(text)[1] if text else "")

    def submit(self) -> None:
        if self.new.text() != self.again.text():
            self.errors.show_error(tr("確認のために入力したパスフレーズが一致しません。もう一度入力してください。"))
            return
        self.errors.clear_error()
        self.buttons.setEnabled(False)
        self.ctx.executor.submit(change_passphrase, self.ctx.store, self.old.text(), self.new.text(), self.ctx.kdf,
                                 on_done=self._done, on_error=self._failed, owner=self)

    def _done(self, _r) -> None:
        self.buttons.setEnabled(True)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.errors.show_error(error)
