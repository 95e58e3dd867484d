"""担い手の目標 (issue 19): the council's target number of supporters for a 年度, per district or
for the whole council. The same section sits on the 設定 page (admins) and, in a small dialog,
on the 地域 page's 担い手 tab, where coordinators set it too (`supporters.set_target` allows
both)."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSpinBox,
    QVBoxLayout, QWidget,
)

from shakyo_desk.domain import clock
from shakyo_desk.domain.wareki import fiscal_year, format_fiscal_year
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.districts import list_districts
from shakyo_desk.store.services.supporters import counts, set_target
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel, fit_to_screen
from shakyo_desk.ui.events import COMMUNITY
from shakyo_desk.ui.widgets import fill_district_combo


class TargetsSection(QGroupBox):
    """The year, a district (or the whole council) and its target; the targets set so far."""

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


class TargetsDialog(QDialog):
    """The targets section on its own, opened from the 担い手 tab."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(tr("担い手の目標"))
        self.section = TargetsSection(ctx, self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(tr("閉じる"))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.section)
        layout.addWidget(buttons)
        fit_to_screen(self, QSize(640, 190), settings=ctx.ui_settings, key="supporter_targets")
        self.section.refresh()
