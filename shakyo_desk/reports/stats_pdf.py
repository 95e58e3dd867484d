"""統計報告書: the monthly or yearly figures on A4 paper, for the town office, the prefectural
council or the board (DESIGN §7, issue 6).

- Always suppressed: the tables are ``stats_render.render(figures)`` exactly as the CSV has
  them (``<3``, ``秘匿``); the charts (``stats_chart_data``) leave hidden values out and say so.
- Title with the council, the period in 年度 and 和暦 (令和6年度（令和6年4月1日～令和7年3月31日）),
  the district, the comparison period; the summary against the year before; the charts
  (reportlab.graphics bar charts); then every table. Each page: the title, page n / m and the
  day it was made. BIZ UD Gothic embedded.
- Written like the CSV (``stats_csv.write_file``: temporary name in the target folder, fsync,
  audit entry ``stats_pdf.export``, rename); on a failure neither the file nor the entry is left.

No Qt, no database (``export_pdf`` only records the export through the services).
"""

import io
import re
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import CondPageBreak, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.reports.fonts import register_fonts
from shakyo_desk.reports.stats_chart_data import HIDDEN_NOTE, ChartSpec, chart_specs
from shakyo_desk.reports.stats_csv import check_target, export_detail, write_file
from shakyo_desk.reports.stats_render import (
    RenderedFigures, RenderedTable, cell_text, header_lines, note_lines, period_text, render,
)
from shakyo_desk.store.services.exports import log_export
from shakyo_desk.store.services.stats import Figures
from shakyo_desk.store.store import Store
from shakyo_desk.domain import clock

TITLE_YEAR = "統計報告書（年度）"
TITLE_MONTH = "統計報告書（月次）"
RAW_REFUSED = "報告書には、少ない件数を伏せた数しか載せられません。"
EMPTY_NOTE = "この期間の記録はないため、グラフはありません。"

PAGE_W, PAGE_H = A4
MARGIN_X = 15 * mm
MARGIN_TOP = 20 * mm
MARGIN_BOTTOM = 18 * mm
BODY_W = PAGE_W - 2 * MARGIN_X

BODY_PT = 10
SMALL_PT = 8.5
INK = colors.HexColor("#1a1a1a")
RULE = colors.HexColor("#6b6b6b")
HEAD = colors.HexColor("#e4e8ee")
TOTAL_SHADE = colors.HexColor("#f3f3f3")
# colour-blind-safe pair (blue / orange) and a pale grey for the year before
SERIES_COLOURS = (colors.HexColor("#1f5fa8"), colors.HexColor("#e08a1e"), colors.HexColor("#9aa7b8"))
THIS_YEAR, LAST_YEAR = colors.HexColor("#1f5fa8"), colors.HexColor("#b9c3cf")


@dataclass(frozen=True)
class PdfExport:
    path: Path
    size: int
    pages: int
    cells_hidden: int


def report_title(figures: Figures) -> str:
    return TITLE_MONTH if figures.period.kind == "month" else TITLE_YEAR


# ---- styles ---------------------------------------------------------------------------------

def _styles(regular: str, bold: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=regular, fontSize=BODY_PT, leading=BODY_PT * 1.45, textColor=INK,
                          alignment=TA_LEFT, wordWrap="CJK")
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=SMALL_PT, leading=SMALL_PT * 1.45),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=20, leading=27),
        "period": ParagraphStyle("period", parent=base, fontName=bold, fontSize=13.5, leading=20),
        "h2": ParagraphStyle("h2", parent=base, fontName=bold, fontSize=12.5, leading=18, spaceBefore=4,
                             spaceAfter=3),
        "label": ParagraphStyle("label", parent=base, fontName=bold, fontSize=SMALL_PT + 0.5,
                                leading=(SMALL_PT + 0.5) * 1.35),
        "cell": ParagraphStyle("cell", parent=base, fontSize=BODY_PT - 0.5, leading=(BODY_PT - 0.5) * 1.3),
        "cell_bold": ParagraphStyle("cell_bold", parent=base, fontName=bold, fontSize=BODY_PT - 0.5,
                                    leading=(BODY_PT - 0.5) * 1.3),
        "head": ParagraphStyle("head", parent=base, fontName=bold, fontSize=SMALL_PT, leading=SMALL_PT * 1.3,
                               alignment=1),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


# ---- blocks -----------------------------------------------------------------------------------

def _title_block(st, rendered: RenderedFigures, today: date) -> list:
    f = rendered.figures
    meta = [(label, value) for label, value in header_lines(rendered, today=today)
            if label not in ("期間", "社会福祉協議会")]  # both stand above, in the title
    rows = [[_p(label, st["label"]), _p(value, st["body"])] for label, value in meta]
    table = Table(rows, colWidths=[42 * mm, BODY_W - 42 * mm])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    story = [_p(f.council, st["body"]), _p(report_title(f), st["title"]), _p(period_text(f), st["period"]),
             Spacer(0, 3 * mm), table, Spacer(0, 3 * mm)]
    story += [_p(f"※{note}", st["small"]) for note in note_lines(rendered)]
    return story


def _widths(table: RenderedTable) -> list[float]:
    values = len(table.headers) - 1
    label = min(62 * mm, max(38 * mm, BODY_W - values * 24 * mm))
    rest = (BODY_W - label) / max(1, values)
    return [label] + [rest] * values


def _table_block(st, table: RenderedTable) -> list:
    data = [[_p(h, st["head"]) for h in table.headers]]
    for row in table.rows:
        style = st["cell_bold"] if row.total else st["cell"]
        data.append([_p(row.label, style), *(cell_text(v) for v in row.cells)])
    grid = Table(data, colWidths=_widths(table), repeatRows=1)
    regular, bold = st["cell"].fontName, st["cell_bold"].fontName
    commands = [
        ("FONT", (0, 0), (-1, -1), regular, BODY_PT - 0.5),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("BOX", (0, 0), (-1, -1), 0.6, INK),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5),
    ]
    for index, row in enumerate(table.rows, start=1):
        if row.total:
            commands += [("FONT", (1, index), (-1, index), bold, BODY_PT - 0.5),
                         ("BACKGROUND", (0, index), (-1, index), TOTAL_SHADE),
                         ("LINEABOVE", (0, index), (-1, index), 0.8, INK)]
    grid.setStyle(TableStyle(commands))
    head = [_p(f"■ {table.title}", st["h2"])]
    note = [Spacer(0, 1.5 * mm), _p(f"※{table.note}", st["small"])] if table.note else []
    if len(table.rows) <= 14:
        return [KeepTogether([*head, grid, *note]), Spacer(0, 5 * mm)]
    return [CondPageBreak(40 * mm), *head, grid, *note, Spacer(0, 5 * mm)]


def _chart_drawing(spec: ChartSpec, regular: str, bold: str) -> Drawing:
    n = len(spec.categories)
    horizontal = spec.horizontal
    label_room = 34 * mm if horizontal else 0
    legend_h = 9 * mm
    if horizontal:
        per = 4.2 * mm * (1 if spec.stacked else len(spec.series)) + 2.5 * mm
        plot_h = max(30 * mm, per * n)
    else:
        plot_h = 48 * mm
    height = 8 * mm + legend_h + plot_h + (6 * mm if horizontal else 14 * mm)
    drawing = Drawing(BODY_W, height)
    drawing.add(String(0, height - 5 * mm, spec.title, fontName=bold, fontSize=11, fillColor=INK))
    chart = HorizontalBarChart() if horizontal else VerticalBarChart()
    chart.x = label_room + 4 * mm if horizontal else 12 * mm
    chart.y = 6 * mm if horizontal else 14 * mm
    chart.width = BODY_W - chart.x - 6 * mm
    chart.height = plot_h
    # horizontal charts read top down: the first category at the top
    order = list(range(n))[::-1] if horizontal else list(range(n))
    # and, within a category, the first series (this year) on top: reportlab draws series 0 lowest
    series = list(enumerate(spec.series))
    if horizontal and not spec.stacked:
        series.reverse()
    chart.data = [[s.values[i] for i in order] for _, s in series]
    chart.categoryAxis.categoryNames = [spec.labels[i] for i in order]
    chart.categoryAxis.labels.fontName = regular
    chart.categoryAxis.labels.fontSize = 7.5 if n > 8 else 8.5
    if horizontal:
        chart.categoryAxis.labels.boxAnchor = "e"
        chart.categoryAxis.labels.dx = -2
    else:
        chart.categoryAxis.labels.boxAnchor = "n"
        chart.categoryAxis.labels.dy = -2
        if n > 6:
            chart.categoryAxis.labels.angle = 30
            chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.labels.fontName = regular
    chart.valueAxis.labels.fontSize = 8
    chart.valueAxis.valueMin = 0
    top = spec.top or 1
    chart.valueAxis.valueMax = _nice_top(top)
    chart.valueAxis.valueStep = _nice_step(chart.valueAxis.valueMax)
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#dddddd")
    chart.valueAxis.gridStrokeWidth = 0.3
    chart.barSpacing = 0.5
    chart.groupSpacing = 3 if n > 8 else 6
    palette = SERIES_COLOURS if spec.stacked else (THIS_YEAR, LAST_YEAR)
    for drawn, (i, _) in enumerate(series):
        chart.bars[drawn].fillColor = palette[i % len(palette)]
        chart.bars[drawn].strokeColor = None
    if spec.stacked:
        chart.categoryAxis.style = "stacked"
    drawing.add(chart)
    legend = Legend()
    legend.fontName = regular
    legend.fontSize = 8.5
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 70
    legend.dxTextSpace = 4
    legend.x = chart.x
    legend.y = height - 10 * mm
    legend.colorNamePairs = [(palette[i % len(palette)], s.name) for i, s in enumerate(spec.series)]
    drawing.add(legend)
    unit = String(BODY_W, height - 5 * mm, f"（単位：{spec.unit}）", fontName=regular, fontSize=8,
                  fillColor=RULE, textAnchor="end")
    drawing.add(unit)
    return drawing


def _nice_step(top: float) -> float:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000):
        if top / step <= 8:
            return step
    return 10 ** len(str(int(top)))


def _nice_top(top: float) -> float:
    step = _nice_step(top * 1.05)
    return max(step, -(-top * 1.05 // step) * step)


def _charts_block(st, rendered: RenderedFigures) -> list:
    regular, bold = st["body"].fontName, st["title"].fontName
    story = [CondPageBreak(80 * mm), _p("■ グラフ", st["h2"])]
    specs = [s for s in chart_specs(rendered) if not s.is_empty]
    if not specs:
        return [*story, _p(EMPTY_NOTE, st["body"]), Spacer(0, 4 * mm)]
    for spec in specs:
        parts = [_chart_drawing(spec, regular, bold)]
        if spec.hidden:
            parts.append(_p(HIDDEN_NOTE, st["small"]))
        story += [KeepTogether(parts), Spacer(0, 5 * mm)]
    return story


# ---- page furniture --------------------------------------------------------------------------

class _NumberedCanvas(Canvas):
    """Holds the pages back until the end so each can say n / m."""

    def __init__(self, *args, furniture, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []
        self._furniture = furniture

    def showPage(self):  # noqa: N802 - reportlab API
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._furniture(self, number, total)
            super().showPage()
        super().save()


def _furniture(canvas: Canvas, number: int, total: int, *, regular: str, bold: str, heading: str,
               made: str, council: str) -> None:
    canvas.saveState()
    top = PAGE_H - 11 * mm
    canvas.setFillColor(INK)
    canvas.setFont(regular, SMALL_PT)
    canvas.drawString(MARGIN_X, top, council)
    canvas.drawRightString(PAGE_W - MARGIN_X, top, heading)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN_X, top - 2.5 * mm, PAGE_W - MARGIN_X, top - 2.5 * mm)
    bottom = 9 * mm
    canvas.line(MARGIN_X, bottom + 5 * mm, PAGE_W - MARGIN_X, bottom + 5 * mm)
    canvas.setFont(regular, SMALL_PT)
    canvas.drawString(MARGIN_X, bottom, f"作成日：{made}　少ない件数は個人が特定されないよう伏せています。")
    canvas.setFont(bold, 10)
    canvas.drawRightString(PAGE_W - MARGIN_X, bottom, f"{number} / {total} ページ")
    canvas.restoreState()


# ---- the document ------------------------------------------------------------------------------

def stats_pdf_bytes(rendered: RenderedFigures, *, today: date | None = None) -> bytes:
    """The report's bytes, from figures rendered with small counts hidden."""
    if rendered.raw:
        raise InvalidInput(RAW_REFUSED)
    f = rendered.figures
    made_on = today or clock.today()
    regular, bold = register_fonts()
    st = _styles(regular, bold)
    title = report_title(f)
    heading = f"{title}　{f.period.label}" + ("" if f.district_id is None else f"　{f.district}")
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM, title=f"{title} {f.period.label}", author=f.council, creator="社協デスク",
        subject=period_text(f), initialFontName=regular, initialFontSize=BODY_PT)
    story = _title_block(st, rendered, made_on)
    summary, *others = rendered.tables
    story += [Spacer(0, 4 * mm), *_table_block(st, summary)]
    story += _charts_block(st, rendered)
    for table in others:
        story += _table_block(st, table)
    canvasmaker = partial(_NumberedCanvas, furniture=partial(
        _furniture, regular=regular, bold=bold, heading=heading, made=format_wareki(made_on), council=f.council))
    doc.build(story, canvasmaker=canvasmaker)
    return buffer.getvalue()


def _page_count(data: bytes) -> int:
    return len(re.findall(rb"/Type /Page(?![s\w])", data))


def export_pdf(store: Store, figures: Figures, path: str | Path, *, today: date | None = None) -> PdfExport:
    """Write the report (small counts hidden) to ``path`` and record the export."""
    path = check_target(Path(path), "PDF")
    rendered = render(figures)
    data = stats_pdf_bytes(rendered, today=today)

    def record() -> None:
        log_export(store, "stats_pdf", export_detail(rendered, file=path.name, format="pdf"))

    write_file(path, data, record, what="PDF")
    return PdfExport(path, len(data), _page_count(data), rendered.suppressed)
