"""Screens for the data key's upkeep (store/rekey.py): the progress of a key rotation, the
notices an unlock or a rotation leaves (shown once, not blocking), and a new recovery key
shown once with a print button."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QDialog, QDialogButtonBox, QLabel, QMessageBox, QProgressDialog,
    QVBoxLayout, QWidget,
)

from shakyo_desk.i18n import tr
from shakyo_desk.ui.dialogs import fit_to_screen, show_message
from shakyo_desk.ui.setup_state import group_key
from shakyo_desk.ui.style import mono_font


class KeyProgress(QObject):
    """A progress dialog for a key rotation (it cannot be cancelled halfway). ``report`` is
    handed to the worker; its calls arrive on the GUI thread as a queued signal."""

    moved = Signal(int, int, str)

    def __init__(self, parent: QWidget, title: str, text: str):
        super().__init__(parent)
        dialog = QProgressDialog(text, "", 0, 100, parent)
        dialog.setWindowTitle(title)
        dialog.setCancelButton(None)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumWidth(440)
        dialog.setValue(0)
        dialog.show()
        self.dialog: QProgressDialog | None = dialog
        self.moved.connect(self._moved)

    def report(self, done: int, total: int, text: str) -> None:
        try:
            if shiboken6.isValid(self):
                self.moved.emit(done, total, text)
        except RuntimeError:  # the screen went away; the work goes on
            pass

    def _moved(self, done: int, total: int, text: str) -> None:
        if self.dialog is None:
            return
        self.dialog.setMaximum(max(1, total))
        self.dialog.setValue(min(done, max(1, total)))
        if text:
            self.dialog.setLabelText(tr(text))

    def finish(self) -> None:
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None
        self.deleteLater()


def show_notices(parent: QWidget | None, notices, title: str = "") -> QMessageBox | None:
    """The sentences an unlock or a key rotation left, in one box that does not block."""
    notices = [n for n in notices or () if n]
    if not notices:
        return None
    return show_message(parent, title or tr("社協デスクからのお知らせ"), "\n\n".join(tr(n) for n in notices))


class RecoveryKeyDialog(QDialog):
    """A new recovery key, shown once: print it or copy it by hand, then confirm."""

    def __init__(self, key: str, council_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.key = key
        self.council_name = council_name
        self.setWindowTitle(tr("新しい復旧キー"))
        intro = QLabel(tr("この端末の新しい復旧キーです。前の復旧キーは使えなくなりました。"
                          "\nこの画面は一度しか表示されません。"))
        intro.setWordWrap(True)
        self.key_label = QLabel("  ".join(group_key(key)))
        self.key_label.setFont(mono_font(16))
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        from shakyo_desk.reports.recovery_sheet import KEY_ALPHABET
        from shakyo_desk.ui.recovery_print import RecoverySheetButtons, make_sheet

        keep = QLabel(tr(KEY_ALPHABET) + "\n" + tr(
            "復旧シートを印刷して（プリンターがなければPDFとして保存して印刷し、ファイルは削除して）、"
            "金庫などパソコンとは別の鍵のかかる場所に保管してください。このキーがあれば誰でもデータを開けます。"
            "写真に撮ったり、パソコンやスマートフォンに残したりしないでください。"))
        keep.setWordWrap(True)
        self.sheet_buttons = RecoverySheetButtons(lambda: make_sheet(self.council_name, self.key), self)
        self.print_button, self.save_button = self.sheet_buttons.print_button, self.sheet_buttons.save_button
        self.confirm = QCheckBox(tr("復旧シートを印刷して（または書き写して）、安全な場所に保管しました"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("閉じる"))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        self.confirm.toggled.connect(self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled)
        self.buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.key_label)
        layout.addWidget(keep)
        layout.addWidget(self.sheet_buttons)
        layout.addWidget(self.confirm)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        fit_to_screen(self, self.sizeHint().expandedTo(QSize(520, 0)))

    def reject(self) -> None:  # Esc does not close it before the key is kept
        if self.confirm.isChecked():
            super().reject()
