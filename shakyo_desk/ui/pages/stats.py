"""統計 page: the figures of a 年度 or a month for the whole council or one 地区, against the
same period a year before, as tables and charts; export to CSV (for Excel) or the report PDF.

Coordinators and admins see the counts as they are, with the cells that any export hides
tinted; staff see only their districts and the suppressed values, as an export would show
them. Computing and exporting run in the worker."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QStandardPaths, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QListWidget, QProgressBar, QPushButton,
    QScrollArea, QSplitter, QStackedWidget, QTableView, QTabWidget, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.roles import sees_all_households
from shakyo_desk.domain.wareki import fiscal_year, format_fiscal_year
from shakyo_desk.i18n import tr
from shakyo_desk.reports.stats_chart_data import chart_specs
from shakyo_desk.reports.stats_render import RenderedFigures, RenderedTable, cell_text, header_lines, render
from shakyo_desk.store.services.districts import DistrictInfo, list_districts
from shakyo_desk.store.services.stats import (
    Figures, compute_figures, council_fiscal_year, council_month, fiscal_years_with_records, month_period,
)
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.events import RECORDS, REGISTER, keep_fresh, on
from shakyo_desk.ui.stats_charts import ChartPanel
from shakyo_desk.ui.widgets import fill_district_combo
from shakyo_desk.ui.worker import LatestOnly
from shakyo_desk.domain import clock

PRIMARY_TINT = "#ffd9a8"  # below the threshold: <3 in any export
SECONDARY_TINT = "#dfe6f2"  # hidden with them: 秘匿 in any export
KINDS = ("年度", "月")
CSV_FILTERS = {
    "CSV（Excel用・UTF-8 BOM付き） (*.csv)": "utf-8",
    "CSV（Shift_JIS・古いExcel用） (*.csv)": "cp932",
}
PDF_FILTER = "PDFファイル (*.pdf)"


# ---- what the worker hands back ------------------------------------------------------------

@dataclass(frozen=True)
class StatsView:
    figures: Figures
    shown: RenderedFigures  # raw for coordinators and admins, suppressed for staff
    marks: dict[str, list[list[str | None]]]  # table key → per row, per column: primary | secondary | None


def cell_marks(shown: RenderedTable, exported: RenderedTable) -> list[list[str | None]]:
    """Which cells an export hides that the screen shows (coordinators' view)."""
    grid = []
    for raw_row, out_row in zip(shown.rows, exported.rows):
        line = []
        for raw, out in zip(raw_row.cells, out_row.cells):
            hidden = isinstance(out, str) and not isinstance(raw, str)
            line.append(None if not hidden else "secondary" if out == "秘匿" else "primary")
        grid.append(line)
    return grid


def load_view(store, period, district_id: str | None, today: date | None = None) -> StatsView:
    figures = compute_figures(store, period, district_id=district_id, today=today)
    exported = render(figures)
    if not figures.raw_allowed:
        return StatsView(figures, exported, {})
    shown = render(figures, raw=True)
    marks = {t.key: cell_marks(t, e) for t, e in zip(shown.tables, exported.tables)}
    return StatsView(figures, shown, marks)


def visible_districts(districts: list[DistrictInfo], own: frozenset[str] | None) -> list[DistrictInfo]:
    """All districts, or (staff) those in charge with everything under them, in tree order."""
    if own is None:
        return districts
    keep: set[str] = set()
    for d in districts:  # tree order: a parent comes before its children
        if d.id in own or d.parent_id in keep:
            keep.add(d.id)
    return [d for d in districts if d.id in keep]


def file_stem(text: str) -> str:
    return re.sub(r"[\\/:*?\"<>|\s›]+", "_", text).strip("_")


def default_path(figures: Figures, kind: str) -> str:
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())
    parts = [tr("統計") if kind == "csv" else tr("統計報告書"), figures.period.label]
    if figures.district_id:
        parts.append(figures.district)
    return str(Path(folder) / f"{file_stem('_'.join(parts))}.{kind}")


def ask_save_path(parent: QWidget, title: str, suggested: str, filters: list[str]) -> tuple[str, str]:
    """(path, chosen filter); ("", "") when cancelled. Tests replace this."""
    path, chosen = QFileDialog.getSaveFileName(parent, title, suggested, ";;".join(filters), filters[0])
    return path, chosen


# ---- one table on screen -----------------------------------------------------------------------

class StatsTableModel(QAbstractTableModel):
    def __init__(self, table: RenderedTable, marks: list[list[str | None]] | None = None, parent=None):
        super().__init__(parent)
        self.table = table
        self.marks = marks or []
        self._bold = QFont()
        self._bold.setBold(True)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.table.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.table.headers)

    def mark(self, row: int, column: int) -> str | None:
        if column == 0 or row >= len(self.marks):
            return None
        return self.marks[row][column - 1]

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.table.rows[index.row()]
        c = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            text = row.label if c == 0 else cell_text(row.cells[c - 1])
            if role == Qt.ItemDataRole.ToolTipRole:
                mark = self.mark(index.row(), c)
                if mark == "primary":
                    return tr("{v}（少ない件数：外部に出すときは伏せられます）", v=text)
                if mark == "secondary":
                    return tr("{v}（外部に出すときは「秘匿」と表示されます）", v=text)
            return text
        if role == Qt.ItemDataRole.TextAlignmentRole:
            side = Qt.AlignmentFlag.AlignLeft if c == 0 else Qt.AlignmentFlag.AlignRight
            return int(side | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and row.total:
            return self._bold
        if role == Qt.ItemDataRole.BackgroundRole:
            mark = self.mark(index.row(), c)
            if mark:
                return QBrush(QColor(PRIMARY_TINT if mark == "primary" else SECONDARY_TINT))
        return None

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.table.headers[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None


def make_table_view() -> QTableView:
    view = QTableView()
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.setSelectionMode(QTableView.SelectionMode.NoSelection)
    view.setWordWrap(False)
    header = view.horizontalHeader()
    header.setMinimumSectionSize(90)
    header.setStretchLastSection(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return view


def show_table(view: QTableView, model: StatsTableModel) -> None:
    view.setModel(model)
    view.resizeColumnsToContents()
    view.setColumnWidth(0, max(view.columnWidth(0) + 16, 180))
    for c in range(1, model.columnCount()):
        view.setColumnWidth(c, max(view.columnWidth(c) + 18, 100))


def swatch_html(colour: str, text: str) -> str:
    return f"<span style='background:{colour}; border:1px solid #999;'>&nbsp;&nbsp;&nbsp;&nbsp;</span>&nbsp;{text}"


def legend_swatch(colour: str, text: str) -> QLabel:
    label = QLabel(swatch_html(colour, text))
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(True)
    return label


# ---- the page ------------------------------------------------------------------------------

class StatsPage(QWidget):
    refresh_on = on(RECORDS, REGISTER)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, today: date | None = None):
        super().__init__(parent)
        self.ctx = ctx
        keep_fresh(self, ctx.events, self.refresh_on)
        self._today = today
        self._latest = LatestOnly()
        self.view: StatsView | None = None
        self.chart_panels: dict[str, ChartPanel] = {}
        self._years: list[int] = []
        self.staff_view = not sees_all_households(ctx.role)

        title = QLabel(tr("統計"))
        title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.kind = QComboBox()
        self.kind.addItems([tr(k) for k in KINDS])
        self.year = QComboBox()
        self.year.setMinimumWidth(150)
        self.month = QComboBox()
        self.month.setMinimumWidth(130)
        self.district = QComboBox()
        self.district.setMinimumWidth(170)
        for widget, name in ((self.kind, tr("期間の種類")), (self.year, tr("年度・年")), (self.month, tr("月")),
                             (self.district, tr("地区"))):
            widget.setAccessibleName(name)
        self.csv_button = QPushButton(tr("CSVで書き出す…"))
        self.pdf_button = QPushButton(tr("報告書（PDF）を書き出す…"))
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(160)
        self.busy.setTextVisible(False)
        self.busy_label = QLabel(tr("集計しています…"))
        self.errors = ErrorLabel()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #2f6b3a;")
        self.status.setVisible(False)
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet("color: #444;")
        self.legend_primary = legend_swatch(PRIMARY_TINT, "")
        self.legend_secondary = legend_swatch(SECONDARY_TINT, "")

        self.summary_view = make_table_view()
        self.summary_view.setAccessibleName(tr("概要"))
        self.table_list = QListWidget()
        self.table_list.setMaximumWidth(280)
        self.table_list.setStyleSheet("QListWidget::item { padding: 5px 6px; }")
        self.table_view = make_table_view()
        self.table_note = QLabel()
        self.table_note.setWordWrap(True)
        self.table_note.setStyleSheet("color: #444;")
        tables_page = QWidget()
        right = QVBoxLayout()
        right.addWidget(self.table_view, 1)
        right.addWidget(self.table_note)
        right_widget = QWidget()
        right_widget.setLayout(right)
        right.setContentsMargins(0, 0, 0, 0)
        split = QSplitter()
        split.addWidget(self.table_list)
        split.addWidget(right_widget)
        split.setStretchFactor(1, 1)
        QVBoxLayout(tables_page).addWidget(split)
        charts_scroll = QScrollArea()
        charts_scroll.setWidgetResizable(True)
        self.charts_scroll = charts_scroll
        self.tabs = QTabWidget()
        summary_page = QWidget()
        summary_layout = QVBoxLayout(summary_page)
        summary_layout.addWidget(self.summary_view)
        self.tabs.addTab(summary_page, tr("概要（前年との比較）"))
        self.tabs.addTab(charts_scroll, tr("グラフ"))
        self.tabs.addTab(tables_page, tr("表"))
        self.empty = QLabel()
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: #555; font-size: 12pt; padding: 40px;")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.tabs)
        self.stack.addWidget(self.empty)

        bar = QHBoxLayout()
        bar.addWidget(title)
        bar.addSpacing(16)
        bar.addWidget(QLabel(tr("期間")))
        bar.addWidget(self.kind)
        bar.addWidget(self.year)
        bar.addWidget(self.month)
        bar.addSpacing(8)
        bar.addWidget(QLabel(tr("地区")))
        bar.addWidget(self.district)
        bar.addSpacing(8)
        bar.addWidget(self.busy)
        bar.addWidget(self.busy_label)
        bar.addStretch(1)
        legend = QHBoxLayout()  # the export buttons here, not in the bar: all fit at a large text size
        # The swatches take the row's room (a word-wrapped label left to itself is squeezed to a
        # narrow column); the stretch keeps the buttons right while they are hidden.
        legend.addWidget(self.legend_primary, 1)
        legend.addSpacing(12)
        legend.addWidget(self.legend_secondary, 1)
        legend.addStretch(1)
        self.legend_row = legend
        legend.addWidget(self.csv_button)
        legend.addWidget(self.pdf_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.errors)
        layout.addWidget(self.status)
        layout.addWidget(self.heading)
        layout.addWidget(self.notes)
        layout.addLayout(legend)
        layout.addWidget(self.stack, 1)

        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.year.currentIndexChanged.connect(self._year_changed)
        self.month.currentIndexChanged.connect(self.run_query)
        self.district.currentIndexChanged.connect(self.run_query)
        self.table_list.currentRowChanged.connect(self._show_table)
        self.csv_button.clicked.connect(self.export_csv)
        self.pdf_button.clicked.connect(self.export_pdf)
        self.month.setVisible(False)
        self._set_busy(False)
        self._set_exportable(False)
        self._show_legend(None)

    def today(self) -> date:
        return self._today or clock.today()

    def start_month(self) -> int:
        return self.ctx.council.fiscal_year_start_month if self.ctx.council else 4

    # ---- choices ----------------------------------------------------------------------------

    def refresh(self) -> None:
        store, today = self.ctx.store, self.today()

        def load():
            own = None if not self.staff_view else frozenset(store.actor.district_ids)
            return fiscal_years_with_records(store, today), visible_districts(list_districts(store), own)

        self.ctx.executor.submit(load, on_done=self._choices, on_error=self.errors.show_error, owner=self)

    def _choices(self, loaded) -> None:
        years, districts = loaded
        self._years = years
        current = fiscal_year(self.today(), self.start_month())
        selected_year = self.year.currentData() or current
        self.year.blockSignals(True)
        self.year.clear()
        for y in years:
            self.year.addItem(format_fiscal_year(y, self.start_month()), y)
        self.year.setCurrentIndex(max(0, self.year.findData(selected_year)))
        self.year.blockSignals(False)
        everything = tr("担当地区すべて") if self.staff_view else tr("全地区")
        fill_district_combo(self.district, districts, empty_label=everything, selected=self.district.currentData())
        self._fill_months()
        self.run_query()

    def _fill_months(self) -> None:
        year = self.year.currentData()
        selected = self.month.currentData()
        self.month.blockSignals(True)
        self.month.clear()
        if year is not None:
            start, today = self.start_month(), self.today()
            for i in range(12):
                m = (start - 1 + i) % 12 + 1
                y = year + (start - 1 + i) // 12
                if date(y, m, 1) > today:
                    break
                self.month.addItem(month_period(y, m, start).label, (y, m))
            index = self.month.findData(selected) if selected else -1
            self.month.setCurrentIndex(index if index >= 0 else self.month.count() - 1)
        self.month.blockSignals(False)

    def _kind_changed(self) -> None:
        self.month.setVisible(KINDS[self.kind.currentIndex()] == "月")
        self.run_query()

    def _year_changed(self) -> None:
        self._fill_months()
        self.run_query()

    def choose_year(self, year: int) -> None:
        self.year.setCurrentIndex(self.year.findData(year))

    # ---- computing ------------------------------------------------------------------------------

    def _set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self.busy_label.setVisible(busy)

    def _set_exportable(self, on: bool) -> None:
        for button in (self.csv_button, self.pdf_button):
            button.setEnabled(on)
            button.setToolTip("" if on else tr("集計が済み、記録がある期間のときに書き出せます。"))

    def run_query(self) -> None:
        year = self.year.currentData()
        if year is None:
            return
        monthly = KINDS[self.kind.currentIndex()] == "月"
        chosen = self.month.currentData()
        if monthly and chosen is None:
            return
        store, district_id, today = self.ctx.store, self.district.currentData(), self._today
        seq = self._latest.next()
        self.errors.clear_error()
        self._set_busy(True)
        self._set_exportable(False)

        def work():
            period = council_month(store, f"{chosen[0]}-{chosen[1]:02d}") if monthly \
                else council_fiscal_year(store, year)
            return load_view(store, period, district_id, today)

        self.ctx.executor.submit(work, on_done=self._latest.wrap(seq, self._show),
                                 on_error=self._latest.wrap(seq, self._failed), owner=self)

    def _failed(self, error) -> None:
        self._set_busy(False)
        self.view = None
        self.errors.show_error(error)
        self.heading.setText("")
        self.notes.setText("")
        self._show_legend(None)
        self.empty.setText(tr("統計を表示できません。"))
        self.stack.setCurrentWidget(self.empty)

    def _show_legend(self, view: StatsView | None) -> None:
        raw = bool(view and view.shown.raw)
        self.legend_primary.setVisible(raw)
        self.legend_secondary.setVisible(raw)
        self.legend_row.setStretch(3, 0 if raw else 1)
        if raw:
            t = view.figures.threshold
            self.legend_primary.setText(swatch_html(PRIMARY_TINT, tr("{t}未満：外部に出すときは「&lt;{t}」と秘匿されます", t=t)))
            self.legend_secondary.setText(swatch_html(SECONDARY_TINT, tr("合わせて伏せる数：外部に出すときは「秘匿」と表示されます")))

    def _show(self, view: StatsView) -> None:
        self._set_busy(False)
        self.view = view
        f = view.figures
        head = dict(header_lines(view.shown, today=self.today()))
        compare = next(v for k, v in head.items() if k.startswith("比べる期間"))
        self.heading.setText(tr("<b>{period}</b>　地区：{district}　<span style='color:#555'>比べる期間：{compare}</span>",
                                period=head["期間"], compare=compare,
                                district=tr("担当地区すべて") if f.scope_note and not f.district_id else f.district))
        notes = list(f.notes)
        if not view.shown.raw:
            notes.append(view.shown.legend)
        self.notes.setText("\n".join(f"※{n}" for n in notes))
        self.notes.setVisible(bool(notes))
        self._show_legend(view)
        if f.is_empty:
            self.empty.setText(tr("{period}の記録はありません。\n訪問記録、サロン、把握シート、つなぎ、会議、"
                                  "支援ケース、支え合いの関係、担い手、地域活動のどれも記録されていない期間です。別の年度や月を選んでください。", period=f.period.label))
            self.stack.setCurrentWidget(self.empty)
            self._set_exportable(False)
            return
        self.stack.setCurrentWidget(self.tabs)
        summary = view.shown.table("summary")
        show_table(self.summary_view, StatsTableModel(summary, view.marks.get("summary"), self))
        selected = max(0, self.table_list.currentRow())
        self.table_list.blockSignals(True)
        self.table_list.clear()
        for t in view.shown.tables[1:]:
            self.table_list.addItem(t.title)
        self.table_list.blockSignals(False)
        self.table_list.setCurrentRow(min(selected, self.table_list.count() - 1))
        self._show_table(self.table_list.currentRow())
        self._show_charts(view)
        self._set_exportable(True)

    def _show_table(self, row: int) -> None:
        if self.view is None or not 0 <= row < len(self.view.shown.tables) - 1:
            return
        table = self.view.shown.tables[row + 1]
        show_table(self.table_view, StatsTableModel(table, self.view.marks.get(table.key), self))
        self.table_note.setText(f"※{table.note}" if table.note else "")
        self.table_note.setVisible(bool(table.note))

    def _show_charts(self, view: StatsView) -> None:
        box = QWidget()  # a new box each time: the old one and its charts go with setWidget
        grid = QGridLayout(box)
        grid.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.chart_panels = {}
        specs = [s for s in chart_specs(view.shown) if not s.is_empty]
        for i, spec in enumerate(specs):
            panel = ChartPanel(spec)
            self.chart_panels[spec.key] = panel
            grid.addWidget(panel, i, 0)  # one a row: long labels keep their room
        if not specs:
            none = QLabel(tr("この期間にはグラフにする件数がありません。"))
            none.setStyleSheet("color: #555; font-size: 12pt; padding: 24px;")
            grid.addWidget(none, 0, 0)
        self.charts_scroll.setWidget(box)

    # ---- exports -------------------------------------------------------------------------------

    def _export(self, kind: str, path: str, work, done_text) -> None:
        self.status.setVisible(False)
        self.errors.clear_error()
        self._set_exportable(False)
        self.status.setText(tr("書き出しています…"))
        self.status.setVisible(True)

        def done(result) -> None:
            self._set_exportable(True)
            self.status.setText(done_text(result))

        def failed(error) -> None:
            self._set_exportable(True)
            self.status.setVisible(False)
            self.errors.show_error(error)

        self.ctx.executor.submit(work, on_done=done, on_error=failed, owner=self)

    @staticmethod
    def _hidden_text(n: int) -> str:
        return tr("少ない件数など {n} 欄を伏せています。", n=n) if n else tr("伏せた欄はありません。")

    def export_csv(self) -> None:
        if self.view is None or self.view.figures.is_empty:
            return
        filters = [tr(f) for f in CSV_FILTERS]
        path, chosen = ask_save_path(self, tr("CSVの保存先"), default_path(self.view.figures, "csv"), filters)
        if not path:
            return
        if not path.lower().endswith(".csv"):
            path += ".csv"
        encoding = dict(zip(filters, CSV_FILTERS.values())).get(chosen, "utf-8")
        store, figures = self.ctx.store, self.view.figures

        def work():
            from shakyo_desk.reports.stats_csv import export_csv

            return export_csv(store, figures, path, encoding=encoding)

        label = "UTF-8" if encoding == "utf-8" else "Shift_JIS"
        self._export("csv", path, work, lambda r: tr("CSV（{enc}）を保存しました：{path}\n{hidden}", enc=label,
                                                      path=str(r.path), hidden=self._hidden_text(r.cells_hidden)))

    def export_pdf(self) -> None:
        if self.view is None or self.view.figures.is_empty:
            return
        path, _ = ask_save_path(self, tr("報告書（PDF）の保存先"), default_path(self.view.figures, "pdf"),
                                [tr(PDF_FILTER)])
        if not path:
            return
        if not path.lower().endswith(".pdf"):
            path += ".pdf"
        store, figures, today = self.ctx.store, self.view.figures, self._today

        def work():
            from shakyo_desk.reports.stats_pdf import export_pdf

            return export_pdf(store, figures, path, today=today)

        self._export("pdf", path, work, lambda r: tr("報告書を保存しました（{pages}ページ）：{path}\n{hidden}",
                                                      pages=r.pages, path=str(r.path),
                                                      hidden=self._hidden_text(r.cells_hidden)))
