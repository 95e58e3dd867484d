"""会議 page: the case conferences, newest first, filtered by period and type; opens the
conference editor (members, cases and decisions, minutes, handout). Coordinators and admins.
「開催通知を作成…」 makes the selected meeting's 開催通知（レジュメ） (reports/meeting_notice.py) in
the worker, shows it (QtPdf) with 「PDFに保存…」, or asks where to save it straight away."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from shakyo_desk.domain.errors import InvalidInput, UserError
from shakyo_desk.domain.vocab import CONFERENCE_TYPES
from shakyo_desk.domain.wareki import fiscal_year, fiscal_year_bounds, format_fiscal_year, format_wareki
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.conferences import ConferenceRow, list_conferences
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.date_field import DateField
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.events import CONFERENCE, HANDOUT, HOUSEHOLD, keep_fresh, on
from shakyo_desk.ui.handout_actions import PDF_NOT_SAVED, default_folder
from shakyo_desk.ui.labels import hint_label, notice_label
from shakyo_desk.ui.pdf_preview import PdfPreviewDialog, qtpdf_available
from shakyo_desk.ui.style import ERROR_COLOUR
from shakyo_desk.ui.widgets import Column, fill_table, make_table, on_enter, selected_id, table_or_empty, text_item
from shakyo_desk.ui.worker import LatestOnly
from shakyo_desk.domain import clock

COLUMNS = ("開催日", "種類", "会議の名前", "場所", "ケース", "構成員", "守秘義務の未確認")
# The date, the kind, the name and the unacknowledged members stay; the counts, then the place give way.
FIT = (Column("令和8年12月24日（木）", 190), Column("個別支援会議", 130), Column("支援会議（12月）", 220, stretch=True),
       Column("役場 2階会議室", 200, drop=1), Column("12件", 60, drop=2), Column("12人", 70, drop=3), Column("12人", 70))


def period_labels(today: date, start_month: int) -> dict[str, str]:
    year = fiscal_year(today, start_month)
    return {"this_year": tr("今年度（{y}）", y=format_fiscal_year(year, start_month)),
            "last_year": tr("前年度（{y}）", y=format_fiscal_year(year - 1, start_month)),
            "recent": tr("この1年とこれから"), "upcoming": tr("これからの会議"), "all": tr("すべて"),
            "custom": tr("期間を指定")}


def period_range(key: str, today: date, start_month: int = 4) -> tuple[date | None, date | None]:
    year = fiscal_year(today, start_month)
    if key == "this_year":
        first, next_first = fiscal_year_bounds(year, start_month)
        return first, next_first - timedelta(days=1)
    if key == "last_year":
        first, next_first = fiscal_year_bounds(year - 1, start_month)
        return first, next_first - timedelta(days=1)
    if key == "recent":
        return today - timedelta(days=365), None
    if key == "upcoming":
        return today, None
    return None, None


def conference_cells(row: ConferenceRow) -> tuple:
    unack = (text_item(tr("{n}人", n=row.unacknowledged_count), ERROR_COLOUR, bold=True) if row.unacknowledged_count
             else text_item(tr("なし")))
    kind = text_item(row.type_label, bold=True)
    if row.legal_basis_label:
        kind.setToolTip(f"{row.type_label}（{row.legal_basis_label}）")
    return (text_item(format_wareki(row.held_on, weekday=True)), kind, row.display_title, row.place,
            tr("{n}件", n=row.case_count), tr("{n}人", n=row.member_count), unack)


class ConferencesPage(QWidget):
    refresh_on = on(CONFERENCE, HANDOUT, HOUSEHOLD)  # the list, its counts and unacknowledged members

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, today: date | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._today = today
        self.rows: list[ConferenceRow] = []
        self._latest = LatestOnly()
        self.editor = None  # the last ConferenceEditorDialog opened

        title = QLabel(tr("会議"))
        title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.count_label = QLabel()
        self.period = QComboBox()
        start_month = ctx.council.fiscal_year_start_month if ctx.council else 4
        for key, label in period_labels(self.today(), start_month).items():
            self.period.addItem(label, key)
        self.period.setCurrentIndex(self.period.findData("recent"))
        self.period.setAccessibleName(tr("期間"))
        self.date_from = DateField(optional=True, placeholder=tr("はじめ"))
        self.date_to = DateField(optional=True, placeholder=tr("おわり"))
        for field in (self.date_from, self.date_to):
            field.wareki.setVisible(False)
            field.edit.setMaximumWidth(120)
            field.edit.returnPressed.connect(self.run_query)
        self.custom = QWidget()
        custom_row = QHBoxLayout(self.custom)
        custom_row.setContentsMargins(0, 0, 0, 0)
        custom_row.addWidget(self.date_from)
        custom_row.addWidget(QLabel(tr("〜")))
        custom_row.addWidget(self.date_to)
        self.apply_button = QPushButton(tr("この期間で表示"))
        self.apply_button.setAutoDefault(False)
        self.apply_button.clicked.connect(self.run_query)
        custom_row.addWidget(self.apply_button)
        self.custom.setVisible(False)
        self.meeting_type = QComboBox()
        self.meeting_type.addItem(tr("すべての種類"), None)
        for code, label in CONFERENCE_TYPES.items():
            self.meeting_type.addItem(label, code)
        self.meeting_type.setAccessibleName(tr("会議の種類"))
        self.new_button = QPushButton(tr("新しい会議を登録…"))
        self.new_button.setStyleSheet("QPushButton { font-weight: bold; padding: 4px 12px; }")
        self.open_button = QPushButton(tr("開く"))
        self.handout_button = QPushButton(tr("会議資料…"))
        self.notice_button = QPushButton(tr("開催通知を作成…"))
        self.notice_button.setToolTip(tr("構成員に送る開催通知（レジュメ）をPDFで作ります。"
                                         "日時・場所・議題と守秘義務の注意を載せ、世帯の名前は載せません。"))
        self.notice_preview = None  # the last notice shown
        self.notice_result = notice_label("", "ok")
        self.notice_result.setVisible(False)
        self.register_button = QPushButton(tr("配布資料の台帳"))
        self.register_button.setVisible(ctx.navigator.has_pages)
        self.appointments_button = QPushButton(tr("委嘱の一覧…"))
        self.appointments_button.setToolTip(tr("守秘義務の誓約を期間で受けた構成員（委嘱）を登録・終了します。"))
        self.errors = ErrorLabel()
        self.table = make_table(COLUMNS, fit=FIT)
        self.table.setAccessibleName(tr("会議の一覧"))
        self.stack, self.empty = table_or_empty(self.table)

        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.count_label)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(tr("期間")))
        bar.addWidget(self.period)
        bar.addWidget(self.custom)
        bar.addSpacing(8)
        bar.addWidget(QLabel(tr("種類")))
        bar.addWidget(self.meeting_type)
        bar.addStretch(1)
        bar.addWidget(self.new_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.open_button)
        bottom.addWidget(self.handout_button)
        bottom.addWidget(self.notice_button)
        bottom.addStretch(1)
        bottom.addWidget(self.appointments_button)
        bottom.addWidget(self.register_button)
        hint = hint_label(tr("ダブルクリックまたは Enter で会議を開きます。"
                             "会議資料（配布資料）は、会議の画面の「会議資料」から作ります。"))
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(bar)
        layout.addWidget(self.errors)
        layout.addWidget(self.stack, 1)
        layout.addWidget(hint)
        layout.addWidget(self.notice_result)
        layout.addLayout(bottom)

        self.period.currentIndexChanged.connect(self._period_changed)
        self.meeting_type.currentIndexChanged.connect(self.run_query)
        self.new_button.clicked.connect(self.new_conference)
        self.open_button.clicked.connect(lambda: self.open_selected())
        self.handout_button.clicked.connect(lambda: self.open_selected("会議資料"))
        self.notice_button.clicked.connect(self.make_notice)
        self.register_button.clicked.connect(lambda: ctx.navigator.show_page("handouts"))
        self.appointments_button.clicked.connect(lambda: self.open_appointments())
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.table.itemSelectionChanged.connect(self._selection_changed)
        on_enter(self.table, self.open_selected)
        self._selection_changed()
        keep_fresh(self, ctx.events, self.refresh_on)

    def today(self) -> date:
        return self._today or clock.today()

    # ---- loading ---------------------------------------------------------------------

    def refresh(self) -> None:
        self.run_query()

    def _period_changed(self) -> None:
        custom = self.period.currentData() == "custom"
        self.custom.setVisible(custom)
        if not custom:
            self.run_query()
        else:
            self.date_from.setFocus()

    def query_range(self) -> tuple[date | None, date | None]:
        key = self.period.currentData()
        if key == "custom":
            return DateField.checked_period(self.date_from, self.date_to)
        start_month = self.ctx.council.fiscal_year_start_month if self.ctx.council else 4
        return period_range(key, self.today(), start_month)

    def run_query(self) -> None:
        try:
            date_from, date_to = self.query_range()
        except InvalidInput as error:
            self.errors.show_error(error)
            return
        seq = self._latest.next()
        store, meeting_type = self.ctx.store, self.meeting_type.currentData()
        self.ctx.executor.submit(
            lambda: list_conferences(store, date_from=date_from, date_to=date_to, meeting_type=meeting_type),
            on_done=self._latest.wrap(seq, self._show), on_error=self._latest.wrap(seq, self.errors.show_error),
            owner=self)

    def _show(self, rows: list[ConferenceRow]) -> None:
        self.errors.clear_error()
        current = selected_id(self.table)
        self.rows = rows
        fill_table(self.table, [conference_cells(r) for r in rows], [r.id for r in rows])
        self.count_label.setText(tr("{n}件", n=len(rows)) if rows else "")
        if rows:
            self.stack.setCurrentWidget(self.table)
            ids = [r.id for r in rows]
            self.table.selectRow(ids.index(current) if current in ids else 0)
        else:
            self.empty.setText(tr("この条件に合う会議はありません。\n"
                                  "「新しい会議を登録…」から、会議と構成員、取り上げる世帯を登録できます。"))
            self.stack.setCurrentWidget(self.empty)
        self._selection_changed()

    def _selection_changed(self) -> None:
        has = selected_id(self.table) is not None and bool(self.rows)
        self.open_button.setEnabled(has)
        self.handout_button.setEnabled(has)
        self.notice_button.setEnabled(has)

    # ---- actions -----------------------------------------------------------------------

    def open_appointments(self):
        from shakyo_desk.ui.appointments_dialog import open_appointments

        self.appointments = open_appointments(self.ctx, self, today=self._today)
        return self.appointments

    def new_conference(self) -> None:
        self.open_conference(None)

    def open_selected(self, tab: str | None = None) -> None:
        conference_id = selected_id(self.table)
        if conference_id is not None:
            self.open_conference(conference_id, tab=tab)

    def open_conference(self, conference_id: str | None, *, tab: str | None = None) -> None:
        """The editor of a conference (``None``: a new one), optionally on one tab."""
        def opened(dialog) -> None:
            self.editor = dialog  # saving announces "conference", copies "handout": this page reloads

        self.ctx.navigator.open_conference(conference_id, self, tab=tab, on_opened=opened,
                                           on_error=self.errors.show_error, today=self._today)

    def show_conference(self, conference_id: str) -> None:
        """Select a conference in the list (e.g. from a household's timeline)."""
        ids = [r.id for r in self.rows]
        if conference_id in ids:
            self.table.selectRow(ids.index(conference_id))

    # ---- 開催通知 -----------------------------------------------------------------------

    def make_notice(self) -> None:
        """The selected meeting's notice, made in the worker; shown, or saved when it cannot be."""
        conference_id = selected_id(self.table)
        row = next((r for r in self.rows if r.id == conference_id), None)
        if row is None:
            return
        from shakyo_desk.reports.meeting_notice import meeting_notice_pdf

        store, today = self.ctx.store, self._today
        self.errors.clear_error()
        self.notice_result.setVisible(False)
        self.notice_button.setEnabled(False)

        def failed(error) -> None:
            self._selection_changed()
            self.errors.show_error(error)

        self.ctx.executor.submit(lambda: meeting_notice_pdf(store, conference_id, today=today),
                                 on_done=lambda data: self._notice_made(row, data), on_error=failed, owner=self)

    def _notice_made(self, row: ConferenceRow, data: bytes) -> None:
        from shakyo_desk.reports.meeting_notice import default_file_name

        self._selection_changed()
        name = default_file_name(row)
        if not qtpdf_available():
            self.save_notice(data, name)
            return
        dialog = PdfPreviewDialog(data, tr("開催通知：{title}", title=row.display_title), self,
                                  note=tr("構成員に送る開催通知です。世帯の名前は載せていません。"
                                          "「PDFに保存…」で保存し、印刷やメールで構成員に届けてください。"))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        save = QPushButton(tr("PDFに保存…"))
        save.setAutoDefault(False)
        save.clicked.connect(dialog.accept)
        save.clicked.connect(lambda: self.save_notice(data, name))
        dialog.actions_row.addWidget(save)
        self.notice_preview = dialog
        dialog.open()

    def ask_notice_file(self, suggested: str) -> str:
        """Where to save the notice ("" when cancelled). Tests replace this."""
        path, _ = QFileDialog.getSaveFileName(self, tr("開催通知の保存先"), suggested, tr("PDFファイル (*.pdf)"))
        return path

    def save_notice(self, data: bytes, name: str) -> None:
        path = self.ask_notice_file(str(Path(default_folder()) / name))
        if not path:
            return
        if not path.lower().endswith(".pdf"):
            path += ".pdf"

        def work() -> Path:
            from shakyo_desk.domain.safe_file import write_atomic

            try:
                return write_atomic(Path(path), data)
            except OSError as error:  # the folder, not a fault: a sentence to act on
                raise UserError(tr(PDF_NOT_SAVED)) from error

        def saved(where: Path) -> None:
            self.notice_result.setText(tr("開催通知を保存しました：{path}", path=str(where)))
            self.notice_result.setVisible(True)

        self.ctx.executor.submit(work, on_done=saved, on_error=self.errors.show_error, owner=self)
