"""訪問記録 page: contacts newest first, with filters; opens the household timeline."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.vocab import CONTACT_METHODS
from shakyo_desk.domain.wareki import fiscal_year, fiscal_year_bounds, format_wareki_short
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.accounts import list_accounts
from shakyo_desk.store.services.concerns import list_concerns
from shakyo_desk.store.services.contacts import ContactInfo, list_contacts
from shakyo_desk.store.services.districts import list_districts
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.date_field import DateField
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.events import ACCOUNT, CONTACT, HOUSEHOLD, REGISTER, keep_fresh, on
from shakyo_desk.ui.widgets import Column, fill_district_combo, make_table, on_enter, table_or_empty, text_item
from shakyo_desk.ui.worker import LatestOnly
from shakyo_desk.domain import clock

LIST_LIMIT = 500
COLUMNS = ("日付", "方法", "世帯・拠点", "地区", "担当", "困りごと", "次回予定", "見たこと・聞いたこと")
# The note takes what is left; the staff, the district, then the method and next date give way first.
FIT = (Column("R8.12.31 10:30", 135), Column("訪問（会えず）", 115, drop=2), Column("佐々木 花子", 150),
       Column("北山地区", 90, drop=3), Column("佐々木 花子", 100, drop=4), Column("生活費・借金", 160, drop=1),
       Column("R8.12.31", 100, drop=2), Column("元気そうだった。畑の話をした。", 300, stretch=True))
FAILED_COLOUR = "#8a4b00"
PERIODS = ("すべての期間", "過去30日", "今月", "先月", "今年度", "期間を指定")


def period_range(name: str, today: date, fiscal_start: int = 4) -> tuple[date | None, date | None]:
    if name == "過去30日":
        return today - timedelta(days=30), today
    if name == "今月":
        return today.replace(day=1), today
    if name == "先月":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if name == "今年度":
        start, _ = fiscal_year_bounds(fiscal_year(today, fiscal_start), fiscal_start)
        return start, today
    return None, None


class ContactsPage(QWidget):
    # A contact saved (anywhere) reloads the list; new districts, staff or concerns reload the filters too.
    rows_on = frozenset({CONTACT, HOUSEHOLD})
    refresh_on = on(REGISTER, ACCOUNT)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.rows: list[ContactInfo] = []
        self._latest = LatestOnly()
        self._choices_loaded = False
        self.timeline = None
        self.contact_entry = None
        self.select_id: str | None = None  # a visit just saved: selected once the list has it
        ctx.events.saved.connect(self._record_saved)

        title = QLabel(tr("訪問記録"))
        title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.count_label = QLabel()
        self.new_button = QPushButton(tr("新しい訪問記録（Ctrl+N）"))
        self.detail_button = QPushButton(tr("記録を見る"))
        self.timeline_button = QPushButton(tr("世帯の経過を見る"))

        self.district = QComboBox()
        self.district.setMinimumWidth(130)
        self.staff = QComboBox()
        self.staff.setMinimumWidth(110)
        self.method = QComboBox()
        self.method.addItem(tr("すべての方法"), None)
        for m in CONTACT_METHODS:
            self.method.addItem(tr(m), m)
        self.concern = QComboBox()
        self.concern.setMinimumWidth(130)
        self.period = QComboBox()
        self.period.addItems([tr(p) for p in PERIODS])
        self.date_from = DateField(optional=True, placeholder=tr("はじめ"))
        self.date_to = DateField(optional=True, placeholder=tr("おわり"))
        for widget, name in ((self.district, tr("地区")), (self.staff, tr("担当")), (self.method, tr("方法")),
                             (self.concern, tr("困りごと")), (self.period, tr("期間")),
                             (self.date_from, tr("期間のはじめ")), (self.date_to, tr("期間のおわり"))):
            widget.setAccessibleName(name)  # the filters have no labels of their own
        for line in (self.date_from, self.date_to):
            line.wareki.setMinimumWidth(0)
            line.wareki.setVisible(False)
            line.edit.setMaximumWidth(110)
        self.errors = ErrorLabel()

        self.table = make_table(COLUMNS, fit=FIT)
        self.stack, self.empty = table_or_empty(self.table)

        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(12)
        top.addWidget(self.count_label)
        top.addStretch(1)
        top.addWidget(self.new_button)
        filters = QHBoxLayout()
        for label, widget in ((tr("地区"), self.district), (tr("担当"), self.staff), (tr("方法"), self.method),
                              (tr("困りごと"), self.concern)):
            filters.addWidget(QLabel(label))
            filters.addWidget(widget)
            filters.addSpacing(6)
        filters.addStretch(1)
        period_row = QHBoxLayout()
        period_row.addWidget(QLabel(tr("期間")))
        period_row.addWidget(self.period)
        period_row.addWidget(self.date_from)
        period_row.addWidget(QLabel(tr("〜")))
        period_row.addWidget(self.date_to)
        self.apply_button = QPushButton(tr("この期間で表示"))
        period_row.addWidget(self.apply_button)
        period_row.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.detail_button)
        bottom.addWidget(self.timeline_button)
        bottom.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addLayout(period_row)
        layout.addWidget(self.errors)
        layout.addWidget(self.stack, 1)
        layout.addLayout(bottom)

        for combo in (self.district, self.staff, self.method, self.concern):
            combo.currentIndexChanged.connect(self.run_query)
        self.period.currentIndexChanged.connect(self._period_chosen)
        self.apply_button.clicked.connect(self.apply_filters)
        for line in (self.date_from, self.date_to):
            line.edit.returnPressed.connect(self.apply_filters)
            line.edit.textEdited.connect(lambda _t: self._custom_period())
        self.new_button.clicked.connect(self.new_contact)
        self.detail_button.clicked.connect(lambda: self.open_detail(self.table.currentRow()))
        self.timeline_button.clicked.connect(lambda: self.open_timeline(self.table.currentRow()))
        self.table.doubleClicked.connect(lambda index: self.open_row(index.row()))
        self.table.itemSelectionChanged.connect(self._selection_changed)
        on_enter(self.table, lambda: self.open_row(self.table.currentRow()))
        self._selection_changed()
        keep_fresh(self, ctx.events, self.rows_on, self.run_query)
        keep_fresh(self, ctx.events, self.refresh_on)

    # ---- loading ------------------------------------------------------------------------

    def refresh(self) -> None:
        def work():
            return list_districts(self.ctx.store), list_accounts(self.ctx.store), list_concerns(self.ctx.store)

        self.ctx.executor.submit(work, on_done=self._choices, on_error=self.errors.show_error, owner=self)

    def _choices(self, result) -> None:
        districts, accounts, concerns = result
        for combo in (self.district, self.staff, self.concern):
            combo.blockSignals(True)
        fill_district_combo(self.district, districts, empty_label=tr("すべての地区"), selected=self.district.currentData())
        staff = self.staff.currentData()
        self.staff.clear()
        self.staff.addItem(tr("すべての担当"), None)
        for a in accounts:
            self.staff.addItem(a.display_name, a.id)
        self.staff.setCurrentIndex(max(0, self.staff.findData(staff)))
        concern = self.concern.currentData()
        self.concern.clear()
        self.concern.addItem(tr("すべての困りごと"), None)
        for c in concerns:
            self.concern.addItem(c.name, c.name)
        self.concern.setCurrentIndex(max(0, self.concern.findData(concern)))
        for combo in (self.district, self.staff, self.concern):
            combo.blockSignals(False)
        self.run_query()

    def _period_chosen(self) -> None:
        name = PERIODS[self.period.currentIndex()]
        if name == "期間を指定":
            self.date_from.edit.setFocus()
            return
        fiscal_start = self.ctx.council.fiscal_year_start_month if self.ctx.council else 4
        start, end = period_range(name, clock.today(), fiscal_start)
        self.date_from.set_date(start)
        self.date_to.set_date(end)
        self.run_query()

    def _custom_period(self) -> None:
        self.period.blockSignals(True)
        self.period.setCurrentIndex(PERIODS.index("期間を指定"))
        self.period.blockSignals(False)

    def apply_filters(self) -> None:
        self.run_query()

    def filters(self) -> dict:
        try:
            date_from, date_to = DateField.checked_period(self.date_from, self.date_to)
        except InvalidInput as error:
            raise ValueError(error.message) from None
        return {"district_id": self.district.currentData(), "staff_id": self.staff.currentData(),
                "method": self.method.currentData(), "concern": self.concern.currentData(),
                "date_from": date_from, "date_to": date_to}

    def is_filtered(self, f: dict) -> bool:
        return any(v for v in f.values())

    def run_query(self) -> None:
        try:
            f = self.filters()
        except ValueError as error:
            self.errors.show_error(str(error))
            return
        seq = self._latest.next()
        self.ctx.executor.submit(lambda: list_contacts(self.ctx.store, limit=LIST_LIMIT, **f),
                                 on_done=self._latest.wrap(seq, lambda rows: self._show(rows, f)),
                                 on_error=self._latest.wrap(seq, self.errors.show_error), owner=self)

    def _show(self, rows: list[ContactInfo], f: dict) -> None:
        self.errors.clear_error()
        self.rows = rows
        self.table.setRowCount(len(rows))
        for r, c in enumerate(rows):
            failed = c.failed
            method = c.method + (tr("（会えず）") if failed else "")
            who = c.household_name or (f"{c.place_name}" + tr("（拠点）") if c.place_name else "")
            first_line = c.seen_heard.strip().splitlines()[0] if c.seen_heard.strip() else ""
            values = [
                text_item(format_wareki_short(c.contact_date) + (f" {c.contact_time}" if c.contact_time else "")),
                text_item(method, FAILED_COLOUR if failed else None),
                text_item(who, bold=True),
                text_item(c.district),
                text_item(c.staff_name),
                text_item("・".join(c.concerns)),
                text_item(format_wareki_short(c.next_contact_date)),
                text_item(first_line),
            ]
            values[-1].setToolTip(c.seen_heard)
            for column, item in enumerate(values):
                self.table.setItem(r, column, item)
        n = len(rows)
        self.count_label.setText(tr("{n}件以上（条件をしぼってください）", n=n) if n >= LIST_LIMIT else tr("{n}件", n=n))
        if n:
            self.stack.setCurrentWidget(self.table)
            ids = [c.id for c in rows]
            if self.select_id in ids:
                row, self.select_id = ids.index(self.select_id), None
                self.table.selectRow(row)
                self.table.scrollToItem(self.table.item(row, 0))
            elif self.table.currentRow() < 0:
                self.table.selectRow(0)
        elif self.is_filtered(f):
            self.empty.setText(tr("条件に合う訪問記録はありません。\n地区・担当・期間などの条件を変えてみてください。"))
            self.stack.setCurrentWidget(self.empty)
        else:
            self.empty.setText(tr("まだ訪問記録がありません。\n"
                                  "「新しい訪問記録」ボタン（または Ctrl+N）から、訪問や電話の記録を入力してください。"))
            self.stack.setCurrentWidget(self.empty)
        self._selection_changed()

    def _record_saved(self, kind: str, record_id: str) -> None:
        if kind == CONTACT:
            self.select_id = record_id

    def _selection_changed(self) -> None:
        row = self.table.currentRow()
        info = self.rows[row] if 0 <= row < len(self.rows) else None
        self.detail_button.setEnabled(info is not None)
        self.timeline_button.setEnabled(info is not None and bool(info.household_id))

    # ---- opening ------------------------------------------------------------------------

    def open_row(self, row: int) -> None:
        """A household's timeline; a community contact's own record."""
        if not 0 <= row < len(self.rows):
            return
        if self.rows[row].household_id:
            self.open_timeline(row)
        else:
            self.open_detail(row)

    def open_timeline(self, row: int) -> None:
        if not 0 <= row < len(self.rows) or not self.rows[row].household_id:
            return
        info = self.rows[row]
        self.timeline = self.ctx.navigator.open_timeline(info.household_id, info.household_name, self)

    def open_detail(self, row: int) -> None:
        if 0 <= row < len(self.rows):
            self.ctx.navigator.open_contact(self.rows[row].id, self)

    def new_contact(self) -> None:
        self.ctx.navigator.new_contact(self)  # saving announces "contact": the list reloads
