"""First-run setup wizard. To create a council: start (the choice and the council's name) →
first administrator → data folder → creation (in the worker) → recovery key. To join one from
an enrolment file: start → file and code → account → data folder → joining (in the worker) →
this installation's recovery key; those two pages are in ``wizard_join``. The rules and the
order of the steps live in ``setup_state``."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup, QCheckBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton,
    QRadioButton, QVBoxLayout, QWidget, QWizard, QWizardPage,
)

from shakyo_desk.i18n import tr
from shakyo_desk.store.store import Store
from shakyo_desk.ui import setup_state as steps
from shakyo_desk.ui.appearance import set_scaled_font
from shakyo_desk.reports.recovery_sheet import KEY_ALPHABET
from shakyo_desk.ui.dialogs import ErrorLabel, error_text, fit_to_screen
from shakyo_desk.ui.recovery_print import RecoverySheetButtons, make_sheet
from shakyo_desk.ui.setup_state import CREATE, JOIN, SetupResult, SetupState, group_key
from shakyo_desk.ui.style import mono_font
from shakyo_desk.ui.wizard_join import JoinAccountPage, JoinFilePage
from shakyo_desk.ui.wizard_widgets import add_passphrase_rows, hint_label, passphrase_fields, show_strength
from shakyo_desk.ui.worker import Executor

def _indented(*widgets: QWidget) -> QVBoxLayout:
    box = QVBoxLayout()
    box.setContentsMargins(28, 0, 0, 6)
    for widget in widgets:
        box.addWidget(widget)
    return box


class StartPage(QWizardPage):
    """How to start on this PC: a new council (the council's name is asked right here) or
    joining one from an enrolment file."""

    def __init__(self, state: SetupState):
        super().__init__()
        self.state = state
        self.setTitle(tr("はじめに"))
        self.setSubTitle(tr("社協デスクへようこそ。このパソコンでの始め方を選んでください。"))
        self.create_choice = QRadioButton(tr("新しく社協のデータを作る（事務局のパソコン・最初の1台）"))
        self.join_choice = QRadioButton(tr("登録ファイルから参加する（ノートPCなど2台目以降）"))
        self.choices = QButtonGroup(self)
        for choice in (self.create_choice, self.join_choice):
            choice.setStyleSheet("font-weight: bold;")
            self.choices.addButton(choice)
        self.create_choice.setChecked(state.mode == CREATE)
        self.join_choice.setChecked(state.mode == JOIN)
        self.council_name = QLineEdit()
        self.council_name.setPlaceholderText(tr("例：山里村社会福祉協議会"))
        self.municipality = QLineEdit()
        self.municipality.setPlaceholderText(tr("例：山里村"))
        self.council_box = QWidget()
        form = QFormLayout(self.council_box)
        form.setContentsMargins(0, 4, 0, 0)
        form.addRow(tr("社協の名前（必須）"), self.council_name)
        form.addRow(tr("市町村名"), self.municipality)
        form.addRow(hint_label(tr("名前はあとから「設定」で変更できます。")))
        layout = QVBoxLayout(self)
        layout.addWidget(self.create_choice, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(_indented(
            hint_label(tr("この社協で初めて社協デスクを使うときに選びます。このパソコンが事務局の端末になります。")),
            self.council_box))
        layout.addWidget(self.join_choice, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(_indented(hint_label(tr(
            "事務局の端末で作った登録ファイルと、事務局の画面に表示される登録コードを使って始めます。"))))
        layout.addStretch(1)
        self.council_name.textChanged.connect(self._changed)
        self.municipality.textChanged.connect(self._changed)
        self.create_choice.toggled.connect(self._changed)
        self._changed()

    def _changed(self) -> None:
        self.state.mode = CREATE if self.create_choice.isChecked() else JOIN
        self.state.council_name = self.council_name.text()
        self.state.municipality = self.municipality.text()
        self.council_box.setEnabled(not self.state.joining)
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt API
        return not self.state.start_errors()


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
        self.passphrase, self.passphrase_again, self.strength = passphrase_fields()
        self.errors = ErrorLabel()
        form = QFormLayout(self)
        form.addRow(tr("ログイン名"), self.login)
        form.addRow(tr("表示名（氏名）"), self.display_name)
        add_passphrase_rows(form, self.passphrase, self.passphrase_again, self.strength)
        form.addRow(hint_label(tr("パスフレーズは、社協デスクを開くたびにログイン名と一緒に入力する、あなただけの合言葉です。"
                                  "覚えやすい言葉をいくつか組み合わせた長めのもの（例：やまざと みかん 坂道）がおすすめです。\n"
                                  "データはこのパスフレーズで守られます。紙に書いて貼ったり、人に教えたりしないでください。")))
        form.addRow(self.errors)
        for edit in (self.login, self.display_name, self.passphrase, self.passphrase_again):
            edit.textChanged.connect(self._changed)
        self._changed()

    def _changed(self) -> None:
        s = self.state
        s.login, s.display_name = self.login.text(), self.display_name.text()
        s.passphrase, s.passphrase_again = self.passphrase.text(), self.passphrase_again.text()
        show_strength(self.strength, s.passphrase)
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
        self.setSubTitle(tr("記録は暗号化して、このデータフォルダに保存します。ふつうはこのままで構いません。"))
        self.folder = QLineEdit(state.folder)
        self.folder.setAccessibleName(tr("データフォルダ"))
        choose = QPushButton(tr("変更…"))
        choose.clicked.connect(self._choose)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(choose)
        self.errors = ErrorLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("データフォルダ")))
        layout.addLayout(row)
        self.action_hint = hint_label("")
        layout.addWidget(self.action_hint)
        layout.addWidget(self.errors)
        layout.addStretch(1)
        self.folder.textChanged.connect(self._changed)
        self.initializePage()

    def initializePage(self) -> None:  # noqa: N802
        where = tr("共有フォルダやUSBメモリは避けて、このパソコンの中のフォルダを選んでください。")
        if self.state.joining:
            self.setButtonText(QWizard.WizardButton.NextButton, tr("参加する"))
            self.action_hint.setText(where + tr("「参加する」を押すと、登録ファイルからデータを取り込み、"
                                                "この端末の復旧キーを作ります。"))
        else:
            self.setButtonText(QWizard.WizardButton.NextButton, tr("作成する"))
            self.action_hint.setText(where + tr("「作成する」を押すと、データと復旧キーを作ります。"))

    def _choose(self) -> None:
        start = self.folder.text() or str(Path.home())
        chosen = QFileDialog.getExistingDirectory(self, tr("データフォルダを選ぶ"), start)
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
    """Runs the creation or the joining in the worker, then shows the recovery key once."""

    def __init__(self, state: SetupState, wizard: "SetupWizard"):
        super().__init__()
        self.state = state
        self._wizard = wizard
        self._error: BaseException | None = None
        self.setTitle(tr("復旧キー"))
        self.busy_label = QLabel()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.key_label = QLabel()
        set_scaled_font(self.key_label, mono_font(22))
        self.key_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key_label.setStyleSheet("border: 2px solid #333; padding: 14px; background: #fffdf2;")
        self.key_caption = hint_label(tr(KEY_ALPHABET))
        self.identity_caption = hint_label(tr(
            "同期ファイルの復旧用の鍵（社協デスクが使えなくなったときに、同期ファイルから記録を取り出す鍵。ふだんは使いません）："))
        self.identity_label = QLabel()
        set_scaled_font(self.identity_label, mono_font(10))
        self.identity_label.setWordWrap(True)
        self.identity_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.identity_label.setStyleSheet("border: 1px solid #999; padding: 8px; background: #fffdf2;")
        self.instructions = hint_label("")
        self.sheet_buttons = RecoverySheetButtons(self._sheet)
        self.print_button, self.save_button = self.sheet_buttons.print_button, self.sheet_buttons.save_button
        self.confirm = QCheckBox()
        self.confirm.toggled.connect(self.completeChanged)
        self.errors = ErrorLabel()
        self.back_button = QPushButton(tr("入力に戻って直す"))
        self.back_button.clicked.connect(self._back_to_fix)
        self.back_button.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.busy_label)
        layout.addWidget(self.busy)
        layout.addWidget(self.key_label)
        layout.addWidget(self.key_caption)
        layout.addWidget(self.identity_caption)
        layout.addWidget(self.identity_label)
        layout.addWidget(self.instructions)
        layout.addWidget(self.sheet_buttons)
        layout.addWidget(self.confirm)
        layout.addWidget(self.errors)
        layout.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        self._show_created(False)

    def _show_created(self, created: bool) -> None:
        with_identity = created and bool(getattr(self.state.recovery_key, "identity", ""))
        for w in (self.key_label, self.key_caption, self.instructions, self.sheet_buttons, self.confirm):
            w.setVisible(created)
        for w in (self.identity_caption, self.identity_label):
            w.setVisible(with_identity)
        self.busy.setVisible(not created)
        self.busy_label.setVisible(not created)

    def initializePage(self) -> None:  # noqa: N802
        if self.state.created:
            return
        if self.state.joining:
            self.setSubTitle(tr("登録ファイルから、このパソコンで使うデータを作ります。"))
            self.busy_label.setText(tr("登録ファイルからデータを取り込んでいます。しばらくお待ちください…"))
        else:
            self.setSubTitle(tr("全員がパスフレーズを忘れたときに、データを取り戻すためのキーです。"
                                "\nこの画面は一度しか表示されません。"))
            self.busy_label.setText(tr("データを作成しています。しばらくお待ちください…"))
        self.errors.clear_error()
        self.back_button.setVisible(False)
        self._show_created(False)
        self._wizard.set_working(True)
        self._wizard.executor.submit(self.state.run, self._wizard.kdf,
                                     on_done=self._created, on_error=self._failed, owner=self)

    def _created(self, result: SetupResult) -> None:
        self._wizard.set_working(False)
        key = result.recovery_key
        self.state.created = True
        self.state.recovery_key = key
        self.state.council_name = result.council_name
        self.state.device_name = result.device_name
        self._wizard.store = result.store
        self.key_label.setText("  ".join(group_key(key)))
        self.identity_label.setText(getattr(key, "identity", ""))
        keep = tr("「印刷する」で復旧シート（必要なものを1枚にまとめた紙）を印刷し、金庫などパソコンとは別の鍵のかかる"
                  "場所に保管してください。プリンターがなければ「PDFとして保存する」で保存し、印刷したらファイルを削除します。\n"
                  "復旧キーは、ふだんログインに使うパスフレーズとは別のもので、全員がパスフレーズを忘れたときや"
                  "パソコンが壊れたときだけ使います。")
        if self.state.joining:
            self.setSubTitle(tr("この端末でパスフレーズを忘れたときに、データを取り戻すためのキーです。"
                                "\nこの画面は一度しか表示されません。"))
            keep = (tr("この復旧キーは、この端末（{device}）だけのものです。事務局の端末の復旧キーとは別です。",
                       device=result.device_name) + "\n" + keep)
            if result.enrolment_warning is None:
                keep += "\n" + tr("参加の手続きは終わりました。登録ファイルは使用済みにしたので、もう一度は使えません"
                                   "（USBメモリから削除しても構いません）。")
            else:
                # The file still holds this installation's keys: say so where it cannot be missed.
                self.errors.show_error(result.enrolment_warning)
        self.instructions.setText(keep)
        self.confirm.setText(
            tr("復旧シートを印刷して（または書き写して）、安全な場所に保管しました"))
        self._show_created(True)
        self._wizard.setOption(QWizard.WizardOption.NoCancelButton, True)
        self.completeChanged.emit()

    def _failed(self, error: BaseException) -> None:
        self._wizard.set_working(False)
        self._error = error
        self.busy.setVisible(False)
        self.busy_label.setVisible(False)
        self.errors.show_error(error_text(error))
        self.back_button.setVisible(True)

    def _back_to_fix(self) -> None:
        """Back to the page where the cause can be fixed, that page showing the same sentence."""
        wizard = self._wizard
        target = wizard.page_id(self.state.failure_step(self._error)) if self._error else -1
        if target not in wizard.visitedIds():
            target = wizard.visitedIds()[-2]
        while wizard.currentId() != target:
            wizard.back()
        errors = getattr(wizard.currentPage(), "errors", None)
        if errors is not None and self._error is not None:
            errors.show_error(error_text(self._error))

    def _sheet(self):
        """The 復旧シート of the key just made; a joined installation's names its device."""
        return make_sheet(self.state.council_name, self.state.recovery_key, self.state.device_name)

    def isComplete(self) -> bool:  # noqa: N802
        return self.state.created and self.confirm.isChecked()


class SetupWizard(QWizard):
    """Emits ``created(store)`` when the user finishes after saving the key (created or joined)."""

    created = Signal(object)

    def __init__(self, executor: Executor, default_folder: Path, kdf: dict | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.executor = executor
        self.kdf = kdf
        self.store: Store | None = None
        self.working = False
        self.state = SetupState(folder=str(default_folder))
        self.setWindowTitle(tr("社協デスク - はじめての設定"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoDefaultButton, False)
        self.setButtonText(QWizard.WizardButton.NextButton, tr("次へ"))
        self.setButtonText(QWizard.WizardButton.BackButton, tr("戻る"))
        self.setButtonText(QWizard.WizardButton.FinishButton, tr("完了"))
        self.setButtonText(QWizard.WizardButton.CancelButton, tr("キャンセル"))
        self.council_page = self.start_page = StartPage(self.state)
        self.admin_page = AdminPage(self.state)
        self.join_file_page = JoinFilePage(self.state)
        self.join_account_page = JoinAccountPage(self.state)
        self.folder_page = FolderPage(self.state)
        self.recovery_page = RecoveryPage(self.state, self)
        self._pages = {steps.START: self.start_page, steps.ADMIN: self.admin_page,
                       steps.JOIN_FILE: self.join_file_page, steps.JOIN_ACCOUNT: self.join_account_page,
                       steps.FOLDER: self.folder_page, steps.FINISH: self.recovery_page}
        for number, page in enumerate(self._pages.values()):
            self.setPage(number, page)
        self._steps = dict(enumerate(self._pages))
        fit_to_screen(self, QSize(800, 580))

    def page_id(self, step: str) -> int:
        return list(self._pages).index(step)

    def nextId(self) -> int:  # noqa: N802 - Qt API: the order comes from setup_state
        step = self._steps.get(self.currentId())
        following = self.state.next_step(step) if step else None
        return self.page_id(following) if following else -1

    def set_working(self, working: bool) -> None:
        """While the worker creates the store, closing would leave it half-shown: refuse."""
        self.working = working
        self.button(QWizard.WizardButton.CancelButton).setEnabled(not working)

    def accept(self) -> None:
        if self.store is None or not self.state.created:
            return
        super().accept()
        self.created.emit(self.store)

    def reject(self) -> None:
        if self.state.created or self.working:
            return  # the store exists (or is being made); the key must be acknowledged first
        super().reject()
