"""The first-run wizard's pages for joining a council from a one-time enrolment file (made
at the office: 同期 → 端末を追加): the file and its one-time code, then the account and this
installation's passphrase. The data folder and the joining itself reuse the wizard's own
folder and recovery-key pages; the rules live in ``setup_state``."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QFileDialog, QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget, QWizardPage,
)

from shakyo_desk.domain.errors import UserError
from shakyo_desk.i18n import tr
from shakyo_desk.ui.appearance import set_scaled_font
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.setup_state import ENROLMENT_SUFFIX, SetupState, normalise_code
from shakyo_desk.ui.style import mono_font
from shakyo_desk.ui.wizard_widgets import add_passphrase_rows, hint_label, passphrase_fields, show_strength


def _stack(page: QWizardPage, form: QFormLayout, *below: QWidget) -> None:
    """The fields, then hints and the error sentence at full width, the rest of the page empty."""
    layout = QVBoxLayout(page)
    layout.addLayout(form)
    for widget in below:
        layout.addWidget(widget)
    layout.addStretch(1)


class JoinFilePage(QWizardPage):
    def __init__(self, state: SetupState):
        super().__init__()
        self.state = state
        self.setTitle(tr("登録ファイルと登録コード"))
        self.setSubTitle(tr("事務局の端末で作った登録ファイルを選び、事務局の画面に表示されている登録コードを"
                            "入力してください。"))
        self.file = QLineEdit(state.enrolment_file)
        self.file.setPlaceholderText(tr("例：E:\\田中.shakyo"))
        self.file.setAccessibleName(tr("登録ファイル"))
        self.choose = QPushButton(tr("選ぶ…"))
        self.choose.clicked.connect(self._choose)
        file_row = QWidget()
        row = QHBoxLayout(file_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.file, 1)
        row.addWidget(self.choose)
        self.code = QLineEdit(state.code)
        set_scaled_font(self.code, mono_font(11))
        self.code.setPlaceholderText(tr("例：ABCD-EFGH-JKMN"))
        self.errors = ErrorLabel()
        form = QFormLayout()
        form.addRow(tr("登録ファイル"), file_row)
        form.addRow("", hint_label(tr("USBメモリなどで受け取った、名前が「{suffix}」で終わるファイルです。",
                                      suffix=ENROLMENT_SUFFIX)))
        form.addRow(tr("登録コード"), self.code)
        form.addRow("", hint_label(tr("12文字のコードです。ハイフン（-）や空白は、入れても入れなくても構いません。"
                                      "\n小文字で入力しても大丈夫です。")))
        _stack(self, form, self.errors)
        self.file.textChanged.connect(self._changed)
        self.code.textChanged.connect(self._changed)

    def _choose(self) -> None:
        current = Path(self.file.text().strip()).expanduser() if self.file.text().strip() else None
        start = str(current.parent if current else Path.home())
        # 「すべてのファイル」 too: a file saved by a dialog that added no suffix is still one of ours.
        chosen, _ = QFileDialog.getOpenFileName(self, tr("登録ファイルを選ぶ"), start, ";;".join((
            tr("登録ファイル (*{suffix})", suffix=ENROLMENT_SUFFIX), tr("すべてのファイル (*)"))))
        if not chosen:
            return
        self.file.setText(str(Path(chosen)))
        errors = self.state.enrolment_file_errors()  # said at once, not after the code is typed
        if errors:
            self.errors.show_error("\n".join(errors))

    def _changed(self) -> None:
        self.state.enrolment_file = self.file.text()
        self.state.code = self.code.text()
        self.errors.clear_error()
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt API
        return bool(self.state.enrolment_file.strip() and self.state.code.strip())

    def validatePage(self) -> bool:  # noqa: N802
        errors = self.state.enrolment_errors()
        if errors:
            self.errors.show_error("\n".join(errors))
            return False
        try:
            self.code.setText(normalise_code(self.state.code))  # as the office screen shows it
        except UserError:
            pass
        return True


class JoinAccountPage(QWizardPage):
    def __init__(self, state: SetupState):
        super().__init__()
        self.state = state
        self.setTitle(tr("この端末で使うアカウント"))
        self.setSubTitle(tr("事務局で登録されている、あなたのログイン名を入力してください。"
                            "\nパスフレーズは、この端末で使うものを新しく決めます。"))
        self.login = QLineEdit(state.join_login)
        self.login.setPlaceholderText(tr("事務局で登録されたログイン名。例：tanaka"))
        self.passphrase, self.passphrase_again, self.strength = passphrase_fields()
        self.errors = ErrorLabel()
        form = QFormLayout()
        form.addRow(tr("ログイン名"), self.login)
        add_passphrase_rows(form, self.passphrase, self.passphrase_again, self.strength)
        _stack(self, form, hint_label(tr("このパスフレーズは、この端末で社協デスクを開くときに使います。\n"
                                         "事務局の端末のパスフレーズと同じでも、違っていても構いません。\n"
                                         "覚えやすい言葉をいくつか組み合わせた長めのものがおすすめです。")),
               self.errors)
        for edit in (self.login, self.passphrase, self.passphrase_again):
            edit.textChanged.connect(self._changed)
        self._changed()

    def _changed(self) -> None:
        s = self.state
        s.join_login = self.login.text()
        s.join_passphrase, s.join_passphrase_again = self.passphrase.text(), self.passphrase_again.text()
        show_strength(self.strength, s.join_passphrase)
        self.errors.clear_error()
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802
        s = self.state
        return all(x.strip() for x in (s.join_login, s.join_passphrase, s.join_passphrase_again))

    def validatePage(self) -> bool:  # noqa: N802
        errors = self.state.join_account_errors()
        if errors:
            self.errors.show_error("\n".join(errors))
            return False
        return True
