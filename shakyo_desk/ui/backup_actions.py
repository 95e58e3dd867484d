"""「バックアップを作成…」 and the backup reminder (issue 6).

``BackupRunner`` asks where to save (a sensible default name: 社協名_バックアップ_令和8年12月5日),
runs ``store.backup.create_backup`` in the worker behind a progress dialog and says how it went
in a message box opened without blocking. ``BackupBanner`` is the reminder admins see in the
main window when this installation's last backup is older than the council's setting (or
there is none yet), with a button that starts a backup.

The file question goes through ``ask_backup_file``, which tests replace."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QMessageBox, QProgressDialog, QPushButton, QWidget

from shakyo_desk.domain.roles import manages_settings
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.i18n import tr
from shakyo_desk.store import backup
from shakyo_desk.store.backup import BackupResult, BackupStatus
from shakyo_desk.ui import dialogs
from shakyo_desk.ui.appearance import follow_text_size
from shakyo_desk.ui.context import AppContext
from shakyo_desk.domain import clock


FOLDER_KEY = "backup/last_folder"


def ask_backup_file(parent: QWidget, suggested: str) -> str:
    path, _ = QFileDialog.getSaveFileName(parent, tr("バックアップの保存先"), suggested,
                                          tr("社協デスクのバックアップ (*.shakyo-backup)"))
    return path


def default_folder() -> str:
    return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())


def local_text(moment: datetime | None) -> str:
    """A stored naive-UTC time as 令和8年12月5日 14:30 (local time)."""
    if moment is None:
        return ""
    local = moment.replace(tzinfo=UTC).astimezone()
    return f"{format_wareki(local.date())} {local:%H:%M}"


def reminder_text(status: BackupStatus, now: datetime | None = None) -> str:
    if status.last_backup_at is None:
        return tr("このパソコンのデータは、まだ一度もバックアップされていません。"
                  "パソコンの故障に備えて、バックアップを作成してください。")
    now = now or clock.utcnow()
    days = max(0, (now - status.last_backup_at).days)
    return tr("最後のバックアップから{days}日たっています（{when}）。設定では{limit}日ごとに作成することになっています。",
              days=days, when=local_text(status.last_backup_at), limit=status.reminder_days)


def result_text(result: BackupResult) -> str:
    text = tr("バックアップを作成し、読み直して確かめました。\n\nファイル：{path}\n大きさ：{size:.1f} MB\n\n"
              "復元には印刷した復旧キーが必要です。ファイルはUSBメモリなど、このパソコンとは別の場所にも保管してください。",
              path=str(result.path), size=result.size / 1_000_000)
    if result.drops_left_out:
        text += "\n\n" + tr(backup.LEFT_OUT, n=result.drops_left_out)
    return text


class BackupRunner(QObject):
    """One backup: file question, worker, progress dialog, result message."""

    progress = Signal(int, int, str)  # emitted from the worker; queued to the GUI thread
    finished = Signal(object)  # BackupResult
    failed = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget):
        super().__init__(parent)
        self.ctx = ctx
        self.parent_widget = parent
        self.busy: QProgressDialog | None = None
        self.message_box: QMessageBox | None = None
        self.running = False
        self.progress.connect(self._progress)

    def suggested_path(self) -> str:
        name = self.ctx.council.name if self.ctx.council else ""
        folder = str(self.ctx.ui_settings.q.value(FOLDER_KEY, "") or "") or default_folder()
        return str(Path(folder) / backup.default_file_name(name, clock.today()))

    def start(self) -> bool:
        """Ask for the file and start; False when the admin cancelled (or one is running)."""
        if self.running:
            return False
        chosen = ask_backup_file(self.parent_widget, self.suggested_path())
        if not chosen:
            return False
        target = Path(chosen)
        if not target.name.endswith(backup.EXTENSION) and not target.suffix:
            target = target.with_name(target.name + backup.EXTENSION)
        self.ctx.ui_settings.q.setValue(FOLDER_KEY, str(target.parent))  # a folder, never a record
        self.running = True
        self.busy = QProgressDialog(tr("バックアップを作成しています…"), "", 0, 100, self.parent_widget)
        self.busy.setWindowTitle(tr("バックアップ"))
        self.busy.setCancelButton(None)  # a half-written backup is never useful: no cancel
        self.busy.setMinimumDuration(0)
        self.busy.setAutoClose(False)
        self.busy.setAutoReset(False)
        self.busy.setWindowModality(Qt.WindowModality.WindowModal)
        self.busy.setMinimumWidth(440)
        self.busy.show()
        self.ctx.executor.submit(backup.create_backup, self.ctx.store, target, self.progress.emit,
                                 on_done=self._done, on_error=self._error, owner=self)
        return True

    def _progress(self, done: int, total: int, text: str) -> None:
        if self.busy is not None:
            self.busy.setMaximum(total)
            self.busy.setValue(done)
            self.busy.setLabelText(tr(text))

    def _close_busy(self) -> None:
        self.running = False
        if self.busy is not None:
            self.busy.close()
            self.busy.deleteLater()
            self.busy = None

    def _show(self, icon: QMessageBox.Icon, text: str) -> None:
        box = QMessageBox(icon, tr("バックアップ"), text, QMessageBox.StandardButton.Ok, self.parent_widget)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_box = box
        box.open()

    def _done(self, result: BackupResult) -> None:
        self._close_busy()
        self._show(QMessageBox.Icon.Information, result_text(result))
        self.finished.emit(result)

    def _error(self, error: BaseException) -> None:
        self._close_busy()
        text = dialogs.error_text(error)
        if not dialogs.is_fault(error):  # a fault: the crash dialog is already open
            self._show(QMessageBox.Icon.Warning, text)
        self.failed.emit(text)


class BackupBanner(QWidget):
    """The reminder strip: shown to admins while a backup is due."""

    backup_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setStyleSheet("color: #6b4a00; font-weight: bold;")
        self.button = QPushButton(tr("今すぐバックアップを作成…"))
        self.button.setAutoDefault(False)
        self.button.clicked.connect(self.backup_requested.emit)
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 2, 12, 2)  # compact: on a laptop the left menu needs the room
        row.addWidget(self.text, 1)
        row.addWidget(self.button)
        self.setObjectName("backupBanner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#backupBanner { background: #fff8e1; border-bottom: 1px solid #e0b040; }")
        follow_text_size(self.text, self.button)  # grows with the text size despite the style sheet
        self.setVisible(False)

    def show_status(self, status: BackupStatus) -> None:
        self.status = status
        self.text.setText(reminder_text(status) if status.due else "")
        self.setVisible(status.due)


def watch_backups(ctx: AppContext, banner: BackupBanner) -> None:
    """Ask the worker whether a backup is due and show the banner (admins only)."""
    if not manages_settings(ctx.role):
        banner.setVisible(False)
        return
    ctx.executor.submit(backup.backup_status, ctx.store, on_done=banner.show_status,
                        on_error=lambda _e: banner.setVisible(False), owner=banner)
