"""QtCharts views of the statistics charts (``reports/stats_chart_data.ChartSpec``): the same
bars the report PDF draws. Hidden values (suppressed for staff) are drawn as nothing and the
category is marked ＊ with a note under the chart."""

from __future__ import annotations

from PySide6.QtCharts import (
    QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QHorizontalBarSeries, QHorizontalStackedBarSeries,
    QStackedBarSeries, QValueAxis,
)
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from shakyo_desk.i18n import tr
from shakyo_desk.reports.stats_chart_data import HIDDEN_NOTE, ChartSpec

THIS_YEAR = "#1f5fa8"
LAST_YEAR = "#b9c3cf"
STACK = ("#1f5fa8", "#e08a1e", "#9aa7b8")


def nice_axis(top: float) -> tuple[int, int]:
    """(end, tick count): an axis end a little above the largest bar, at a round step, with
    at most 7 ticks so that every tick reads as a whole number."""
    top = max(1.0, float(top) * 1.05)
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000):
        if top / step <= 6:
            end = int(-(-top // step) * step)
            return end, end // step + 1
    return int(top) + 1, 2


def _series(spec: ChartSpec):
    if spec.stacked:
        return QHorizontalStackedBarSeries() if spec.horizontal else QStackedBarSeries()
    return QHorizontalBarSeries() if spec.horizontal else QBarSeries()


def make_chart(spec: ChartSpec) -> QChart:
    chart = QChart()
    chart.setTitle(tr(spec.title))
    font = QFont(QApplication.font())
    title_font = QFont(font)
    title_font.setBold(True)
    title_font.setPointSizeF(font.pointSizeF() + 1)
    chart.setTitleFont(title_font)
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.setBackgroundRoundness(0)
    series = _series(spec)
    palette = STACK if spec.stacked else (THIS_YEAR, LAST_YEAR)
    # horizontal bars read top down: the first category at the top
    order = list(range(len(spec.categories)))
    if spec.horizontal:
        order.reverse()
    # and, within a category, the first series (this year) on top: Qt draws the first set lowest
    sets = list(enumerate(spec.series))
    if spec.horizontal and not spec.stacked:
        sets.reverse()
    for i, s in sets:
        bar_set = QBarSet(s.name)
        for index in order:
            value = s.values[index]
            bar_set.append(0 if value is None else float(value))
        bar_set.setColor(QColor(palette[i % len(palette)]))
        bar_set.setBorderColor(QColor(palette[i % len(palette)]))
        series.append(bar_set)
    series.setBarWidth(0.75)
    chart.addSeries(series)
    categories = QBarCategoryAxis()
    categories.append([spec.labels[i] for i in order])
    categories.setLabelsFont(font)
    values = QValueAxis()
    end, ticks = nice_axis(spec.top)
    values.setRange(0, end)
    values.setLabelFormat("%d")
    values.setTickCount(ticks)
    values.setLabelsFont(font)
    values.setTitleText(tr("（{unit}）", unit=spec.unit))
    values.setTitleFont(font)
    category_side, value_side = (Qt.AlignmentFlag.AlignLeft, Qt.AlignmentFlag.AlignBottom) if spec.horizontal \
        else (Qt.AlignmentFlag.AlignBottom, Qt.AlignmentFlag.AlignLeft)
    chart.addAxis(categories, category_side)
    chart.addAxis(values, value_side)
    series.attachAxis(categories)
    series.attachAxis(values)
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignTop)
    chart.legend().setFont(font)
    return chart


class ChartPanel(QWidget):
    """One chart with, when values are hidden, the ＊ note under it."""

    def __init__(self, spec: ChartSpec, parent: QWidget | None = None):
        super().__init__(parent)
        self.spec = spec
        self.view = QChartView(make_chart(spec))
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setAccessibleName(tr(spec.title))
        rows = len(spec.categories) * (1 if spec.stacked else len(spec.series))
        height = max(300, 70 + 22 * rows) if spec.horizontal else 320
        self.view.setMinimumHeight(height)
        self.view.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 8)
        layout.addWidget(self.view)
        self.note = QLabel(tr(HIDDEN_NOTE))
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #555;")
        self.note.setVisible(spec.hidden > 0)
        layout.addWidget(self.note)

    def chart(self) -> QChart:
        return self.view.chart()

    def values(self) -> dict[str, list[float]]:
        """{series name: values in the spec's category order} as drawn (tests, accessibility)."""
        series = self.chart().series()[0]
        result = {}
        for bar_set in series.barSets():
            drawn = [bar_set.at(i) for i in range(bar_set.count())]
            result[bar_set.label()] = drawn[::-1] if self.spec.horizontal else drawn
        return result
