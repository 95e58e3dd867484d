"""Unexpected errors in the desktop app: a Japanese dialog and a local crash report.

``install_crash_handler(app)`` sets ``sys.excepthook`` (which also receives exceptions raised
in Qt slots and event handlers: PySide6 hands them to it) and ``threading.excepthook``. For each
error a report without personal data is written by ``shakyo_desk.crash_report`` into the
per-user log folder, and a dialog says what happened, that the records are safe, and where the
report is, with a button to copy it. The app keeps running: a failed action changed nothing,
because every change to the records is one transaction in the store.

While the dialog is open, further errors do not open more dialogs: they are counted in the
open one, and only the first few different ones are written as reports."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Qt, QThread, QUrl, Signal, qVersion
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QApplication, QDialog, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QStyle, QVBoxLayout, QWidget,
)

from shakyo_desk import crash_report
from shakyo_desk.i18n import tr
from shakyo_desk.ui.dialogs import fit_to_screen

MESSAGE = ("予期しないエラーが起きました。入力中の内容は保存されていない可能性があります。"
           "記録はそのまま安全に保存されています。\n\n"
           "このまま作業を続けられます。同じ操作でまた起きるときは、「記録をコピー」を押して、"
           "管理者またはサポート担当に伝えてください。この記録には、利用者の氏名や記録の内容は含まれていません。"
           "どこにも送信されていません。")
MAX_REPORTS_WHILE_OPEN = 5


def qt_versions() -> dict[str, str]:
    import PySide6

    return {"qt": qVersion(), "pyside6": PySide6.__version__}


class CrashDialog(QDialog):
    """What happened, where the report is, and a way to copy it."""

    def __init__(self, report_path: Path | None, report_text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.report_text = report_text
        self.report_path = report_path
        self.more = 0
        self.after_close: list[Callable[[], None]] = []  # see after_crash_dialog
        self.finished.connect(self._run_after_close)
        self.setWindowTitle(tr("社協デスク - 予期しないエラー"))
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(48, 48))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.message = QLabel(tr(MESSAGE))
        self.message.setWordWrap(True)
        self.where = QLabel()
        self.where.setWordWrap(True)
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                           | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.more_label = QLabel()
        self.more_label.setWordWrap(True)
        self.more_label.setVisible(False)
        self.details = QPlainTextEdit(report_text)
        self.details.setReadOnly(True)
        self.details.setAccessibleName(tr("エラーの記録の内容"))
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setMinimumHeight(120)
        self.copy_button = QPushButton(tr("記録をコピー"))
        self.copy_button.setToolTip(tr("エラーの記録をクリップボードにコピーします（メールなどに貼り付けられます）"))
        self.copy_button.clicked.connect(self.copy_report)
        self.folder_button = QPushButton(tr("記録のフォルダを開く"))
        self.folder_button.clicked.connect(self.open_folder)
        self.close_button = QPushButton(tr("閉じて続ける"))
        self.close_button.setDefault(True)
        self.close_button.clicked.connect(self.accept)
        self.copied = QLabel()
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.folder_button)
        buttons.addWidget(self.copied, 1)
        buttons.addWidget(self.close_button)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addWidget(self.message, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.where)
        layout.addWidget(self.more_label)
        layout.addWidget(self.details, 1)
        layout.addLayout(buttons)
        self.show_path(report_path)
        fit_to_screen(self, QSize(640, 440))

    def _run_after_close(self, _result: int) -> None:
        waiting, self.after_close = self.after_close, []
        for then in waiting:
            then()

    def show_path(self, path: Path | None) -> None:
        self.report_path = path
        if path is not None:
            self.where.setText(tr("詳しい記録：{path}", path=str(path)))
        else:
            self.where.setText(tr("記録をファイルに書けませんでした。「記録をコピー」で内容を控えてください。"))
        self.folder_button.setEnabled(path is not None)

    def add_another(self, path: Path | None, text: str) -> None:
        """One more error while this dialog is open: counted here instead of a new dialog."""
        self.more += 1
        self.more_label.setText(tr("このあと、さらに{n}件のエラーが起きました。コピーされるのは、最後に起きたエラーの記録です。",
                                   n=self.more))
        self.more_label.setVisible(True)
        if path is not None or self.report_path is None:
            self.show_path(path)
        self.report_text = text
        self.details.setPlainText(text)

    def copy_report(self) -> None:
        text = self.report_text
        if self.report_path is not None:
            text = tr("詳しい記録：{path}", path=str(self.report_path)) + "\n\n" + text
        QGuiApplication.clipboard().setText(text)
        self.copied.setText(tr("コピーしました"))

    def open_folder(self) -> None:
        if self.report_path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.report_path.parent)))


class CrashHandler(QObject):
    """Installed by ``install_crash_handler``; ``dialog`` is the open dialog, if any."""

    _from_thread = Signal(object, str)

    def __init__(self, folder: Path | None = None, *, keep: int = crash_report.KEEP,
                 dialog_factory: Callable[[Path | None, str], QDialog] = CrashDialog):
        super().__init__()
        self.folder = folder
        self.keep = keep
        self.dialog_factory = dialog_factory
        self.dialog: QDialog | None = None
        self.reports: list[Path] = []
        self._written_while_open: set[tuple] = set()
        self._previous_hook = None
        self._previous_thread_hook = None
        self._from_thread.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def install(self) -> CrashHandler:
        self._previous_hook = sys.excepthook
        self._previous_thread_hook = threading.excepthook
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook
        return self

    def uninstall(self) -> None:
        if sys.excepthook == self.excepthook and self._previous_hook is not None:
            sys.excepthook = self._previous_hook
        if threading.excepthook == self.thread_excepthook and self._previous_thread_hook is not None:
            threading.excepthook = self._previous_thread_hook

    # ---- hooks (any thread) ---------------------------------------------------------------

    def excepthook(self, exc_type, error, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt | SystemExit):
            (self._previous_hook or sys.__excepthook__)(exc_type, error, tb)
            return
        if error is None:
            error = exc_type()
        if tb is not None and error.__traceback__ is None:
            error = error.with_traceback(tb)
        self.handle(error, threading.current_thread().name)

    def thread_excepthook(self, args) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        error = args.exc_value
        if args.exc_traceback is not None and error.__traceback__ is None:
            error = error.with_traceback(args.exc_traceback)
        self.handle(error, args.thread.name if args.thread is not None else "?")

    def handle(self, error: BaseException, thread_name: str) -> None:
        try:
            text = crash_report.format_report(error, thread_name=thread_name, versions=qt_versions())
            path = self._save(error, text)
            self._say_on_stderr(error, path)
            app = QApplication.instance()
            if app is not None and QThread.currentThread() is app.thread():
                self._show(path, text)
            elif app is not None:
                self._from_thread.emit(path, text)
        except Exception:  # noqa: BLE001 - the handler itself must never take the app down
            sys.__excepthook__(type(error), error, error.__traceback__)

    def _save(self, error: BaseException, text: str) -> Path | None:
        sig = crash_report.signature(error)
        if not self._dialog_open():
            self._written_while_open = set()  # a new burst
        if sig in self._written_while_open or len(self._written_while_open) >= MAX_REPORTS_WHILE_OPEN:
            return None  # the same fault again while the dialog is open (e.g. in a repeating timer)
        self._written_while_open.add(sig)
        try:
            path = crash_report.save_report(text, folder=self.folder, keep=self.keep)
        except OSError:
            return None
        self.reports.append(path)
        return path

    @staticmethod
    def _say_on_stderr(error: BaseException, path: Path | None) -> None:
        stream = sys.stderr
        if stream is None:  # the windowed executable has no console
            return
        try:
            where = f" 詳しい記録：{path}" if path else ""
            stream.write(f"予期しないエラーが起きました（{type(error).__name__}）。{where}\n")
            stream.flush()
        except (OSError, ValueError):
            pass

    # ---- the dialog (GUI thread) ----------------------------------------------------------

    def _dialog_open(self) -> bool:
        try:
            return self.dialog is not None and self.dialog.isVisible()
        except RuntimeError:  # deleted on the Qt side
            self.dialog = None
            return False

    def _show(self, path: Path | None, text: str) -> None:
        if self._dialog_open():
            add_another = getattr(self.dialog, "add_another", None)
            if add_another is not None:
                add_another(path, text)
            return
        dialog = self.dialog_factory(path, text)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._closed)
        self.dialog = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def _closed(self, _result: int) -> None:
        self.dialog = None
        self._written_while_open = set()


def after_crash_dialog(then: Callable[[], None]) -> None:
    """Run ``then`` once no crash dialog is open: now, or when the open one is closed. A screen
    that has to end the app after a fault lets the person read the dialog first."""
    app = QApplication.instance()
    open_dialogs = [w for w in app.topLevelWidgets() if isinstance(w, CrashDialog) and w.isVisible()] if app else []
    if not open_dialogs:
        then()
        return
    # run by the dialog's own slot: a lambda connected to ``finished`` here was seen not to
    # fire (PySide6 6.12, after other tests' dialogs), a bound method always does
    open_dialogs[0].after_close.append(then)


def install_crash_handler(folder: Path | None = None) -> CrashHandler:
    """Show a dialog and write a local report for every unexpected error from now on; a hard
    crash that Python cannot catch still leaves its stack in a report (``faulthandler``)."""
    crash_report.record_fatal_errors(folder)
    return CrashHandler(folder).install()
