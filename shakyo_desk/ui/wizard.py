"""First-run setup wizard: council → first administrator → data folder →
creation (in the worker) → recovery key. The rules live in ``setup_state``."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton,
    QVBoxLayout, QWidget, QWizard, QWizardPage,
)

from shakyo_desk.i18n import tr
from shakyo_desk.store.store import Store
from shakyo_desk.ui.dialogs import ErrorLabel, error_text
from shakyo_desk.ui.setup_state import SetupState, group_key, passphrase_strength
from shakyo_desk.ui.style import mono_font
from shakyo_desk.ui.worker import Executor

STRENGTH_COLOURS = {0: "#b00020", 1: "#b35c00", 2: "#5a6b00", 3: "#1b7a1b"}


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: #444;")
    return label


class CouncilPage(QWizardPage):
    def __init__(self, state: SetupState):
        super().__init__()
        self.state = state
        self.setTitle(tr("社協の情報"))
        self.setSubTitle(tr("社協デスクへようこそ。はじめに、お使いになる社会福祉協議会の名前を入力してください。"))
        self.council_name = QLineEdit()
        self.council_name.setPlaceholderText(tr("例：山里村社会福祉協議会"))
        self.municipality = QLineEdit()
        self.municipality.setPlaceholderText(tr("例：山里村"))
        form = QFormLayout(self)
        form.addRow(tr("社協の名前（必須）"), self.council_name)
        form.addRow(tr("市町村名"), self.municipality)
        form.addRow(_hint(tr("名前はあとから「設定」で変更できます。")))
        self.council_name.textChanged.connect(self._changed)
        self.municipality.textChanged.connect(self._changed)

    def _changed(self) -> None:
        self.state.council_name = self.council_name.text()
        self.state.municipality = self.municipality.text()
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt API
        return not self.state.council_errors()


class AdminPage(QWizardPage):
    def __init__(self, state: SetupState):
        super().__init__()
        self.state = state
        self.setTitle(tr("最初の管理者"))
        self.setSubTitle(tr("この社協の管理者（事務局長など）のアカウントを作ります。"
                            "\nほかの職員のアカウントは、あとからこの管理者が追加します。"))
        self.login = QLineEdit(state.login)
        self.login.setPlaceholderText(tr("半角英数字。例：tanaka"))
        self.display_name = QLineEdit()
        self.display_name.setPlaceholderText(tr("例：田中 一郎"))
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase_again = QLineEdit()
        self.passphrase_again.setEchoMode(QLineEdit.EchoMode.Password)
        self.strength = QLabel()
        self.strength.setWordWrap(True)
        self.errors = ErrorLabel()
        form = QFormLayout(self)
        form.addRow(tr("ログイン名"), self.login)
        form.addRow(tr("表示名（氏名）"), self.display_name)
        form.addRow(tr("パスフレーズ"), self.passphrase)
        form.addRow(tr("パスフレーズ（確認）"), self.passphrase_again)
        form.addRow("", self.strength)
        form.addRow(_hint(tr("パスフレーズは、覚えやすい言葉をいくつか組み合わせた長めのものがおすすめです。\n"
                             "データはこのパスフレーズで守られます。")))
        form.addRow(self.errors)
        for edit in (self.login, self.display_name, self.passphrase, self.passphrase_again):
            edit.textChanged.connect(self._changed)
        self._changed()

    def _changed(self) -> None:
        s = self.state
        s.login, s.display_name = self.login.text(), self.display_name.text()
        s.passphrase, s.passphrase_again = self.passphrase.text(), self.passphrase_again.text()
        if s.passphrase:
            score, text = passphrase_strength(s.passphrase)
            self.strength.setText(tr("強さ：") + text)
            self.strength.setStyleSheet(f"color: {STRENGTH_COLOURS[score]};")
        else:
            self.strength.setText("")
        self.errors.clear_error()
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802
        s = self.state
        return all(x.strip() for x in (s.login, s.display_name, s.passphrase, s.passphrase_again))

    def validatePage(self) -> bool:  # noqa: N802
        errors = self.state.admin_errors()
        if errors:
            self.errors.show_error("\n".join(errors))
            return False
        return True


class FolderPage(QWizardPage):
    def __init__(self, state: SetupState):
        super().__init__()
        self.state = state
        self.setTitle(tr("データの保存場所"))
        self.setSubTitle(tr("記録は暗号化して、このフォルダに保存します。ふつうはこのままで構いません。"))
        self.folder = QLineEdit(state.folder)
        choose = QPushButton(tr("変更…"))
        choose.clicked.connect(self._choose)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(choose)
        self.errors = ErrorLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("保存するフォルダ")))
        layout.addLayout(row)
        layout.addWidget(_hint(tr("共有フォルダやUSBメモリは避けて、このパソコンの中のフォルダを選んでください。"
                                  "「作成する」を押すと、データと復旧キーを作ります。")))
        layout.addWidget(self.errors)
        layout.addStretch(1)
        self.folder.textChanged.connect(self._changed)
        self.setButtonText(QWizard.WizardButton.NextButton, tr("作成する"))

    def _choose(self) -> None:
        start = self.folder.text() or str(Path.home())
        chosen = QFileDialog.getExistingDirectory(self, tr("保存するフォルダを選ぶ"), start)
        if chosen:
            self.folder.setText(str(Path(chosen) / "shakyo-desk"))

    def _changed(self) -> None:
        self.state.folder = self.folder.text()
        self.errors.clear_error()
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802
        return bool(self.state.folder.strip())

    def validatePage(self) -> bool:  # noqa: N802
        errors = self.state.folder_errors()
        if errors:
            self.errors.show_error("\n".join(errors))
            return False
        return True


class RecoveryPage(QWizardPage):
    def __init__(self, state: SetupState, wizard: "SetupWizard"):
        super().__init__()
        self.state = state
        self._wizard = wizard
        self.setTitle(tr("復旧キー"))
        self.setSubTitle(tr("全員がパスフレーズを忘れたときに、データを取り戻すためのキーです。"
                            "\nこの画面は一度しか表示されません。"))
        self.busy_label = QLabel(tr("データを作成しています。しばらくお待ちください…"))
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.key_label = QLabel()
        self.key_label.setFont(mono_font(22))
        self.key_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key_label.setStyleSheet("border: 2px solid #333; padding: 14px; background: #fffdf2;")
        self.identity_caption = _hint(tr(
            "同期ファイルの復旧用の鍵（アプリが使えなくなっても、age という一般的な道具で同期ファイルを開けます）："))
        self.identity_label = QLabel()
        self.identity_label.setFont(mono_font(10))
        self.identity_label.setWordWrap(True)
        self.identity_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.identity_label.setStyleSheet("border: 1px solid #999; padding: 8px; background: #fffdf2;")
        self.instructions = _hint(tr(
            "この復旧キーを印刷するか、紙に正確に書き写して、金庫など鍵のかかる安全な場所に保管してください。"
            "このキーがあれば誰でもデータを開けます。パソコンやスマートフォンには保存しないでください。"))
        self.print_button = QPushButton(tr("印刷する"))
        self.print_button.clicked.connect(self._print)
        self.confirm = QCheckBox(tr("復旧キーと同期ファイルの復旧用の鍵を印刷するか書き写して、安全な場所に保管しました"))
        self.confirm.toggled.connect(self.completeChanged)
        self.errors = ErrorLabel()
        self.back_button = QPushButton(tr("入力に戻って直す"))
        self.back_button.clicked.connect(wizard.back)
        self.back_button.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.busy_label)
        layout.addWidget(self.busy)
        layout.addWidget(self.key_label)
        layout.addWidget(self.identity_caption)
        layout.addWidget(self.identity_label)
        layout.addWidget(self.instructions)
        row = QHBoxLayout()
        row.addWidget(self.print_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.confirm)
        layout.addWidget(self.errors)
        layout.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        self._show_created(False)

    def _show_created(self, created: bool) -> None:
        for w in (self.key_label, self.identity_caption, self.identity_label, self.instructions, self.print_button,
                  self.confirm):
            w.setVisible(created)
        self.busy.setVisible(not created)
        self.busy_label.setVisible(not created)

    def initializePage(self) -> None:  # noqa: N802
        if self.state.created:
            return
        self.errors.clear_error()
        self.back_button.setVisible(False)
        self._show_created(False)
        self._wizard.executor.submit(self.state.create, self._wizard.kdf,
                                     on_done=self._created, on_error=self._failed, owner=self)

    def _created(self, result: tuple[Store, str]) -> None:
        store, key = result
        self.state.created = True
        self.state.recovery_key = key
        self._wizard.store = store
        self.key_label.setText("  ".join(group_key(key)))
        self.identity_label.setText(getattr(key, "identity", ""))
        self._show_created(True)
        self._wizard.setOption(QWizard.WizardOption.NoCancelButton, True)
        self.completeChanged.emit()

    def _failed(self, error: BaseException) -> None:
        self.busy.setVisible(False)
        self.busy_label.setVisible(False)
        self.errors.show_error(error_text(error))
        self.back_button.setVisible(True)

    def _print(self) -> None:
        from shakyo_desk.ui.recovery_print import print_recovery_key

        print_recovery_key(self, self.state.council_name, self.state.recovery_key)

    def isComplete(self) -> bool:  # noqa: N802
        return self.state.created and self.confirm.isChecked()


class SetupWizard(QWizard):
    """Emits ``created(store)`` when the user finishes after saving the key."""

    created = Signal(object)

    def __init__(self, executor: Executor, default_folder: Path, kdf: dict | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.executor = executor
        self.kdf = kdf
        self.store: Store | None = None
        self.state = SetupState(folder=str(default_folder))
        self.setWindowTitle(tr("社協デスク - はじめての設定"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoDefaultButton, False)
        self.setButtonText(QWizard.WizardButton.NextButton, tr("次へ"))
        self.setButtonText(QWizard.WizardButton.BackButton, tr("戻る"))
        self.setButtonText(QWizard.WizardButton.FinishButton, tr("完了"))
        self.setButtonText(QWizard.WizardButton.CancelButton, tr("キャンセル"))
        self.council_page = CouncilPage(self.state)
        self.admin_page = AdminPage(self.state)
        self.folder_page = FolderPage(self.state)
        self.recovery_page = RecoveryPage(self.state, self)
        for page in (self.council_page, self.admin_page, self.folder_page, self.recovery_page):
            self.addPage(page)
        self.resize(800, 580)

    def accept(self) -> None:
        if self.store is None or not self.state.created:
            return
        super().accept()
        self.created.emit(self.store)

    def reject(self) -> None:
        if self.state.created:
            return  # the store exists; the key must be acknowledged first
        super().reject()
