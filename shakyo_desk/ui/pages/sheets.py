"""把握シート page. Coordinators and the admin get the inbox (受付・確認中, most
urgent first, then the oldest) above the list of all sheets; staff see their
own sheets and those of their districts; a reporter sees only their own and
the 「新しいシート」 button. Coordinators and the admin also get the drop box's line
(ui/drop_box.py): reporters' sheets waiting, 「届いたシートを受け付ける」, the files set aside."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSplitter, QTableWidget, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.roles import Role, sees_all_households
from shakyo_desk.domain.vocab import SHEET_STATUSES
from shakyo_desk.domain.wareki import format_wareki_short
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.referrals import overdue_follow_ups
from shakyo_desk.store.services.sheets import OPEN_STATUSES, SheetInfo, inbox, list_sheets
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.drop_box import DropBoxBar
from shakyo_desk.ui.events import HOUSEHOLD, REFERRAL, SHEET, keep_fresh, on
from shakyo_desk.ui.field_widgets import urgency_item
from shakyo_desk.ui.labels import NOTICES, notice_label
from shakyo_desk.ui.sheet_detail import SheetDetailDialog
from shakyo_desk.ui.widgets import Column, fill_table, make_table, selected_id
from shakyo_desk.domain import clock

INBOX_COLUMNS = ("緊急度", "気づいた日", "経過", "世帯・手がかり", "気になること", "状況", "気づいた人")
LIST_COLUMNS = ("気づいた日", "緊急度", "世帯・手がかり", "気になること", "状況", "気づいた人")
# Typical values and widths at 100 %; what gives way first at a large text size (widgets.fit_columns).
INBOX_FIT = (Column("見守り", 90), Column("R8.12.31", 100), Column("12日", 60, drop=2),
             Column("上町の坂の上の佐々木さん", 220, stretch=True), Column("生活費・借金、孤立", 220, stretch=True, drop=1),
             Column("確認中", 70), Column("佐々木 花子", 100, drop=3))
LIST_FIT = (Column("R8.12.31", 100), Column("見守り", 90), Column("上町の坂の上の佐々木さん", 240, stretch=True),
            Column("生活費・借金、孤立", 240, stretch=True, drop=1), Column("確認中", 70), Column("佐々木 花子", 100, drop=2))
OPEN_FILTER = "__open__"
FILED_STYLE = NOTICES["ok"].replace(" font-weight: bold;", "")


def who(s: SheetInfo) -> str:
    if s.household_id:
        return tr("{name} さんの世帯", name=s.household_name)
    return s.household_hint or tr("（世帯不明）")


class SheetsPage(QWidget):
    refresh_on = on(SHEET, HOUSEHOLD, REFERRAL)  # the inbox, the list, follow-ups due

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.has_inbox = sees_all_households(ctx.role)
        self.reporter = ctx.role == Role.REPORTER
        self.inbox_rows: list[SheetInfo] = []
        self.rows: list[SheetInfo] = []
        self.detail = None
        self.form = None
        self.new_ids: set[str] = set()  # sheets the drop box filed from this page: shown in bold
        self.drop_box = DropBoxBar(ctx) if self.has_inbox else None
        if self.drop_box is not None:
            self.drop_box.filed.connect(self._drops_filed)

        title = QLabel(tr("把握シート"))
        title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.new_button = QPushButton(tr("新しいシート"))
        self.new_button.setStyleSheet("QPushButton { font-size: 12pt; padding: 6px 18px; font-weight: bold; }")
        self.new_button.clicked.connect(lambda: self.new_sheet())
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.new_button)
        if self.reporter:
            intro_text = tr("気になるご家庭に気づいたら、「新しいシート」から地域福祉係に知らせてください。"
                            "下の一覧は、あなたが提出したシートと、その後の状況です。")
        elif self.has_inbox:
            intro_text = tr("届いたシートのうち、受付・確認中のものを緊急度の高い順、同じ緊急度では古い順に並べています。"
                            "行をダブルクリックすると、内容と対応の経過を開きます。")
        else:
            intro_text = tr("あなたが書いたシートと、担当地区のシートです。行をダブルクリックすると開きます。")
        intro = QLabel(intro_text)
        intro.setWordWrap(True)
        self.follow_ups = QLabel()
        self.follow_ups.setStyleSheet("color: #b35c00; font-weight: bold;")
        self.follow_ups.setVisible(False)
        self.errors = ErrorLabel()
        # What was just filed and where it went, on the page (not only in the status bar): for those
        # without the inbox, whose sheet goes to someone else (issue 17)
        self.just_filed: str | None = None
        self.filed_notice = notice_label("", "ok")
        self.filed_notice.setStyleSheet(FILED_STYLE)  # the "ok" box, its first line bold, the rest plain
        self.filed_notice.setTextFormat(Qt.TextFormat.RichText)
        self.filed_notice_close = QPushButton(tr("閉じる"))
        self.filed_notice_close.clicked.connect(lambda: self.filed_box.hide())
        self.filed_box = QWidget()
        filed_row = QHBoxLayout(self.filed_box)
        filed_row.setContentsMargins(0, 0, 0, 0)
        filed_row.addWidget(self.filed_notice, 1)
        filed_row.addWidget(self.filed_notice_close, 0, Qt.AlignmentFlag.AlignTop)
        self.filed_box.hide()

        self.inbox_table = make_table(INBOX_COLUMNS, fit=INBOX_FIT)
        self.inbox_table.doubleClicked.connect(lambda _i: self.open_selected(self.inbox_table))
        self.inbox_empty = QLabel(tr("受付・確認中のシートはありません。新しく届いたシートは、ここに出ます。"))
        self.inbox_empty.setStyleSheet("color: #555; padding: 6px;")
        self.inbox_box = QGroupBox(tr("確認を待っているシート"))
        inbox_layout = QVBoxLayout(self.inbox_box)
        inbox_layout.addWidget(self.inbox_empty)
        inbox_layout.addWidget(self.inbox_table)

        self.status_filter = QComboBox()
        self.status_filter.addItem(tr("すべて"), None)
        self.status_filter.addItem(tr("終結していないもの"), OPEN_FILTER)
        for status in SHEET_STATUSES:
            self.status_filter.addItem(status, status)
        self.status_filter.currentIndexChanged.connect(self.load_list)
        self.table = make_table(LIST_COLUMNS, fit=LIST_FIT)
        self.table.doubleClicked.connect(lambda _i: self.open_selected(self.table))
        self.open_button = QPushButton(tr("開く"))
        self.open_button.clicked.connect(lambda: self.open_selected(self.table))
        self.empty = QLabel()
        self.empty.setStyleSheet("color: #555; padding: 6px;")
        self.empty.setWordWrap(True)
        list_title = tr("提出したシート") if self.reporter else tr("シートの一覧（新しい順）")
        list_box = QGroupBox(list_title)
        list_layout = QVBoxLayout(list_box)
        filter_row = QHBoxLayout()
        filter_row.addWidget(QLabel(tr("状況")))
        filter_row.addWidget(self.status_filter)
        filter_row.addStretch(1)
        filter_row.addWidget(self.open_button)
        list_layout.addLayout(filter_row)
        list_layout.addWidget(self.empty)
        list_layout.addWidget(self.table, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(intro)
        if self.drop_box is not None:
            layout.addWidget(self.drop_box)
        layout.addWidget(self.filed_box)
        layout.addWidget(self.follow_ups)
        layout.addWidget(self.errors)
        if self.has_inbox:
            splitter = QSplitter(Qt.Orientation.Vertical)
            splitter.addWidget(self.inbox_box)
            splitter.addWidget(list_box)
            splitter.setSizes([300, 360])
            layout.addWidget(splitter, 1)
        else:
            self.inbox_box.hide()
            layout.addWidget(list_box, 1)
        keep_fresh(self, ctx.events, self.refresh_on)

    # ---- loading ----------------------------------------------------------------------

    def refresh(self) -> None:
        if self.has_inbox:
            store = self.ctx.store
            self.ctx.executor.submit(lambda: (inbox(store), overdue_follow_ups(store)), on_done=self._inbox_loaded,
                                     on_error=self.errors.show_error, owner=self)
            self.drop_box.refresh()
        self.load_list()

    def load_list(self) -> None:
        wanted = self.status_filter.currentData()
        statuses = OPEN_STATUSES if wanted == OPEN_FILTER else ([wanted] if wanted else None)
        self.ctx.executor.submit(lambda: list_sheets(self.ctx.store, statuses=statuses), on_done=self._list_loaded,
                                 on_error=self.errors.show_error, owner=self)

    def _inbox_loaded(self, result) -> None:
        self.inbox_rows, overdue = result
        today = clock.today()
        rows = [(urgency_item(s.urgency), format_wareki_short(s.noticed_on), tr("{n}日", n=s.age_days(today)),
                 who(s), "・".join(s.concerns), s.status, s.noticed_by_name) for s in self.inbox_rows]
        fill_table(self.inbox_table, rows, [s.id for s in self.inbox_rows])
        for r in range(self.inbox_table.rowCount()):
            self.inbox_table.item(r, 2).setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._mark_new(self.inbox_table, self.inbox_rows)
        self.inbox_table.setVisible(bool(self.inbox_rows))
        self.inbox_empty.setVisible(not self.inbox_rows)
        self.inbox_box.setTitle(tr("確認を待っているシート（{n}件）", n=len(self.inbox_rows)))
        self.follow_ups.setText(tr("確認する日が来たつなぎが{n}件あります。「つなぎ」の画面で結果を記録してください。",
                                   n=len(overdue)))
        self.follow_ups.setVisible(bool(overdue))

    def _list_loaded(self, sheets: list[SheetInfo]) -> None:
        self.errors.clear_error()
        self.rows = sheets
        rows = [(format_wareki_short(s.noticed_on), urgency_item(s.urgency), who(s), "・".join(s.concerns), s.status,
                 s.noticed_by_name) for s in sheets]
        fill_table(self.table, rows, [s.id for s in sheets])
        self._mark_new(self.table, sheets)
        self.table.setVisible(bool(sheets))
        self.open_button.setVisible(bool(sheets))
        if self.status_filter.currentData():
            self.empty.setText(tr("条件に合うシートはありません。「状況」を「すべて」にするなど、条件を変えてください。"))
        elif self.reporter:
            self.empty.setText(tr("まだシートを提出していません。気になるご家庭があれば「新しいシート」から知らせてください。"))
        else:
            self.empty.setText(tr("まだシートはありません。気になるご家庭に気づいたら、「新しいシート」から記録してください。"))
        self.empty.setVisible(not sheets)
        self._confirm_filed()

    def _mark_new(self, table: QTableWidget, sheets: list[SheetInfo]) -> None:
        """The sheets the drop box just filed: bold, the first one selected."""
        first = None
        for r, sheet in enumerate(sheets):
            if sheet.id not in self.new_ids:
                continue
            first = r if first is None else first
            for c in range(table.columnCount()):
                item = table.item(r, c)
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
                item.setToolTip(tr("今回受け付けたシート：") + item.text())
        if first is not None:
            table.selectRow(first)
            table.scrollToItem(table.item(first, 0))

    def _drops_filed(self, filing) -> None:
        if filing.filed:
            self.new_ids = set(filing.filed)

    # ---- actions -----------------------------------------------------------------------

    def open_selected(self, table: QTableWidget) -> None:
        sheet_id = selected_id(table)
        if sheet_id:
            self.open_sheet(sheet_id)

    def open_sheet(self, sheet_id: str):
        self.detail = SheetDetailDialog(self.ctx, sheet_id, self)  # a change announces "sheet": this page reloads
        self.detail.open()
        return self.detail

    def new_sheet(self, prefill: dict | None = None):
        self.form = self.ctx.navigator.open_sheet_form(prefill or {}, self, on_filed=self._filed)  # and reloads
        return self.form

    def _filed(self, sheet_id: str) -> None:
        if not self.has_inbox:
            self.just_filed = sheet_id  # said and selected once the list has it

    def _confirm_filed(self) -> None:
        ids = [s.id for s in self.rows]
        if self.just_filed not in ids:
            return
        row = ids.index(self.just_filed)
        sheet, self.just_filed = self.rows[row], None
        where = tr("「提出したシート」の一覧") if self.reporter else tr("「シートの一覧」")
        lines = [tr("把握シートを提出しました。"),
                 tr("送った内容：{who}（気になること：{concerns}、緊急度：{urgency}、気づいた日：{day}）",
                    who=who(sheet), concerns="・".join(sheet.concerns), urgency=sheet.urgency,
                    day=format_wareki_short(sheet.noticed_on)),
                 tr("届け先：事務局の担当者（地域福祉係）が受け取り、確認します。"),
                 tr("その後の状況（受付・確認中・対応中など）は、下の{where}の「状況」に出ます。", where=where)]
        self.filed_notice.setText("<p style='line-height: 135%'>" + f"<b>{escape(lines[0])}</b>"
                                  + "".join(f"<br>{escape(t)}" for t in lines[1:]) + "</p>")
        self.filed_box.show()
        self.table.selectRow(row)
        self.table.scrollToItem(self.table.item(row, 0))
