"""設定 page (admin): council name, municipality, fiscal year, idle lock, retention, and
backups (how often admins are reminded, when the last one was made, 「バックアップを作成…」),
and the 担い手 targets per 年度 (issue 19)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from shakyo_desk.domain import clock
from shakyo_desk.domain.wareki import fiscal_year, format_fiscal_year
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.districts import list_districts
from shakyo_desk.store.services.supporters import counts, set_target
from shakyo_desk.store.services.council import CouncilSettings, get_settings, update_settings
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.events import COMMUNITY, SETTINGS, keep_fresh, on
from shakyo_desk.ui.widgets import fill_district_combo


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


class TargetsSection(QGroupBox):
    """担い手の目標 (issue 19): the council's target number of supporters for a 年度, per district
    or for the whole council, set through ``supporters.set_target``."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(tr("担い手の目標"), parent)
        self.ctx = ctx
        self.year = QSpinBox()
        self.year.setRange(2000, 2100)
        self.year.setValue(fiscal_year(clock.today(), self._start_month()))
        self.year.setAccessibleName(tr("年度（西暦）"))
        self.year_text = QLabel()
        self.district = QComboBox()
        self.district.setAccessibleName(tr("目標の地区"))
        fill_district_combo(self.district, [], empty_label=tr("（社協全体）"))
        self.target = QSpinBox()
        self.target.setRange(0, 99999)
        self.target.setSuffix(tr(" 人"))
        self.target.setAccessibleName(tr("目標の人数"))
        self.save_button = QPushButton(tr("目標を保存(&T)"))
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        self.current = QLabel()
        self.current.setWordWrap(True)
        self.errors = ErrorLabel()
        self.notice = QLabel()
        self.notice.setStyleSheet("color: #1b7a1b;")
        year_row = QHBoxLayout()
        year_row.addWidget(self.year)
        year_row.addWidget(self.year_text)
        year_row.addStretch(1)
        target_row = QHBoxLayout()
        target_row.addWidget(self.district)
        target_row.addWidget(self.target)
        target_row.addWidget(self.save_button)
        target_row.addWidget(self.notice, 1)
        form = QFormLayout(self)
        form.addRow(tr("年度"), year_row)
        form.addRow(tr("地区と目標"), target_row)
        form.addRow(tr("いまの目標"), self.current)
        form.addRow(self.errors)
        self.year.setMaximumWidth(120)
        self.target.setMaximumWidth(140)
        self.year.valueChanged.connect(lambda _y: self.refresh())
        self.district.currentIndexChanged.connect(lambda _i: self._show_target())
        self.per_district = []

    def _start_month(self) -> int:
        return self.ctx.council.fiscal_year_start_month if self.ctx.council is not None else 4

    def refresh(self) -> None:
        store, year = self.ctx.store, self.year.value()
        self.ctx.executor.submit(lambda: (list_districts(store), counts(store, year)), on_done=self._loaded,
                                 on_error=self.errors.show_error, owner=self)

    def _loaded(self, result) -> None:
        districts, self.per_district = result
        fill_district_combo(self.district, districts, empty_label=tr("（社協全体）"), selected=self.district.currentData())
        self.year_text.setText(format_fiscal_year(self.year.value(), self._start_month()))
        set_ = [c for c in self.per_district if c.target is not None]
        self.current.setText("　".join(tr("{district} {n} / 目標 {target}", district=c.district, n=c.supporters,
                                          target=c.target) for c in set_) or tr("この年度の目標はまだありません。"))
        self._show_target()

    def _show_target(self) -> None:
        district_id = self.district.currentData()
        found = next((c for c in self.per_district if c.district_id == district_id), None)
        self.target.setValue(found.target if found is not None and found.target is not None else 0)

    def save(self) -> None:
        self.errors.clear_error()
        self.notice.setText("")
        store, year, target, district_id = self.ctx.store, self.year.value(), self.target.value(), self.district.currentData()

        def done(_result) -> None:
            self.notice.setText(tr("目標を保存しました。"))
            self.ctx.changed(COMMUNITY)
            self.refresh()

        self.ctx.executor.submit(lambda: set_target(store, year, target, district_id), on_done=done,
                                 on_error=self.errors.show_error, owner=self)
