"""アカウント page (admin): list, add, disable, enable again, reset passphrase."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDialog, QFormLayout, QHBoxLayout, QLabel,
    QLineEdit, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.roles import Role
from shakyo_desk.domain.vocab import SECTIONS
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.accounts import (
    Account, Disabled, add_account, disable_account, enable_account, list_accounts, recovery_key_state,
    renew_recovery_key, reset_passphrase,
)
from shakyo_desk.store.services.districts import DistrictInfo, list_districts
from shakyo_desk.ui import dialogs
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel, button_row
from shakyo_desk.ui.events import ACCOUNT, keep_fresh, on
from shakyo_desk.ui.key_actions import KeyProgress, RecoveryKeyDialog, show_notices
from shakyo_desk.ui.widgets import CheckList, Column, fit_columns

COLUMNS = ("ログイン名", "氏名", "役割", "所属", "状態")
FIT = (Column("yamada", 140), Column("佐々木 花子", 160), Column("管理者（事務局長）", 300, stretch=True),
       Column("地域福祉係", 160, drop=1), Column("有効", 60))


def _password_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class AccountsPage(QWidget):
    refresh_on = on(ACCOUNT)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        keep_fresh(self, ctx.events, self.refresh_on)
        self.accounts: list[Account] = []
        self.districts: list[DistrictInfo] = []
        self.dialog: QDialog | None = None
        title = QLabel(tr("アカウント"))
        title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        intro = QLabel(tr("職員ごとにアカウントを作ります。アカウントを共有せず、一人ひとつを使ってください。"))
        intro.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([tr(c) for c in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        fit_columns(self.table, FIT)
        self.add_button = QPushButton(tr("アカウントを追加"))
        self.reset_button = QPushButton(tr("パスフレーズを再設定"))
        self.disable_button = QPushButton(tr("無効にする"))
        self.enable_button = QPushButton(tr("有効にする"))
        self.recovery_button = QPushButton(tr("復旧キーを作り直す"))
        self.recovery_button.setToolTip(tr("この端末の新しい復旧キーを作って表示します。前の復旧キーは使えなくなります。"))
        self.recovery_button.clicked.connect(self.renew_recovery)
        self.progress: KeyProgress | None = None
        self.add_button.clicked.connect(self.add)
        self.reset_button.clicked.connect(self.reset)
        self.disable_button.clicked.connect(self.disable)
        self.enable_button.clicked.connect(self.enable)
        self.errors = ErrorLabel()
        self.notice = QLabel()
        self.notice.setStyleSheet("color: #1b7a1b;")
        self.notice.setVisible(False)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.reset_button, self.disable_button, self.enable_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.recovery_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(buttons)
        layout.addWidget(self.errors)
        layout.addWidget(self.notice)
        layout.addWidget(self.table, 1)

    def refresh(self) -> None:
        self.ctx.executor.submit(
            lambda store: (list_accounts(store), list_districts(store), recovery_key_state(store)), self.ctx.store,
            on_done=self._loaded, on_error=self.errors.show_error, owner=self)

    def _loaded(self, result) -> None:
        self.accounts, self.districts, recovery = result
        if recovery == "renew":  # a key rotation could not carry an old-format recovery key
            self.recovery_button.setStyleSheet("font-weight: bold;")
            self.errors.show_error(tr("この端末の復旧キーは使えなくなっています。「復旧キーを作り直す」で新しい復旧キーを作り、"
                                      "印刷して保管してください。"))
        else:
            self.recovery_button.setStyleSheet("")
        self.table.setRowCount(len(self.accounts))
        for row, a in enumerate(self.accounts):
            state = tr("有効") if a.active else tr("無効")
            for column, text in enumerate((a.login, a.display_name, a.role.label, a.section, state)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if not a.active:
                    item.setForeground(Qt.GlobalColor.gray)
                self.table.setItem(row, column, item)

    def selected(self) -> Account | None:
        row = self.table.currentRow()
        return self.accounts[row] if 0 <= row < len(self.accounts) else None

    def _say(self, text: str) -> None:
        self.errors.clear_error()
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    # ---- actions -------------------------------------------------------------------

    def add(self) -> None:
        self._say("")
        dialog = AddAccountDialog(self.districts, parent=self)
        dialog.submitted.connect(lambda values: self._add(dialog, values))
        self.dialog = dialog
        dialog.open()

    def _add(self, dialog: "AddAccountDialog", v: dict) -> None:
        def done(_id) -> None:
            dialog.accept()
            self._say(tr("アカウント「{login}」を追加しました。", login=v["login"]))
            self.ctx.changed(ACCOUNT)

        self.ctx.executor.submit(add_account, self.ctx.store, v["login"], v["display_name"], v["role"],
                                 v["passphrase"], v["section"], v["district_ids"], self.ctx.kdf,
                                 on_done=done, on_error=dialog.errors.show_error, owner=dialog)

    def reset(self) -> None:
        account = self.selected()
        if account is None:
            self.errors.show_error(tr("一覧からアカウントを選んでください。"))
            return
        dialog = NewPassphraseDialog(tr("パスフレーズの再設定（{login}）", login=account.login),
                                     tr("{name} さんの新しいパスフレーズを決めて、本人に直接伝えてください。",
                                        name=account.display_name), parent=self)

        def submitted(passphrase: str) -> None:
            def done(_r) -> None:
                dialog.accept()
                self._say(tr("「{login}」のパスフレーズを再設定しました。", login=account.login))

            self.ctx.executor.submit(reset_passphrase, self.ctx.store, account.id, passphrase, self.ctx.kdf,
                                     on_done=done, on_error=dialog.errors.show_error, owner=dialog)

        dialog.submitted.connect(submitted)
        self.dialog = dialog
        dialog.open()

    def disable(self) -> None:
        account = self.selected()
        if account is None:
            self.errors.show_error(tr("一覧からアカウントを選んでください。"))
            return
        if not dialogs.confirm(self, tr("アカウントを無効にする"),
                               tr("「{login}」（{name}）を無効にしますか？\nこのアカウントではロックを解除できなくなります。"
                                  "これまでの記録は残ります。\n\nあわせてデータの鍵を作り直します（データが多いと1分ほどかかります）。"
                                  "終わるまで、ほかの画面やコマンドでこのデータを開かないでください。",
                                  login=account.login, name=account.display_name),
                               yes=tr("無効にする")):
            return
        if self.progress is not None:
            return
        self.progress = KeyProgress(self, tr("アカウントを無効にする"), tr("データの鍵を作り直しています…"))
        report = self.progress.report

        def done(result: Disabled) -> None:
            self._end_progress()
            self._say(tr("「{login}」を無効にしました。", login=account.login))
            self.notice_box = show_notices(self, result.notices, tr("アカウントを無効にしました"))
            self.ctx.changed(ACCOUNT)

        def failed(error: BaseException) -> None:
            self._end_progress()
            self.errors.show_error(error)
            self.ctx.changed(ACCOUNT)  # the account may be disabled even when the key could not be rotated

        self.ctx.executor.submit(disable_account, self.ctx.store, account.id, report, on_done=done,
                                 on_error=failed, owner=self)

    def _end_progress(self) -> None:
        if self.progress is not None:
            self.progress.finish()
            self.progress = None

    def renew_recovery(self) -> None:
        if not dialogs.confirm(self, tr("復旧キーを作り直す"),
                               tr("この端末の新しい復旧キーを作りますか？\n前の復旧キー（印刷した紙）は使えなくなります。"
                                  "新しい復旧キーは一度だけ表示されるので、印刷する準備をしてください。"),
                               yes=tr("作り直す")):
            return
        council = self.ctx.council.name if self.ctx.council else ""

        def done(key) -> None:
            self.errors.clear_error()
            self.recovery_button.setStyleSheet("")
            self.dialog = RecoveryKeyDialog(str(key), council, parent=self)
            self.dialog.open()

        self.ctx.executor.submit(renew_recovery_key, self.ctx.store, on_done=done,
                                 on_error=self.errors.show_error, owner=self)

    def enable(self) -> None:
        """A disabled account gets a new passphrase (disabling removed its key wrap)."""
        account = self.selected()
        if account is None:
            self.errors.show_error(tr("一覧からアカウントを選んでください。"))
            return
        if account.active:
            self.errors.show_error(tr("「{login}」は有効なアカウントです。有効にできるのは「無効」と表示されているアカウントです。",
                                      login=account.login))
            return
        self._say("")
        dialog = NewPassphraseDialog(tr("アカウントを有効にする（{login}）", login=account.login),
                                     tr("{name} さんのアカウントをもう一度使えるようにします。前のパスフレーズは使えないため、"
                                        "新しいパスフレーズを決めて、本人に直接伝えてください。", name=account.display_name),
                                     ok=tr("有効にする"), parent=self)

        def submitted(passphrase: str) -> None:
            def done(_r) -> None:
                dialog.accept()
                self._say(tr("「{login}」を有効にしました。新しいパスフレーズを本人に伝えてください。", login=account.login))
                self.ctx.changed(ACCOUNT)

            self.ctx.executor.submit(enable_account, self.ctx.store, account.id, passphrase, self.ctx.kdf,
                                     on_done=done, on_error=dialog.errors.show_error, owner=dialog)

        dialog.submitted.connect(submitted)
        self.dialog = dialog
        dialog.open()


class AddAccountDialog(QDialog):
    submitted = Signal(dict)

    def __init__(self, districts: list[DistrictInfo], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(tr("アカウントの追加"))
        self.login = QLineEdit()
        self.login.setPlaceholderText(tr("半角英数字。例：suzuki"))
        self.display_name = QLineEdit()
        self.role = QComboBox()
        for role in (Role.STAFF, Role.COORDINATOR, Role.REPORTER, Role.ADMIN):
            self.role.addItem(role.label, role.value)
        self.section = QComboBox()
        self.section.setEditable(True)
        self.section.addItems(SECTIONS)
        self.section.setCurrentText("")
        self.districts = CheckList(["\u3000" * d.depth + d.name for d in districts], data=[d.id for d in districts])
        self.districts.setFixedHeight(110)
        self.passphrase = _password_edit()
        self.again = _password_edit()
        self.errors = ErrorLabel()
        hint = QLabel(tr("「職員」は担当地区の世帯だけを見られます。初めのパスフレーズは本人に直接伝え、"
                         "最初のロック解除のあと「パスフレーズの変更」で変えてもらってください。"))
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #444;")
        buttons, _ = button_row(self, tr("追加"), self._submit)
        form = QFormLayout()
        form.addRow(tr("ログイン名"), self.login)
        form.addRow(tr("氏名"), self.display_name)
        form.addRow(tr("役割"), self.role)
        form.addRow(tr("所属"), self.section)
        form.addRow(tr("担当地区"), self.districts)
        form.addRow(tr("初めのパスフレーズ"), self.passphrase)
        form.addRow(tr("パスフレーズ（確認）"), self.again)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def values(self) -> dict:
        return {"login": self.login.text().strip(), "display_name": self.display_name.text().strip(),
                "role": self.role.currentData(), "section": self.section.currentText().strip(),
                "district_ids": self.districts.checked(), "passphrase": self.passphrase.text()}

    def _submit(self) -> None:
        if self.passphrase.text() != self.again.text():
            self.errors.show_error(tr("確認のために入力したパスフレーズが一致しません。もう一度入力してください。"))
            return
        self.errors.clear_error()
        self.submitted.emit(self.values())


class NewPassphraseDialog(QDialog):
    """A new passphrase typed twice (admin reset, enabling an account again)."""

    submitted = Signal(str)

    def __init__(self, title: str, intro: str, ok: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        label = QLabel(intro)
        label.setWordWrap(True)
        self.new = _password_edit()
        self.again = _password_edit()
        self.errors = ErrorLabel()
        buttons, self.ok_button = button_row(self, ok, self._submit)
        form = QFormLayout()
        form.addRow(tr("新しいパスフレーズ"), self.new)
        form.addRow(tr("新しいパスフレーズ（確認）"), self.again)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def _submit(self) -> None:
        if self.new.text() != self.again.text():
            self.errors.show_error(tr("確認のために入力したパスフレーズが一致しません。もう一度入力してください。"))
            return
        self.errors.clear_error()
        self.submitted.emit(self.new.text())
