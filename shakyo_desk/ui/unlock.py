"""Unlock dialog (login + passphrase) and recovery with the recovery key.

Unlocking runs in the worker (Argon2 takes a moment; a key rotation due at unlock, see
store/rekey.py, can take up to a minute and reports its progress under the button). Wrong
passphrases are answered inline; when the store throttles, a countdown keeps the button off."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.errors import UnlockThrottled
from shakyo_desk.i18n import tr
from shakyo_desk.store.store import unlock, unlock_with_recovery
from shakyo_desk.store.services import drops  # noqa: F401  (registers its unlock hook)
from shakyo_desk.ui.dialogs import ErrorLabel, button_row, error_text
from shakyo_desk.ui.uisettings import UiSettings
from shakyo_desk.ui.worker import Executor


class _Progress(QObject):
    """Progress from the worker to a label on the GUI thread (queued signal)."""

    moved = Signal(int, int, str)

    def report(self, done: int, total: int, text: str) -> None:
        try:
            if shiboken6.isValid(self):
                self.moved.emit(done, total, text)
        except RuntimeError:
            pass


class UnlockDialog(QDialog):
    """Emits ``unlocked(store)``; stays open until the right passphrase."""

    unlocked = Signal(object)

    def __init__(self, root: Path, executor: Executor, ui_settings: UiSettings, *,
                 council_name: str = "", login: str | None = None, locked_message: str = "",
                 unlock_fn: Callable = unlock, parent: QWidget | None = None):
        super().__init__(parent)
        self.root = Path(root)
        self.executor = executor
        self.ui_settings = ui_settings
        self.unlock_fn = unlock_fn
        self._busy = False
        self._remaining = 0
        self.setWindowTitle(tr("社協デスク - ロック解除"))
        self.setModal(True)

        heading = QLabel(council_name or tr("社協デスク"))
        heading.setStyleSheet("font-size: 16pt; font-weight: bold;")
        intro = QLabel(locked_message or tr("ログイン名とパスフレーズを入力して、ロックを解除してください。"))
        intro.setWordWrap(True)
        self.login = QLineEdit(login if login is not None else ui_settings.last_login())
        self.login.setPlaceholderText(tr("ログイン名"))
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText(tr("パスフレーズ"))
        self.errors = ErrorLabel()
        self.countdown = QLabel()
        self.countdown.setVisible(False)
        self.progress_label = QLabel()
        self.progress_label.setWordWrap(True)
        self.progress_label.setVisible(False)
        self._progress = _Progress(self)
        self._progress.moved.connect(self._progress_moved)
        self.unlock_button = QPushButton(tr("ロック解除"))
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.try_unlock)
        self.forgot_button = QPushButton(tr("パスフレーズを忘れた場合（復旧キーを使う）"))
        self.forgot_button.setFlat(True)
        self.forgot_button.setStyleSheet("color: #0b57d0; text-decoration: underline; text-align: left;")
        self.forgot_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.forgot_button.clicked.connect(self.open_recovery)
        self.quit_button = QPushButton(tr("終了"))
        self.quit_button.clicked.connect(self.reject)

        form = QFormLayout()
        form.addRow(tr("ログイン名"), self.login)
        form.addRow(tr("パスフレーズ"), self.passphrase)
        buttons = QDialogButtonBox()
        buttons.addButton(self.unlock_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.quit_button, QDialogButtonBox.ButtonRole.RejectRole)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(self.countdown)
        layout.addWidget(self.progress_label)
        layout.addWidget(buttons)
        layout.addWidget(self.forgot_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.setMinimumWidth(460)

        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        (self.passphrase if self.login.text() else self.login).setFocus()

    # ---- unlocking -------------------------------------------------------------

    def try_unlock(self) -> None:
        if self._busy or self._remaining > 0:
            return
        login, passphrase = self.login.text().strip(), self.passphrase.text()
        if not login:
            self.errors.show_error(tr("ログイン名を入力してください。"))
            return
        if not passphrase:
            self.errors.show_error(tr("パスフレーズを入力してください。"))
            return
        self._set_busy(True)
        self.errors.clear_error()
        unlock_fn, root, report = self.unlock_fn, self.root, self._progress.report
        self.executor.submit(lambda: unlock_fn(root, login, passphrase, progress=report),
                             on_done=self._done, on_error=self._failed, owner=self)

    def _progress_moved(self, done: int, total: int, text: str) -> None:
        if self._busy and text:
            self.progress_label.setText(tr("{step}（{percent}%）", step=tr(text),
                                           percent=100 * done // max(1, total)))
            self.progress_label.setVisible(True)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        if not busy:
            self.progress_label.setVisible(False)
        self.unlock_button.setText(tr("確認しています…") if busy else tr("ロック解除"))
        self._update_button()

    def _update_button(self) -> None:
        self.unlock_button.setEnabled(not self._busy and self._remaining <= 0)

    def _done(self, store) -> None:
        self._set_busy(False)
        self.passphrase.clear()
        self.ui_settings.set_last_login(store.actor.login)
        self.accept()
        self.unlocked.emit(store)

    def _failed(self, error: BaseException) -> None:
        self._set_busy(False)
        self.passphrase.clear()
        self.passphrase.setFocus()
        if isinstance(error, UnlockThrottled):
            self.start_countdown(error.seconds)
            return
        self.errors.show_error(error_text(error))

    # ---- throttling ----------------------------------------------------------------

    def start_countdown(self, seconds: float) -> None:
        self._remaining = max(1, math.ceil(seconds))
        self.errors.show_error(tr("パスフレーズの誤りが続いたため、しばらく入力できません。"))
        self._show_remaining()
        self._timer.start()

    def _show_remaining(self) -> None:
        self.countdown.setText(tr("あと{n}秒お待ちください。", n=self._remaining))
        self.countdown.setVisible(self._remaining > 0)
        self._update_button()

    def _tick(self) -> None:
        self._remaining -= 1
        if self._remaining <= 0:
            self._remaining = 0
            self._timer.stop()
            self.errors.clear_error()
        self._show_remaining()

    @property
    def remaining_seconds(self) -> int:
        return self._remaining

    # ---- recovery --------------------------------------------------------------------

    def open_recovery(self) -> None:
        dialog = RecoveryDialog(self.root, self.executor, login=self.login.text().strip(), parent=self)
        dialog.recovered.connect(self._done)
        dialog.open()
        self._recovery_dialog = dialog


class RecoveryDialog(QDialog):
    """Recovery key + login + new passphrase twice → unlock_with_recovery."""

    recovered = Signal(object)

    def __init__(self, root: Path, executor: Executor, *, login: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.root = Path(root)
        self.executor = executor
        self.setWindowTitle(tr("復旧キーでロックを解除"))
        intro = QLabel(tr("保管している紙の復旧キーを入力し、新しいパスフレーズを決めてください。"
                          "ハイフンや空白はあってもなくても構いません。"))
        intro.setWordWrap(True)
        self.key = QLineEdit()
        self.key.setPlaceholderText("XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX")
        self.login = QLineEdit(login)
        self.new = QLineEdit()
        self.new.setEchoMode(QLineEdit.EchoMode.Password)
        self.again = QLineEdit()
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self.errors = ErrorLabel()
        self.buttons, _ = button_row(self, tr("新しいパスフレーズで解除"), self.submit)
        form = QFormLayout()
        form.addRow(tr("復旧キー"), self.key)
        form.addRow(tr("ログイン名"), self.login)
        form.addRow(tr("新しいパスフレーズ"), self.new)
        form.addRow(tr("新しいパスフレーズ（確認）"), self.again)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)

    def submit(self) -> None:
        if not self.key.text().strip() or not self.login.text().strip():
            self.errors.show_error(tr("復旧キーとログイン名を入力してください。"))
            return
        if self.new.text() != self.again.text():
            self.errors.show_error(tr("確認のために入力したパスフレーズが一致しません。もう一度入力してください。"))
            return
        self.errors.clear_error()
        self.buttons.setEnabled(False)
        self.executor.submit(unlock_with_recovery, self.root, self.key.text().strip(), self.login.text().strip(),
                             self.new.text(), on_done=self._done, on_error=self._failed, owner=self)

    def _done(self, store) -> None:
        self.buttons.setEnabled(True)
        self.accept()
        self.recovered.emit(store)

    def _failed(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.errors.show_error(error_text(error))
