"""支援ケース page (issue 18): the cases this account may see, filtered by status, 担当 and the
household's name, with the next review (overdue in red). Enter or a double click opens the case
(ui/case_detail.py); coordinators and the admin open new ones (ケースを開く, Alt+N)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from shakyo_desk.domain import clock
from shakyo_desk.domain.roles import sees_all_households
from shakyo_desk.domain.vocab import CASE_CLOSED, CASE_STATUSES
from shakyo_desk.domain.wareki import format_wareki_short
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.agencies import list_agencies
from shakyo_desk.store.services.case_views import CaseSummary, assignable_staff, list_cases
from shakyo_desk.ui.case_detail import STATUS_COLOURS, CaseDetailDialog
from shakyo_desk.ui.case_dialogs import OpenCaseDialog, review_text
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.events import CASE, HOUSEHOLD, REGISTER, SHEET, keep_fresh, on
from shakyo_desk.ui.style import ERROR_COLOUR
from shakyo_desk.ui.widgets import Column, make_table, on_enter, selected_id, table_or_empty, text_item

COLUMNS = ("次の見直し", "状況", "世帯", "担当", "主担当機関", "受付日")
FIT = (Column("R8.12.31（12日過ぎ）", 150), Column("モニタリング", 100), Column("佐々木 花子 さんの世帯", 210),
       Column("佐々木 花子", 110), Column("みどり村地域包括支援センター", 240, stretch=True, drop=1),
       Column("R8.12.31", 90, drop=2))
OPEN = "__open__"
MINE = "__mine__"


def review_due_count(store) -> int:
    """The navigation badge: open cases whose review is today or past."""
    return len(list_cases(store, review_due=True))


class CasesPage(QWidget):
    refresh_on = on(CASE, HOUSEHOLD, SHEET, REGISTER)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, today: date | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._today = today
        self.coordinator = sees_all_households(ctx.role)
        self.all_rows: list[CaseSummary] = []
        self.rows: list[CaseSummary] = []
        self.staff = []
        self.agencies = []
        self.detail: CaseDetailDialog | None = None
        self.open_dialog: OpenCaseDialog | None = None
        self.issues_dialog = None

        title = QLabel(tr("支援ケース"))
        title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.count_label = QLabel()
        self.new_button = QPushButton(tr("ケースを開く(&N)…"))
        self.new_button.setStyleSheet("QPushButton { font-size: 12pt; padding: 6px 18px; font-weight: bold; }")
        self.new_button.setToolTip(tr("新しい支援ケースを開きます（Alt+N）"))
        self.new_button.clicked.connect(lambda: self.new_case())
        self.new_button.setVisible(self.coordinator)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(12)
        top.addWidget(self.count_label)
        top.addStretch(1)
        self.issues_button = QPushButton(tr("地域課題の一覧(&I)…"))
        self.issues_button.clicked.connect(lambda: self.show_issues())
        top.addWidget(self.issues_button)
        top.addWidget(self.new_button)
        intro = QLabel(tr("受付からアセスメント、プラン、モニタリングを経て終結するまでの、世帯ごとの支援の記録です。"
                          "行を選んで Enter かダブルクリックで開きます。見直し日を過ぎたものは赤で示します。"))
        intro.setWordWrap(True)

        self.status = QComboBox()
        self.status.addItem(tr("終結していないもの"), OPEN)
        self.status.addItem(tr("すべて"), None)
        for st in CASE_STATUSES:
            self.status.addItem(st, st)
        self.status.setAccessibleName(tr("状況"))
        self.assignee = QComboBox()
        self.assignee.setAccessibleName(tr("担当"))
        self.assignee.setMinimumWidth(140)
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("世帯主の名前で探す"))
        self.search.setAccessibleName(tr("世帯主の名前で探す"))
        self.search.setClearButtonEnabled(True)
        self.open_button = QPushButton(tr("開く(&O)"))
        self.open_button.clicked.connect(self.open_selected)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(tr("状況")))
        bar.addWidget(self.status)
        bar.addSpacing(8)
        bar.addWidget(QLabel(tr("担当")))
        bar.addWidget(self.assignee)
        bar.addSpacing(8)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.open_button)

        self.errors = ErrorLabel()
        self.table = make_table(COLUMNS, fit=FIT)
        self.table.setAccessibleName(tr("支援ケースの一覧"))
        self.stack, self.empty = table_or_empty(self.table)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(intro)
        layout.addLayout(bar)
        layout.addWidget(self.errors)
        layout.addWidget(self.stack, 1)

        self.status.currentIndexChanged.connect(self.load)
        self.assignee.currentIndexChanged.connect(self._filter)
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self.table.setFocus)
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        on_enter(self.table, self.open_selected)
        keep_fresh(self, ctx.events, self.refresh_on)

    def today(self) -> date:
        return self._today or clock.today()

    # ---- loading ----------------------------------------------------------------------

    def refresh(self) -> None:
        store = self.ctx.store
        self.ctx.executor.submit(lambda: (assignable_staff(store), list_agencies(store)), on_done=self._choices,
                                 on_error=self.errors.show_error, owner=self)
        self.load()

    def _choices(self, result) -> None:
        self.staff, self.agencies = result
        current = self.assignee.currentData()
        self.assignee.blockSignals(True)
        self.assignee.clear()
        self.assignee.addItem(tr("すべて"), None)
        self.assignee.addItem(tr("自分"), MINE)
        for s in self.staff:
            self.assignee.addItem(s.display_name, s.id)
        self.assignee.setCurrentIndex(max(self.assignee.findData(current), 0))
        self.assignee.blockSignals(False)
        self._filter()

    def load(self) -> None:
        wanted = self.status.currentData()
        status = "open" if wanted == OPEN else ("closed" if wanted == CASE_CLOSED else None)
        store, today = self.ctx.store, self.today()
        self.ctx.executor.submit(lambda: list_cases(store, status=status, today=today), on_done=self._loaded,
                                 on_error=self.errors.show_error, owner=self)

    def _loaded(self, rows: list[CaseSummary]) -> None:
        self.errors.clear_error()
        wanted = self.status.currentData()
        if wanted not in (None, OPEN, CASE_CLOSED):
            rows = [c for c in rows if c.status == wanted]
        # Overdue and due reviews first (earliest first), then the rest, newest opened first.
        far = date.max
        self.all_rows = sorted(rows, key=lambda c: (c.next_review_on or far, -c.opened_on.toordinal()))
        self._filter()

    def _filter(self) -> None:
        who = self.assignee.currentData()
        if who == MINE:
            who = self.ctx.store.actor.staff_id
        text = self.search.text().strip().replace("　", " ")
        rows = [c for c in self.all_rows if (not who or c.assignee_id == who)
                and (not text or text in c.household_name.replace("　", " ") or
                     text.replace(" ", "") in c.household_name.replace(" ", "").replace("　", ""))]
        self.rows = rows
        today = self.today()
        self.table.setRowCount(len(rows))
        overdue = 0
        for r, c in enumerate(rows):
            review, late = review_text(c.next_review_on, today)
            overdue += late
            values = [text_item(review or ("―" if c.status != CASE_CLOSED else ""), ERROR_COLOUR if late else None, bold=late),
                      text_item(c.status, STATUS_COLOURS.get(c.status), bold=True),
                      text_item(tr("{name} さんの世帯", name=c.household_name)),
                      text_item(c.assignee or tr("未定")), text_item(c.lead_agency),
                      text_item(format_wareki_short(c.opened_on))]
            for column, item in enumerate(values):
                self.table.setItem(r, column, item)
            self.table.item(r, 0).setData(Qt.ItemDataRole.UserRole, c.id)
        self.count_label.setText(tr("{n}件（うち見直し日を過ぎたもの {m}件）", n=len(rows), m=overdue) if rows else "")
        if rows:
            self.stack.setCurrentWidget(self.table)
            if self.table.currentRow() < 0:
                self.table.selectRow(0)
        else:
            filtered = bool(text or who) or self.status.currentData() not in (OPEN, None)
            self.empty.setText(tr("条件に合う支援ケースはありません。\n状況・担当・名前の条件を変えてください。") if filtered
                               else tr("支援ケースはまだありません。\n把握シートの「ケース検討にかける」か、"
                                       "このページの「ケースを開く」から始めます。"))
            self.stack.setCurrentWidget(self.empty)
        self.open_button.setEnabled(bool(rows))

    # ---- actions -----------------------------------------------------------------------

    def open_selected(self) -> None:
        case_id = selected_id(self.table)
        if case_id:
            self.open_case(case_id)

    def open_case(self, case_id: str) -> CaseDetailDialog:
        self.detail = CaseDetailDialog(self.ctx, case_id, self, today=self._today)
        self.detail.open()
        return self.detail

    def new_case(self, household_id: str | None = None, household_label: str = "") -> OpenCaseDialog | None:
        if not self.coordinator:
            return None
        dialog = OpenCaseDialog(self.ctx, self.staff, self.agencies, self, household_id=household_id,
                                household_label=household_label, today=self._today)
        dialog.saved.connect(self._opened)
        self.open_dialog = dialog
        dialog.open()
        return dialog

    def show_issues(self):
        from shakyo_desk.ui.case_issues import CommunityIssuesDialog

        self.issues_dialog = CommunityIssuesDialog(self.ctx, self, today=self._today)
        self.issues_dialog.open()
        return self.issues_dialog

    def _opened(self, case_id: str) -> None:
        self.ctx.changed(CASE)  # this list reloads
        self.open_case(case_id)
