"""設定 page (admin): council name, municipality, fiscal year, idle lock, retention, and
backups (how often admins are reminded, when the last one was made, 「バックアップを作成…」),
and the 担い手 targets per 年度 (issue 19; `ui/supporter_targets.py`, also on the 担い手 tab)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from shakyo_desk.i18n import tr
from shakyo_desk.store.services.council import CouncilSettings, get_settings, update_settings
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.events import SETTINGS, keep_fresh, on
from shakyo_desk.ui.supporter_targets import TargetsSection


def _load(store):
    from shakyo_desk.store.backup import backup_status

    return get_settings(store), backup_status(store)


class SettingsPage(QWidget):
    refresh_on = on(SETTINGS)  # the main window announces a save; an import may bring one
    changed = Signal(object)  # CouncilSettings after saving
    backup_requested = Signal()  # the main window runs the backup (ui/backup_actions.py)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        keep_fresh(self, ctx.events, self.refresh_on)
        title = QLabel(tr("設定"))
        title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.name = QLineEdit()
        self.municipality = QLineEdit()
        self.fiscal_month = QSpinBox()
        self.fiscal_month.setRange(1, 12)
        self.fiscal_month.setSuffix(tr("月"))
        self.idle_minutes = QSpinBox()
        self.idle_minutes.setRange(1, 240)
        self.idle_minutes.setSuffix(tr(" 分"))
        self.retention = QSpinBox()
        self.retention.setRange(1, 100)
        self.retention.setSuffix(tr(" 年"))
        self.backup_days = QSpinBox()
        self.backup_days.setRange(1, 365)
        self.backup_days.setSuffix(tr(" 日"))
        self.last_backup = QLabel()
        self.backup_button = QPushButton(tr("バックアップを作成…"))
        self.backup_button.setAutoDefault(False)
        self.backup_button.clicked.connect(self.backup_requested.emit)
        self.save_button = QPushButton(tr("保存"))
        self.save_button.clicked.connect(self.save)
        self.errors = ErrorLabel()
        self.notice = QLabel()
        self.notice.setStyleSheet("color: #1b7a1b;")
        form = QFormLayout()
        form.addRow(tr("社協の名前"), self.name)
        form.addRow(tr("市町村名"), self.municipality)
        form.addRow(tr("年度の開始月"), self.fiscal_month)
        form.addRow(tr("操作がないときに自動でロックするまで"), self.idle_minutes)
        form.addRow(tr("記録の保存年数"), self.retention)
        form.addRow(tr("バックアップを促すまでの日数"), self.backup_days)
        backup_row = QHBoxLayout()
        backup_row.addWidget(self.last_backup)
        backup_row.addSpacing(12)
        backup_row.addWidget(self.backup_button)
        backup_row.addStretch(1)
        form.addRow(tr("最後のバックアップ"), backup_row)
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addWidget(self.notice, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addLayout(row)
        self.targets = TargetsSection(ctx)
        layout.addWidget(self.targets)
        layout.addStretch(1)
        self.name.setMaximumWidth(480)
        for spin in (self.fiscal_month, self.idle_minutes, self.retention, self.backup_days):
            spin.setMaximumWidth(160)
        self.municipality.setMaximumWidth(480)

    def refresh(self) -> None:
        self.targets.refresh()
        self.ctx.executor.submit(_load, self.ctx.store, on_done=self._loaded,
                                 on_error=self.errors.show_error, owner=self)

    def _loaded(self, loaded) -> None:
        from shakyo_desk.ui.backup_actions import local_text

        settings, status = loaded
        self._show(settings)
        self.last_backup.setText(
            tr("{when}（このパソコンで作成）", when=local_text(status.last_backup_at)) if status.last_backup_at
            else tr("まだありません"))

    def _show(self, s: CouncilSettings) -> None:
        self.name.setText(s.name)
        self.municipality.setText(s.municipality)
        self.fiscal_month.setValue(s.fiscal_year_start_month)
        self.idle_minutes.setValue(s.idle_lock_minutes)
        self.retention.setValue(s.retention_years)
        self.backup_days.setValue(s.backup_reminder_days)

    def values(self) -> dict:
        return {"name": self.name.text(), "municipality": self.municipality.text(),
                "fiscal_year_start_month": self.fiscal_month.value(), "idle_lock_minutes": self.idle_minutes.value(),
                "retention_years": self.retention.value(), "backup_reminder_days": self.backup_days.value()}

    def save(self) -> None:
        self.errors.clear_error()
        self.notice.setText("")
        self.ctx.executor.submit(lambda store, values: update_settings(store, **values), self.ctx.store,
                                 self.values(), on_done=self._saved, on_error=self.errors.show_error, owner=self)

    def _saved(self, s: CouncilSettings) -> None:
        self.ctx.council = s
        self._show(s)
        self.notice.setText(tr("設定を保存しました。"))
        self.changed.emit(s)
