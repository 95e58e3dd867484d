"""What the statistics charts show, shared by the 統計 page (QtCharts) and the report PDF
(reportlab.graphics), so both draw the same bars from the same rendered cells.

Built from a ``RenderedFigures``: suppressed for anything exported, raw only on a
coordinator's screen. A value hidden by suppression (``<3``, ``秘匿``) becomes ``None`` and
is not drawn; a chart counts such values so that it can say so. Nothing is recomputed or
re-suppressed here.

Pure: no Qt, no database.
"""

from dataclasses import dataclass

from shakyo_desk.reports.stats_render import RenderedFigures, RenderedTable

HIDDEN_MARK = "＊"
HIDDEN_NOTE = "＊の付いた項目には、少ない件数のため伏せた数があり、その棒は描いていません。"


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[int | float | None, ...]  # None: hidden, not drawn


@dataclass(frozen=True)
class ChartSpec:
    key: str
    title: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    stacked: bool = False
    unit: str = "件"
    horizontal: bool = False  # long labels or many of them: bars run across

    @property
    def hidden(self) -> int:
        return sum(v is None for s in self.series for v in s.values)

    @property
    def hidden_categories(self) -> tuple[int, ...]:
        return tuple(i for i in range(len(self.categories)) if any(s.values[i] is None for s in self.series))

    @property
    def labels(self) -> tuple[str, ...]:
        """Category labels, those with a hidden value marked ＊."""
        marked = set(self.hidden_categories)
        return tuple(f"{c}{HIDDEN_MARK}" if i in marked else c for i, c in enumerate(self.categories))

    @property
    def is_empty(self) -> bool:
        return not any(v for s in self.series for v in s.values if v is not None)

    @property
    def top(self) -> float:
        """The largest bar (a stack's sum), for the value axis."""
        if self.stacked:
            sums = [sum(s.values[i] or 0 for s in self.series) for i in range(len(self.categories))]
            return max(sums, default=0)
        return max((v for s in self.series for v in s.values if v is not None), default=0)


def _number(cell) -> int | float | None:
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int | float):
        return cell
    if cell is None:
        return 0  # nothing to measure: no bar
    return None  # a suppression mark


def _column(table: RenderedTable, key: str) -> int:
    return table.column_keys.index(key)


def _body(table: RenderedTable):
    return [r for r in table.rows if not r.total]


def _this_and_last(rendered: RenderedFigures, key: str, column: str, title: str, *, unit: str = "件",
                   horizontal: bool = False, skip_zero_rows: bool = False) -> ChartSpec | None:
    f = rendered.figures
    current = rendered.table(key)
    previous = next((t for t in rendered.previous_tables if t.key == key), None)
    c = _column(current, column)
    before = {}
    if previous is not None:
        pc = _column(previous, column)
        before = {r.key: _number(r.cells[pc]) for r in _body(previous)}
    rows = _body(current)
    if skip_zero_rows:
        rows = [r for r in rows if r.cells[c] != 0 or before.get(r.key, 0) != 0]
    if not rows:
        return None
    return ChartSpec(
        key, title, tuple(r.label for r in rows),
        (Series(f.period.label, tuple(_number(r.cells[c]) for r in rows)),
         Series(f.previous_period.label, tuple(before.get(r.key, 0) for r in rows))),
        unit=unit, horizontal=horizontal or len(rows) > 8)


def _contacts_by_district(rendered: RenderedFigures) -> ChartSpec | None:
    table = rendered.table("contacts_by_district")
    total, failed = _column(table, "contacts"), _column(table, "failed")
    rows = _body(table)
    if not rows:
        return None
    reached, absent = [], []
    for r in rows:
        all_, miss = _number(r.cells[total]), _number(r.cells[failed])
        absent.append(miss)
        reached.append(None if all_ is None or miss is None else all_ - miss)
    return ChartSpec("contacts_by_district", f"地区別の訪問記録（延べ・{rendered.figures.period.label}）",
                     tuple(r.label for r in rows),
                     (Series("会えた・話せた", tuple(reached)), Series("不在", tuple(absent))),
                     stacked=True, horizontal=len(rows) > 8)


def chart_specs(rendered: RenderedFigures) -> list[ChartSpec]:
    """The charts of the 統計 page and the report, in order."""
    word = "前年同月" if rendered.figures.period.kind == "month" else "前年度"
    specs = [
        _contacts_by_district(rendered),
        _this_and_last(rendered, "contacts_by_method", "contacts", f"方法別の訪問記録（{word}との比較）"),
        _this_and_last(rendered, "salons_by_district", "attendances", f"サロンの延べ参加者数（地区別・{word}との比較）",
                       unit="人"),
        _this_and_last(rendered, "sheets_by_concern", "sheets", f"把握シート（困りごと別・{word}との比較）",
                       horizontal=True, skip_zero_rows=True),
        _this_and_last(rendered, "cases_by_district", "opened", f"支援ケースの受付（地区別・{word}との比較）",
                       skip_zero_rows=True),
    ]
    return [s for s in specs if s is not None]
