"""見守り page (今週の訪問予定): households due or overdue for a contact, most
overdue first; enter a contact for one, or print the list for the road. Below, the case
reviews their latest conference set for this period (会議の見直し), and the 支援ケース whose
plan is due for review this week or overdue (Enter or a double click opens the case)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.errors import UserError
from shakyo_desk.domain.schedule import week_of
from shakyo_desk.domain.wareki import format_wareki, format_wareki_short
from shakyo_desk.i18n import tr
from shakyo_desk.reports.route_pdf import route_export_detail
from shakyo_desk.store.services.exports import log_export
from shakyo_desk.store.services.case_views import CaseSummary, case_reviews_due
from shakyo_desk.store.services.districts import list_districts
from shakyo_desk.store.services.watch import DueHousehold, ReviewDue, due_list, reviews_due
from shakyo_desk.ui import dialogs
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.events import CASE, CONFERENCE, CONTACT, HOUSEHOLD, REGISTER, keep_fresh, on
from shakyo_desk.ui.style import ERROR_COLOUR
from shakyo_desk.ui.widgets import Column, fill_district_combo, make_table, on_enter, table_or_empty, text_item
from shakyo_desk.ui.worker import LatestOnly
from shakyo_desk.domain import clock

COLUMNS = ("予定日", "遅れ", "世帯主", "地区", "住所", "電話", "前回の訪問", "確認すること")
# Who, when, the phone and what to check stay; the last visit, the district, then the address give way.
FIT = (Column("R8.12.31", 90), Column("25日過ぎ", 80), Column("佐々木 花子", 115), Column("北山地区", 70, drop=2),
       Column("小海町大字豊里1234番地", 220, drop=1), Column("090-0000-0000", 138),
       Column("R8.11.12（12月3日は不在）", 135, drop=3), Column("薬の飲み忘れがないか", 180, stretch=True))
RANGES = ("今週", "来週まで", "今日まで")
REVIEW_COLUMNS = ("見直し日", "遅れ", "世帯主", "地区", "会議", "主担当")
REVIEW_FIT = (Column("R8.12.31", 90), Column("25日過ぎ", 80), Column("佐々木 花子", 115), Column("北山地区", 70, drop=1),
              Column("支援会議（R8.9.29）", 230, drop=2), Column("地域包括支援センター", 160, stretch=True))
CASE_REVIEW_COLUMNS = ("見直し日", "遅れ", "世帯主", "状況", "担当", "主担当機関")
CASE_REVIEW_FIT = (Column("R8.12.31", 90), Column("25日過ぎ", 80), Column("佐々木 花子", 115),
                   Column("モニタリング", 100, drop=2), Column("佐々木 花子", 110, drop=1),
                   Column("地域包括支援センター", 160, stretch=True))
DUE_TODAY_COLOUR = "#b35c00"


def lateness(row: DueHousehold | ReviewDue, today: date) -> tuple[str, str | None]:
    """「12日過ぎ」 (red), 「今日」, 「あと3日」."""
    days = row.overdue_days(today)
    if days > 0:
        return tr("{n}日過ぎ", n=days), ERROR_COLOUR
    if days == 0:
        return tr("今日"), DUE_TODAY_COLOUR
    return tr("あと{n}日", n=-days), None


def default_pdf_path(day: date) -> str:
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())
    stamp = format_wareki_short(day).replace(".", "-")
    return str(Path(folder) / tr("訪問予定リスト_{stamp}.pdf", stamp=stamp))


def ask_pdf_path(parent: QWidget, suggested: str) -> str:
    path, _ = QFileDialog.getSaveFileName(parent, tr("訪問予定リストの保存先"), suggested, tr("PDFファイル (*.pdf)"))
    return path


def load_route_writer():
    """``write_route_pdf`` from reports, or ``None`` when this build does not have it yet."""
    try:
        from shakyo_desk.reports.route_pdf import write_route_pdf
    except ImportError:
        return None
    return write_route_pdf


class WatchPage(QWidget):
    # Due dates follow contacts, the households' intervals and the conferences' review dates.
    rows_on = frozenset({CONTACT, HOUSEHOLD, CONFERENCE, CASE})
    refresh_on = on(REGISTER)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, today: date | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._today = today
        self.rows: list[DueHousehold] = []
        self._latest = LatestOnly()
        self.contact_entry = None
        self.timeline = None

        title = QLabel(tr("見守り・今週の訪問予定"))
        title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.week_label = QLabel()
        self.week_label.setStyleSheet("color: #333;")
        self.week_label.setWordWrap(True)  # two lines rather than cut off at a large text size
        self.count_label = QLabel()
        self.range = QComboBox()
        self.range.addItems([tr(r) for r in RANGES])
        self.district = QComboBox()
        self.district.setMinimumWidth(160)
        self.range.setAccessibleName(tr("表示する範囲"))
        self.district.setAccessibleName(tr("地区"))
        self.entry_button = QPushButton(tr("訪問記録を入力"))
        self.timeline_button = QPushButton(tr("経過を見る"))
        self.pdf_button = QPushButton(tr("訪問予定リストをPDFに"))
        self.errors = ErrorLabel()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #2f6b3a;")
        self.status.setVisible(False)

        self.table = make_table(COLUMNS, fit=FIT)
        self.stack, self.empty = table_or_empty(self.table)
        self.review_rows: list[ReviewDue] = []
        self.reviews_label = QLabel()
        self.reviews_label.setStyleSheet("font-weight: bold;")
        self.reviews = make_table(REVIEW_COLUMNS, fit=REVIEW_FIT)
        self.reviews.setAccessibleName(tr("会議で決めた見直し日が来ている世帯"))
        self.reviews.setMaximumHeight(170)
        self.case_review_rows: list[CaseSummary] = []
        self.case_detail = None
        self.case_reviews_label = QLabel()
        self.case_reviews_label.setStyleSheet("font-weight: bold;")
        self.case_reviews = make_table(CASE_REVIEW_COLUMNS, fit=CASE_REVIEW_FIT)
        self.case_reviews.setAccessibleName(tr("プランの見直し日が来ている支援ケース"))
        self.case_reviews.setMaximumHeight(150)

        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(12)
        top.addWidget(self.week_label)
        top.addStretch(1)
        top.addWidget(self.count_label)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(tr("表示")))
        bar.addWidget(self.range)
        bar.addSpacing(8)
        bar.addWidget(QLabel(tr("地区")))
        bar.addWidget(self.district)
        bar.addStretch(1)
        bar.addWidget(self.pdf_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.entry_button)
        bottom.addWidget(self.timeline_button)
        bottom.addStretch(1)
        hint = QLabel(tr("予定日は、前回の訪問で決めた次回の予定日、または世帯の見守り間隔から決まります。"
                         "「不在」の記録では予定は進みません。"))
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #555;")
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(bar)
        layout.addWidget(self.errors)
        layout.addWidget(self.status)
        # The reviews below the visits, the divider draggable: on a small screen at a large text
        # size the visits keep most of the room.
        reviews_box = QWidget()
        reviews_layout = QVBoxLayout(reviews_box)
        reviews_layout.setContentsMargins(0, 0, 0, 0)
        reviews_layout.addWidget(self.reviews_label)
        reviews_layout.addWidget(self.reviews)
        reviews_layout.addWidget(self.case_reviews_label)
        reviews_layout.addWidget(self.case_reviews, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.stack)
        self.splitter.addWidget(reviews_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(hint)
        layout.addLayout(bottom)

        self.range.currentIndexChanged.connect(self.run_query)
        self.district.currentIndexChanged.connect(self.run_query)
        self.entry_button.clicked.connect(lambda: self.enter_contact(self.table.currentRow()))
        self.timeline_button.clicked.connect(lambda: self.open_timeline(self.table.currentRow()))
        self.pdf_button.clicked.connect(self.export_pdf)
        self.table.doubleClicked.connect(lambda index: self.enter_contact(index.row()))
        self.reviews.doubleClicked.connect(lambda index: self.open_review(index.row()))
        self.case_reviews.doubleClicked.connect(lambda index: self.open_case_review(index.row()))
        on_enter(self.case_reviews, lambda: self.open_case_review(self.case_reviews.currentRow()))
        self.table.itemSelectionChanged.connect(self._selection_changed)
        on_enter(self.table, lambda: self.enter_contact(self.table.currentRow()))
        self._selection_changed()
        keep_fresh(self, ctx.events, self.rows_on, self.run_query)
        keep_fresh(self, ctx.events, self.refresh_on)

    def today(self) -> date:
        return self._today or clock.today()

    def until(self) -> date:
        name = RANGES[self.range.currentIndex()]
        today = self.today()
        if name == "今日まで":
            return today
        _monday, sunday = week_of(today)
        return sunday + timedelta(days=7) if name == "来週まで" else sunday

    # ---- loading ------------------------------------------------------------------------

    def refresh(self) -> None:
        self.ctx.executor.submit(list_districts, self.ctx.store, on_done=self._districts,
                                 on_error=self.errors.show_error, owner=self)

    def _districts(self, districts) -> None:
        fill_district_combo(self.district, districts, empty_label=tr("すべての地区"), selected=self.district.currentData())
        self.run_query()

    def run_query(self) -> None:
        monday, sunday = week_of(self.today())
        self.week_label.setText(tr("今週：{a}〜{b}", a=format_wareki(monday, weekday=True),
                                   b=format_wareki(sunday, weekday=True)))
        seq = self._latest.next()
        until, district_id = self.until(), self.district.currentData()
        self.ctx.executor.submit(lambda: due_list(self.ctx.store, until, district_id=district_id),
                                 on_done=self._latest.wrap(seq, self._show),
                                 on_error=self._latest.wrap(seq, self.errors.show_error), owner=self)
        self.ctx.executor.submit(lambda: reviews_due(self.ctx.store, until, district_id=district_id),
                                 on_done=self._latest.wrap(seq, self._show_reviews),
                                 on_error=self._latest.wrap(seq, self.errors.show_error), owner=self)
        self.ctx.executor.submit(lambda: case_reviews_due(self.ctx.store, until, district_id=district_id),
                                 on_done=self._latest.wrap(seq, self._show_case_reviews),
                                 on_error=self._latest.wrap(seq, self.errors.show_error), owner=self)

    def _show_reviews(self, rows: list[ReviewDue]) -> None:
        today = self.today()
        self.review_rows = rows
        self.reviews.setRowCount(len(rows))
        for r, d in enumerate(rows):
            late, colour = lateness(d, today)
            values = [text_item(format_wareki_short(d.next_review_on), colour), text_item(late, colour, bold=colour is not None),
                      text_item(d.head_name, bold=True), text_item(d.district),
                      text_item(tr("{t}（{d}）", t=d.type_label, d=format_wareki_short(d.held_on))),
                      text_item(d.lead_agency)]
            for column, item in enumerate(values):
                self.reviews.setItem(r, column, item)
        self.reviews_label.setText(tr("会議で決めた見直し日が来ている世帯：{n}世帯（ダブルクリックで経過を表示）", n=len(rows))
                                   if rows else tr("会議で決めた見直し日が来ている世帯はありません。"))
        self.reviews.setVisible(bool(rows))

    def _show_case_reviews(self, rows: list[CaseSummary]) -> None:
        today = self.today()
        self.case_review_rows = rows
        self.case_reviews.setRowCount(len(rows))
        for r, c in enumerate(rows):
            days = (today - c.next_review_on).days
            late, colour = ((tr("{n}日過ぎ", n=days), ERROR_COLOUR) if days > 0 else
                            (tr("今日"), DUE_TODAY_COLOUR) if days == 0 else (tr("あと{n}日", n=-days), None))
            values = [text_item(format_wareki_short(c.next_review_on), colour), text_item(late, colour, bold=colour is not None),
                      text_item(c.household_name, bold=True), text_item(c.status), text_item(c.assignee or tr("未定")),
                      text_item(c.lead_agency)]
            for column, item in enumerate(values):
                self.case_reviews.setItem(r, column, item)
            self.case_reviews.item(r, 0).setData(Qt.ItemDataRole.UserRole, c.id)
        self.case_reviews_label.setText(
            tr("プランの見直し日が来ている支援ケース：{n}件（Enter・ダブルクリックでケースを開く）", n=len(rows)) if rows
            else tr("この期間にプランの見直し日が来る支援ケースはありません。"))
        self.case_reviews.setVisible(bool(rows))

    def open_case_review(self, row: int):
        if not 0 <= row < len(self.case_review_rows):
            return None
        self.case_detail = self.ctx.navigator.open_case(self.case_review_rows[row].id, self, today=self._today)
        return self.case_detail

    def open_review(self, row: int) -> None:
        if not 0 <= row < len(self.review_rows):
            return
        d = self.review_rows[row]
        self.timeline = self.ctx.navigator.open_timeline(d.household_id, d.head_name, self)

    def _show(self, rows: list[DueHousehold]) -> None:
        self.errors.clear_error()
        today = self.today()
        self.rows = rows
        self.table.setRowCount(len(rows))
        overdue = 0
        for r, d in enumerate(rows):
            late, colour = lateness(d, today)
            overdue += d.overdue_days(today) > 0
            last = format_wareki_short(d.last_contact) if d.last_contact else tr("記録なし")
            if d.last_attempt and d.last_attempt != d.last_contact:
                last += tr("（{d}は不在）", d=f"{d.last_attempt.month}月{d.last_attempt.day}日")
            values = [
                text_item(format_wareki_short(d.due), colour),
                text_item(late, colour, bold=colour is not None),
                text_item(d.head_name, bold=True),
                text_item(d.district),
                text_item(d.address),
                text_item(d.phone),
                text_item(last),
                text_item(d.next_action),
            ]
            values[2].setToolTip("　".join([d.head_name, *d.flags]))
            for column, item in enumerate(values):
                self.table.setItem(r, column, item)
        self.count_label.setText(tr("{n}世帯（うち遅れ {m}世帯）", n=len(rows), m=overdue) if rows else "")
        if rows:
            self.stack.setCurrentWidget(self.table)
            if self.table.currentRow() < 0:
                self.table.selectRow(0)
        elif self.district.currentData():
            self.empty.setText(tr("条件に合う世帯はありません。\n地区を「すべての地区」にするか、"
                                  "「表示」の期間を広げるなど、条件を変えてください。"))
            self.stack.setCurrentWidget(self.empty)
        else:
            self.empty.setText(tr("この期間に訪問を予定している世帯はありません。\n"
                                  "見守りの間隔は、世帯の編集画面の「見守りの程度」で設定できます。"))
            self.stack.setCurrentWidget(self.empty)
        self.pdf_button.setEnabled(bool(rows))
        self._selection_changed()

    def _selection_changed(self) -> None:
        has = 0 <= self.table.currentRow() < len(self.rows)
        self.entry_button.setEnabled(has)
        self.timeline_button.setEnabled(has)

    # ---- actions -----------------------------------------------------------------------

    def enter_contact(self, row: int) -> None:
        if not 0 <= row < len(self.rows):
            return
        d = self.rows[row]
        label = "　".join(x for x in (d.head_name, d.district, d.address) if x)
        self.contact_entry = self.ctx.navigator.new_contact(self, d.household_id, label)  # saving reloads the list

    def open_timeline(self, row: int) -> None:
        if not 0 <= row < len(self.rows):
            return
        d = self.rows[row]
        self.timeline = self.ctx.navigator.open_timeline(d.household_id, d.head_name, self)

    def export_pdf(self) -> None:
        self.status.setVisible(False)
        writer = load_route_writer()
        if writer is None:
            dialogs.inform(self, tr("訪問予定リスト"), tr("このバージョンでは、訪問予定リストのPDFをまだ作れません。"))
            return
        if not self.rows:
            return
        day = self.today()
        path = ask_pdf_path(self, default_pdf_path(day))
        if not path:
            return
        if not path.lower().endswith(".pdf"):
            path += ".pdf"
        council = self.ctx.council.name if self.ctx.council else ""
        rows, staff = list(self.rows), self.ctx.store.actor.display_name
        self.pdf_button.setEnabled(False)
        self.status.setText(tr("PDFを作っています…"))
        self.status.setVisible(True)

        def done(written) -> None:
            self.pdf_button.setEnabled(True)
            self.status.setText(tr("訪問予定リストを保存しました：{path}\n"
                                   "個人情報です。印刷したら持ち歩きに気をつけ、使い終わったら処分してください。",
                                   path=str(written)))

        def failed(error) -> None:
            self.pdf_button.setEnabled(True)
            self.status.setVisible(False)
            self.errors.show_error(error)

        store = self.ctx.store

        def work():
            try:
                written = writer(path, council, day, rows, staff)
            except OSError as error:  # the folder, not a fault: a sentence to act on
                raise UserError(tr("PDFを保存できませんでした。保存先の空き容量や、"
                                   "同じ名前のファイルを開いていないかを確かめてください。")) from error
            log_export(store, "route_pdf", route_export_detail(written, day, rows))
            return written

        self.ctx.executor.submit(work, on_done=done, on_error=failed, owner=self)
