"""Small shared helpers: confirmations, messages, inline error labels."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialog, QLabel, QMessageBox, QWidget

from shakyo_desk.domain.errors import UserError
from shakyo_desk.i18n import tr
from shakyo_desk.ui.style import ERROR_COLOUR
from shakyo_desk.ui.worker import is_fault

UNEXPECTED = ("予期しない問題が起きたため、この操作を終えられませんでした。エラーの記録を保存しました。"
              "操作をやり直しても解決しない場合は、管理者に相談してください。")


def error_text(error: BaseException) -> str:
    """The sentence to show for an error: a user error's own Japanese message; for a fault
    (which the executor has already handed to the crash handler: a report and its dialog) a
    short sentence that the action did not finish."""
    if isinstance(error, UserError):
        return error.message
    return tr(UNEXPECTED)


def confirm(parent: QWidget | None, title: str, text: str, *, yes: str | None = None) -> bool:
    """Ask a yes/no question; the safe answer (いいえ) is the default."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    yes_button = box.addButton(yes or tr("はい"), QMessageBox.ButtonRole.AcceptRole)
    no_button = box.addButton(tr("いいえ"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(no_button)
    box.exec()
    return box.clickedButton() is yes_button


def show_message(parent: QWidget | None, title: str, text: str, *, warning: bool = False,
                 detail: str = "") -> QMessageBox:
    """A message box that does not block the event loop (results arriving from the worker, an
    unlock's notices): window-modal, its text selectable, deleted once closed."""
    icon = QMessageBox.Icon.Warning if warning else QMessageBox.Icon.Information
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.button(QMessageBox.StandardButton.Ok).setText(tr("閉じる"))
    if detail:
        box.setInformativeText(detail)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.open()
    return box


def inform(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.information(parent, title, text)


def inform_error(parent: QWidget | None, title: str, error: BaseException) -> None:
    """A worker's refusal in a message box. A fault opens nothing more: the crash dialog is
    already saying it (``worker.report_fault``), and two dialogs for one error confuse."""
    if not is_fault(error):
        inform(parent, title, error_text(error))


def grow_to_fit(widget: QWidget) -> None:
    """Make the dialog holding ``widget`` taller when its wrapped sentences need more lines than
    it has room for (an error that appears, large text); Qt does not do this by itself."""
    window = widget.window()
    if not isinstance(window, QDialog) or not window.isVisible():
        return
    layout = window.layout()
    if layout is None:
        return
    need = layout.totalHeightForWidth(window.width()) if layout.hasHeightForWidth() else \
        layout.totalMinimumSize().height()
    if need > window.height():
        window.resize(window.width(), need)


class ErrorLabel(QLabel):
    """A red sentence shown inline; hidden while empty."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setStyleSheet(f"color: {ERROR_COLOUR}; font-weight: bold;")
        self.setVisible(False)

    def show_error(self, error: BaseException | str) -> None:
        text = error if isinstance(error, str) else error_text(error)
        self.setText(text)
        self.setVisible(bool(text))
        if text:
            QTimer.singleShot(0, self, lambda: grow_to_fit(self))

    def clear_error(self) -> None:
        self.setText("")
        self.setVisible(False)
